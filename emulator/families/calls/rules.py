"""The calls family's business rules: checks call control makes beyond what the document states.

Each is declared once here and listed in the family's manifest; the handler that finds one broken
calls ``env.business_rule(RULE, error)`` (or ``ctx.business_rule``), which raises the strict error
in the ``enforce`` mode and, in the ``warn`` mode, returns so the handler applies the substitute
named here (``core/rules.py``).
"""

from __future__ import annotations

from emulator.core.rules import BusinessRule

CLIENT_STATE_BASE64 = BusinessRule(
    name="calls.client_state_base64",
    checks="client_state (and a transfer's target_leg_client_state) must be base64-encoded",
    substitute="the value is kept as given and echoed verbatim in later webhooks",
)

COMMAND_STATE = BusinessRule(
    name="calls.command_state",
    checks=(
        "a command the call's current state rules out: nothing running to stop, pause, resume or "
        "add to; an activity already running; a call not in a queue or already in one (90031, "
        "90033, 90038, 90045, 90054, 90061)"
    ),
    substitute="the command answers 200 {\"result\": \"ok\"} and changes nothing (no webhook)",
    # The codes are Telnyx's own (its published call-control error table): the real API answers them.
    real_api=True,
)

DTMF_DIGITS = BusinessRule(
    name="calls.dtmf_digits",
    checks="send_dtmf digits are made of 0-9, A-D, *, # and w/W pauses",
    substitute="only the valid characters are sent (none: nothing is sent)",
    real_api=True,  # 90014 "Invalid value for SendDigits" is Telnyx's own code for it
)

SUPERVISOR_NOT_BRIDGED = BusinessRule(
    name="calls.supervisor_not_bridged",
    checks="switch_supervisor_role needs a call joined to another (bridged or supervising)",
    substitute="the role is recorded on the call and takes effect once it is joined",
)

AI_GATHER_PARAMETERS = BusinessRule(
    name="calls.ai_gather_parameters",
    checks="gather_using_ai parameters must be a non-empty JSON Schema object",
    substitute="an empty object schema: the gather collects nothing and ends valid",
)

UNKNOWN_CONVERSATION = BusinessRule(
    name="calls.unknown_conversation",
    checks="ai_assistant_join names a running AI assistant conversation of this API key",
    substitute=(
        "the join is answered with the conversation_id given (a uuid derived from it when it is "
        "not one); no conversation records the participant"
    ),
)

POSITIVE_INTEGERS = BusinessRule(
    name="calls.positive_integers",
    checks="timeout_secs, time_limit_secs (dial, transfer), max_size and max_wait_time_secs (enqueue) are integers of at least 1",
    substitute="the default: timeout_secs 30, time_limit_secs 14400, max_size 100, no maximum wait",
)

FORK_TARGET = BusinessRule(
    name="calls.fork_target",
    checks="fork_start names where the media goes: target, or rx and tx",
    substitute=(
        "the fork is recorded as started with no target and call.fork.started (then "
        "call.fork.stopped) is sent; no media goes anywhere"
    ),
    # The operation's own description (not its schema) says a request must give target or rx
    # and tx, so the real API is taken to refuse one that gives neither.
    real_api=True,
)

PLAYBACK_SOURCE = BusinessRule(
    name="calls.playback_source",
    checks="playback_start names its audio: audio_url, media_name or playback_content",
    substitute=(
        "a built-in silence plays, 1 s per loop on the emulator clock (media.SILENCE_SECONDS); "
        "call.playback.started and call.playback.ended are sent with empty media_url and media_name"
    ),
)

PLAYBACK_LOOP = BusinessRule(
    name="calls.playback_loop",
    checks="playback_start loop is a positive integer (or a string of one) or 'infinity'",
    substitute="the audio plays once (loop 1)",
)

STREAM_URL = BusinessRule(
    name="calls.stream_url",
    checks="streaming_start names the stream_url to stream to",
    substitute=(
        "streaming is recorded as started with no destination and streaming.started (then "
        "streaming.stopped) is sent with an empty stream_url; nothing is connected"
    ),
)

VALID_DIGITS = BusinessRule(
    name="calls.valid_digits",
    checks="valid_digits of gather, gather_using_audio and gather_using_speak holds only 0-9, *, # and A-D",
    substitute="the other characters are ignored; when none is left, the default 0123456789#*",
)

TERMINATING_DIGIT = BusinessRule(
    name="calls.terminating_digit",
    checks="a gather's terminating_digit is one of 0-9, *, # and A-D (or empty: none)",
    substitute="the default terminating digit #",
)

GATHER_RANGES = BusinessRule(
    name="calls.gather_ranges",
    checks=(
        "a gather's minimum_digits and maximum_digits are 1-128 with the minimum no greater than the "
        "maximum; timeout_millis 1-600000, inter_digit_timeout_millis 1-120000, initial_timeout_millis "
        "1-600000, maximum_tries 1-10"
    ),
    substitute=(
        "a value out of its range is replaced by its default (1, 128, 60000, 5000, 5000, 3); a "
        "minimum above the maximum becomes the maximum"
    ),
    # The document's prose gives the 1 and 128 digit bounds but not whether the real API refuses
    # or clamps a value beyond them; the other bounds are the emulator's own guards.
)

WEBHOOK_URLS_HTTP = BusinessRule(
    name="calls.webhook_urls_http",
    checks="the URLs of a dial's or answer's webhook_urls are http(s) URLs (any other absolute URI can receive no webhook)",
    substitute="that URL is dropped; an event type left with none goes to the call's webhook_url (else the connection's)",
)

RULES = (
    CLIENT_STATE_BASE64,
    COMMAND_STATE,
    DTMF_DIGITS,
    SUPERVISOR_NOT_BRIDGED,
    AI_GATHER_PARAMETERS,
    UNKNOWN_CONVERSATION,
    POSITIVE_INTEGERS,
    FORK_TARGET,
    PLAYBACK_SOURCE,
    PLAYBACK_LOOP,
    STREAM_URL,
    VALID_DIGITS,
    TERMINATING_DIGIT,
    GATHER_RANGES,
    WEBHOOK_URLS_HTTP,
)
