"""What a simulated call *is*: its ids and parties, its state, what is running on it, and the
scripted behaviour of the party at the other end.

The tenant's collection of them is ``store.CallStore``. Everything time-based is measured on the
emulator clock, so ``call_duration`` and timeouts follow ``POST /_emulator/clock``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Literal

CallState = Literal["ringing", "parked", "answered", "ended"]

# Seconds a command_id is remembered: a repeat within the window is answered, not re-run.
COMMAND_ID_WINDOW = 60.0


def speech_seconds(text: str | None) -> float:
    """How long the emulator says a prompt takes: ~150 words a minute, at least one second.
    Deterministic, so tests know exactly how far to advance the clock."""
    text = text or ""
    seconds = _SPEECH_SECONDS.get(text)
    if seconds is None:
        seconds = max(1.0, round(len(text.split()) * 0.4, 1))
        if len(text) <= 512:
            if len(_SPEECH_SECONDS) >= 1024:
                _SPEECH_SECONDS.clear()
            _SPEECH_SECONDS[text] = seconds
    return seconds


_SPEECH_SECONDS: dict[str, float] = {}
"""Prompt → :func:`speech_seconds`: an app speaks the same few prompts again and again, and the
split and the float rounding were a fifth of a ``speak`` command's own cost. Bounded: short
prompts only, cleared when full."""


MEDIA_SECONDS = 2.0
"""Length the emulator gives any audio file it 'plays' (we never fetch the URL)."""

AI_TURN_SECONDS = 1.0
"""Emulator time an AI turn (listen, think, answer) takes."""


@dataclass
class Step:
    """One scripted action of the other party (see ``emulator/families/calls/control.py`` for the verbs)."""

    action: str
    after: float = 0.0
    digits: str = ""
    text: str = ""
    result: str = ""
    cause: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "after": self.after}
        for key in ("digits", "text", "result", "cause"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


@dataclass
class Remote:
    """The party at the other end: how it answers, then the inputs it will give, in order.

    Input steps (``dtmf``/``say``/``silence``) wait at the head of ``steps`` until something listens
    (a gather, an AI gather, an assistant); ``hangup`` and ``wait`` run when they reach the head,
    and the steps after an input step run once a listener has taken it (``lifecycle.run_remote``).
    With nothing queued, a listener of a party that :attr:`answers_by_default` gets a
    deterministic default answer that completes it; any other party gives nothing, so the
    listener's own timeouts end it."""

    outcome: str = "answer"  # answer | busy | no_answer | reject | voicemail | fail
    answer_after: float | None = None  # None = settings.answer_delay
    amd_result: str | None = None  # human | machine | not_sure | (premium results)
    greeting_result: str | None = None
    steps: list[Step] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # "refer_fail" / "siprec_fail", used once each
    auto: bool | None = None  # None: as answers_by_default says for scripted / unscripted parties
    scripted: bool = False

    @property
    def answers_by_default(self) -> bool:
        """Whether a listener with nothing scripted for it gets the default answer: an unscripted
        party (nobody queued a script for the call) does, so calls complete with no setup; a
        scripted party does only with ``auto: true`` — its script says everything it does, and
        one that has run out (or is still to be written, live) says nothing. ``auto: false``
        silences an unscripted party too (driven live from the control API)."""
        return self.auto if self.auto is not None else not self.scripted

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "answer_after": self.answer_after,
            "amd_result": self.amd_result,
            "auto": self.auto,
            "scripted": self.scripted,
            "steps": [s.to_json() for s in self.steps],
            "failures": list(self.failures),
        }

    def take_failure(self, kind: str) -> bool:
        """Consume a scripted failure of ``kind`` (e.g. the next SIPREC start fails)."""
        if kind in self.failures:
            self.failures.remove(kind)
            return True
        return False


@dataclass
class Gather:
    """A DTMF gather in progress (plain, using audio, or using speak)."""

    kind: str  # gather | gather_using_audio | gather_using_speak
    valid_digits: str
    min_digits: int
    max_digits: int
    terminating_digit: str
    timeout: float
    inter_digit_timeout: float
    initial_timeout: float
    max_tries: int = 1
    prompt: str | None = None  # speak payload / audio url
    invalid_prompt: str | None = None
    tries: int = 0
    digits: str = ""
    generation: int = 0  # bumps per try so stale timers do nothing
    prompt_playing: bool = False
    current_media: str | None = None  # the audio the prompt is playing (for playback events)
    awaiting: bool = False  # listening with no scripted input on its way: a step scripted now is offered to it


