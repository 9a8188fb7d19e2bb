"""The call-control errors, one named type per Telnyx code.

Each type only fixes ``code`` and ``title`` (the pair in ``emulator.core.errors.CODES``, where
the document has it); the status comes from the kernel class it extends, which is the status
Telnyx answers with: 404 for a call that does not exist, 422 for everything the call's state
or the request's values can't honour. Raising one renders exactly what the kernel class with
``code="…"`` rendered before these types existed (``tests/core/test_errors.py`` holds that).
"""

from __future__ import annotations

from emulator.core.errors import NotFound, Unprocessable, ValidationFailed


class CallNotFound(NotFound):
    """The ``call_control_id`` in the path names no call of this API key (404)."""

    code, title = "90015", "Invalid Call Control ID"


class InvalidCallControlId(ValidationFailed):
    """A ``call_control_id`` in the body (e.g. the leg to bridge with) names no call (422)."""

    code, title = "90015", "Invalid Call Control ID"


class InvalidSendDigits(ValidationFailed):
    """``send_dtmf`` digits outside 0-9, A-D, ``*``, ``#`` and ``w``/``W`` pauses."""

    code, title = "90014", "Invalid value for SendDigits"


class CallEnded(Unprocessable):
    """The call (or the other call a command names) has hung up."""

    code, title = "90018", "Call has already ended"


class CallNotAnswered(Unprocessable):
    """The command needs an answered call."""

    code, title = "90034", "Call not answered yet"


class CannotExecute(Unprocessable):
    """The call's state rules the command out (nothing to stop, already running, ...), where
    Telnyx has no more specific code."""

    code, title = "90033", "Unable to execute command"


class CallNotForked(Unprocessable):
    code, title = "90031", "Call is not currently forked"


class StreamingInUse(Unprocessable):
    code, title = "90045", "Media Streaming is used"


class AlreadyQueued(Unprocessable):
    code, title = "90038", "Call already in queue"


class TranscriptionInProgress(Unprocessable):
    code, title = "90054", "Call transcription is already in progress"


class AiSessionInProgress(Unprocessable):
    """The call's one AI slot (AI assistant, AI gather or Conversation Relay) is taken."""

    code, title = "90061", "AI Assistant is already in progress"