@dataclass
class AiSession:
    """An AI gather or AI assistant conversation running on the call."""

    kind: str  # ai_gather | assistant
    conversation_id: str
    started_at: float
    assistant_id: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    send_partial_results: bool = False
    send_message_history_updates: bool = False
    greeting: str | None = None
    message_history: list[dict[str, Any]] = field(default_factory=list)
    generation: int = 0
    voice: str = "Telnyx.KokoroTTS.af"
    waiting: bool = False  # listening for the other party's next utterance
    turns: int = 0
    user_response_timeout: float = 10.0
    gather_ended_speech: str | None = None


@dataclass
class Call:
    call_control_id: str
    call_leg_id: str
    call_session_id: str
    tenant: str
    connection_id: str
    from_: str
    to: str
    direction: Literal["incoming", "outgoing"]
    created_at: float
    state: CallState = "ringing"
    client_state: str | None = None
    webhook_url: str | None = None
    webhook_urls: dict[str, list[str]] = field(default_factory=dict)  # event type -> the URLs it goes to
    webhook_failover_url: str | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    hangup_cause: str | None = None
    hangup_source: str | None = None
    sip_hangup_cause: str | None = None
    timeout_secs: int = 30
    time_limit_secs: int = 14400
    amd: str = "disabled"
    send_digits_on_answer: str | None = None
    record_on_answer: bool = False
    remote: Remote = field(default_factory=Remote)
    gather: Gather | None = None
    ai: AiSession | None = None
    speaking: dict[str, Any] | None = None  # {"generation", "status"}
    playback: dict[str, Any] | None = None  # {"media_url", "media_name", "overlay", "generation"}
    recording: dict[str, Any] | None = None  # {"started_at", "channels", "format", "paused"}
    streaming: dict[str, Any] | None = None
    transcription: dict[str, Any] | None = None
    siprec: dict[str, Any] | None = None
    fork: dict[str, Any] | None = None
    suppression: dict[str, Any] | None = None
    supervisor_role: str | None = None
    bridged_with: str | None = None
    recording_ids: list[str] = field(default_factory=list)
    media_generation: int = 0
    custom_headers: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. TeXML AI call bookkeeping

    @property
    def is_alive(self) -> bool:
        return self.state != "ended"

    def duration(self, now: float) -> int:
        """Whole seconds since the call started (to the end, once it has ended)."""
        end = self.ended_at if self.ended_at is not None else now
        return max(0, int(end - self.created_at))

    def status_json(self, clock_iso: Any, now: float) -> dict[str, Any]:
        """The ``Call`` record of ``GET /calls/{id}``."""
        out: dict[str, Any] = {
            "record_type": "call",
            "call_control_id": self.call_control_id,
            "call_leg_id": self.call_leg_id,
            "call_session_id": self.call_session_id,
            "is_alive": self.is_alive,
            "call_duration": self.duration(now),
            "start_time": clock_iso(self.created_at),
        }
        if self.client_state is not None:
            out["client_state"] = self.client_state
        if self.ended_at is not None:
            out["end_time"] = clock_iso(self.ended_at)
        return out

    def dump(self) -> dict[str, Any]:
        return {
            "call_control_id": self.call_control_id,
            "call_leg_id": self.call_leg_id,
            "call_session_id": self.call_session_id,
            "connection_id": self.connection_id,
            "from": self.from_,
            "to": self.to,
            "direction": self.direction,
            "state": self.state,
            "client_state": self.client_state,
            "hangup_cause": self.hangup_cause,
            "hangup_source": self.hangup_source,
            "gather": None if self.gather is None else {"kind": self.gather.kind, "digits": self.gather.digits, "tries": self.gather.tries},
            "ai": None if self.ai is None else {"kind": self.ai.kind, "conversation_id": self.ai.conversation_id},
            "bridged_with": self.bridged_with,
            "remote": self.remote.to_json(),
            **{k: self.extra[k] for k in ("sip_info_sent", "sip_info_received") if k in self.extra},
        }


@dataclass
class QueueMember:
    """A call waiting in a queue (see ``queue.py``)."""

    call_control_id: str
    enqueued_at: float
    max_wait_secs: int | None = None
    keep_after_hangup: bool = False


@dataclass
class CallQueue:
    """A named queue of a tenant, created by the first ``enqueue`` that names it. ``max_size``
    is fixed at creation; the wait statistics feed ``queue_avg_wait_time_secs``."""

    name: str
    max_size: int = 100
    members: list[QueueMember] = field(default_factory=list)
    total_wait: float = 0.0
    departed: int = 0

    def position(self, call_control_id: str) -> int | None:
        """1-based place in the queue, or None when the call is not in it."""
        for i, member in enumerate(self.members):
            if member.call_control_id == call_control_id:
                return i + 1
        return None

    def avg_wait(self) -> int:
        return int(self.total_wait / self.departed) if self.departed else 0


def is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except ValueError:
        return False
    return True
