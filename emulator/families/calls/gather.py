"""DTMF gathers: ``gather``, ``gather_using_audio``, ``gather_using_speak`` and ``gather_stop``.

A gather optionally plays a prompt (speak / audio events), then listens: the other party's next
scripted ``dtmf`` step — taken when listening starts, or when it is scripted later while the
gather still waits — (or, from an unscripted party, digits that satisfy the gather) arrive as
``call.dtmf.received`` one per digit, and the gather ends with ``call.gather.ended`` —
``valid``/``invalid`` by valid_digits, min/max digits and the terminating digit, ``timeout`` when
nothing came in time (emulator clock), ``cancelled`` on gather_stop, ``call_hangup`` on hangup.
Gathers with a prompt retry up to ``maximum_tries``, replaying the invalid prompt first.

``gather_using_audio`` naming no audio (the document makes both audio_url and media_name
optional, and Telnyx's own examples send it with no body) plays the built-in silence as its
prompt, with its playback events, in every mode.
"""

from __future__ import annotations

from typing import Any

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.families.calls import lifecycle
from emulator.families.calls.commands import perform, require_fields
from emulator.families.calls.events import Env, emit
from emulator.families.calls.media import SILENCE_SECONDS
from emulator.families.calls.model import MEDIA_SECONDS, Call, Gather, speech_seconds
from emulator.families.calls.rules import GATHER_RANGES, TERMINATING_DIGIT, VALID_DIGITS
from emulator.http.binding import operation
from emulator.http.context import RequestContext

DTMF_SYMBOLS = "0123456789*#ABCD"
DEFAULT_VALID_DIGITS = "0123456789#*"
SILENCE = ""
"""The prompt of a gather_using_audio that names no audio: the built-in silence, whose playback
events carry an empty media_url (``media.SILENCE_SECONDS`` long)."""


def _int(env: Env, body: dict[str, Any], name: str, default: int, lo: int, hi: int) -> int:
    """``body[name]`` within ``lo``..``hi``; outside is ``rules.GATHER_RANGES`` (warn mode: ``default``)."""
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        error = ValidationFailed(
            items=[ErrorItem(f"{name} must be an integer between {lo} and {hi}.", pointer=f"/{name}", code="10033")]
        )
        env.business_rule(GATHER_RANGES, error)
        return default
    return value


def _valid_digits(env: Env, body: dict[str, Any]) -> str:
    """The digits the gather accepts; other characters are ``rules.VALID_DIGITS`` (warn mode:
    ignored, and the default when none is left)."""
    valid = body.get("valid_digits") or DEFAULT_VALID_DIGITS
    if isinstance(valid, str) and all(c in DTMF_SYMBOLS for c in valid):
        return valid
    env.business_rule(
        VALID_DIGITS,
        ValidationFailed(
            items=[ErrorItem("valid_digits may only contain 0-9, *, # and A-D.", pointer="/valid_digits", code="10033")]
        ),
    )
    kept = "".join(c for c in valid if c in DTMF_SYMBOLS) if isinstance(valid, str) else ""
    return kept or DEFAULT_VALID_DIGITS


def parse_gather(env: Env, kind: str, body: dict[str, Any]) -> Gather:
    """Validate a gather command's options (before anything changes) and build the gather."""
    valid = _valid_digits(env, body)
    term = body.get("terminating_digit", "#")
    if term is None:
        term = "#"
    if not isinstance(term, str) or len(term) > 1 or (term and term not in DTMF_SYMBOLS):
        error = ValidationFailed(
            items=[ErrorItem("terminating_digit must be one DTMF symbol.", pointer="/terminating_digit", code="10033")]
        )
        env.business_rule(TERMINATING_DIGIT, error)
        term = "#"
    min_d = _int(env, body, "minimum_digits", 1, 1, 128)
    max_d = _int(env, body, "maximum_digits", 128, 1, 128)
    if min_d > max_d:
        error = ValidationFailed(
            items=[ErrorItem("minimum_digits can't be greater than maximum_digits.", pointer="/minimum_digits", code="10033")]
        )
        env.business_rule(GATHER_RANGES, error)
        min_d = max_d
    timeout_ms = _int(env, body, "timeout_millis", 60000, 1, 600000)
    inter_ms = _int(env, body, "inter_digit_timeout_millis", 5000, 1, 120000)
    initial_ms = _int(env, body, "initial_timeout_millis", 5000, 1, 600000)
    prompt = None
    invalid_prompt = None
    if kind == "gather_using_speak":
        require_fields(body, "payload", "voice")
        prompt, invalid_prompt = str(body["payload"]), body.get("invalid_payload")
    elif kind == "gather_using_audio":
        prompt = body.get("audio_url") or body.get("media_name") or SILENCE
        invalid_prompt = body.get("invalid_audio_url") or body.get("invalid_media_name")
    tries = _int(env, body, "maximum_tries", 3, 1, 10) if kind != "gather" else 1
    return Gather(
        kind=kind,
        valid_digits=valid,
        min_digits=min_d,
        max_digits=max_d,
        terminating_digit=term,
        timeout=timeout_ms / 1000,
        inter_digit_timeout=inter_ms / 1000,
        initial_timeout=initial_ms / 1000,
        max_tries=tries,
        prompt=prompt,
        invalid_prompt=invalid_prompt,
    )


def default_digits(g: Gather) -> str:
    """What an unscripted party presses: the shortest input the gather accepts."""
    pool = [d for d in "1234567890*#" if d in g.valid_digits and d != g.terminating_digit] or ["1"]
    n = min(max(g.min_digits, 1), g.max_digits)
    digits = "".join(pool[i % len(pool)] for i in range(n))
    if g.terminating_digit and len(digits) < g.max_digits:
        digits += g.terminating_digit
    return digits


def start(env: Env, call: Call, g: Gather) -> None:
    if call.gather is not None:
        finish(env, call, "cancelled", retry=False)
    call.gather = g
    play_prompt(env, call, g, invalid=False)


def play_prompt(env: Env, call: Call, g: Gather, *, invalid: bool) -> None:
    g.tries += 1
    g.digits = ""
    g.generation += 1
    gen = g.generation
    if g.prompt is None:
        listen(env, call, g)
        return
    g.prompt_playing = True
    if g.kind == "gather_using_speak":
        text = f"{g.invalid_prompt} {g.prompt}" if invalid and g.invalid_prompt else g.prompt
        emit(env, call, "call.speak.started")
        seconds = speech_seconds(text)
    else:
        media = g.invalid_prompt if invalid and g.invalid_prompt else g.prompt
        emit(env, call, "call.playback.started", {"media_url": media, "overlay": False})
        seconds = (MEDIA_SECONDS if g.prompt != SILENCE else SILENCE_SECONDS) + (MEDIA_SECONDS if invalid and g.invalid_prompt else 0)
        g.current_media = media

    def prompt_done() -> None:
        if call.gather is g and g.generation == gen and g.prompt_playing:
            end_prompt(env, call, g, "completed")
            listen(env, call, g)

    lifecycle.later(env, call, seconds, prompt_done)


def end_prompt(env: Env, call: Call, g: Gather, status: str) -> None:
    if not g.prompt_playing:
        return
    g.prompt_playing = False
    if g.kind == "gather_using_speak":
        emit(env, call, "call.speak.ended", {"status": status if status != "cancelled" else "completed"})
    else:
        extra = {"media_url": g.current_media or g.prompt, "overlay": False, "status": status}
        emit(env, call, "call.playback.ended", extra)


def listen(env: Env, call: Call, g: Gather) -> None:
    """Wait for digits: arm the first-digit timeout and let the other party answer."""
    gen = g.generation
    first_wait = g.initial_timeout if g.kind == "gather" else g.timeout
    lifecycle.later(env, call, first_wait, lambda: _timed_out(env, call, g, gen, first=True))
    if g.kind == "gather":
        lifecycle.later(env, call, g.timeout, lambda: _overall_timeout(env, call, g))
    _take(env, call, g)


def _take(env: Env, call: Call, g: Gather) -> bool:
    """The other party's answer to this try of the gather: a scripted press (the steps after it
    run once it is pressed), scripted silence, an unscripted party's default — or nothing yet,
    and the gather waits (``awaiting``) for a press scripted later (:func:`offered`)."""
    how, step = lifecycle.take_input(call, "dtmf")
    g.awaiting = how == "nothing"
    if how == "step" and step is not None:
        lifecycle.later(env, call, step.after, lambda: _scripted_press(env, call, step.digits))
    elif how == "default":
        digits = default_digits(g)
        lifecycle.later(env, call, 0.0, lambda: press(env, call, digits))
    return how in ("step", "silence")


def _scripted_press(env: Env, call: Call, digits: str) -> None:
    press(env, call, digits)
    lifecycle.input_given(env, call)


def offered(env: Env, call: Call) -> bool:
    """``CallHooks.offered``: a gather listening for its first input, with nothing on its way,
    takes the press (or silence) now at the head of the script. Its timeouts keep counting from
    when it started listening."""
    g = call.gather
    if g is None or g.prompt_playing or not g.awaiting:
        return False
    return _take(env, call, g)


def press(env: Env, call: Call, digits: str) -> None:
    """The other party presses ``digits`` now: one ``call.dtmf.received`` each; an active,
    listening gather collects them."""
    for digit in digits:
        if not call.is_alive:
            return
        emit(env, call, "call.dtmf.received", {"digit": digit})
        g = call.gather
        if g is None:
            continue
        if g.prompt_playing:  # a digit interrupts the prompt
            end_prompt(env, call, g, "completed")
            listen_after_interrupt(env, call, g)
        g.awaiting = False  # digits are coming in: a press scripted now waits for the next listener
        collect(env, call, g, digit)


def listen_after_interrupt(env: Env, call: Call, g: Gather) -> None:
    g.generation += 1  # cancels the prompt timer


def collect(env: Env, call: Call, g: Gather, digit: str) -> None:
    if digit == g.terminating_digit and g.terminating_digit:
        finish(env, call, evaluate(g))
        return
    g.digits += digit
    if len(g.digits) >= g.max_digits:
        finish(env, call, evaluate(g))
        return
    g.generation += 1
    gen = g.generation
    lifecycle.later(env, call, g.inter_digit_timeout, lambda: _timed_out(env, call, g, gen, first=False))


def evaluate(g: Gather) -> str:
    ok = g.min_digits <= len(g.digits) <= g.max_digits and all(d in g.valid_digits for d in g.digits)
    return "valid" if ok else "invalid"


def _timed_out(env: Env, call: Call, g: Gather, gen: int, *, first: bool) -> None:
    if call.gather is not g or g.generation != gen or g.prompt_playing:
        return
    finish(env, call, "timeout" if not g.digits else evaluate(g))


def _overall_timeout(env: Env, call: Call, g: Gather) -> None:
    if call.gather is g:
        finish(env, call, "timeout" if not g.digits else evaluate(g))


def finish(env: Env, call: Call, status: str, *, retry: bool = True) -> None:
    """End the gather with ``status`` — or, for a prompted gather with tries left after an
    invalid or timed-out try, prompt again."""
    g = call.gather
    if g is None:
        return
    if g.prompt_playing:
        end_prompt(env, call, g, "call_hangup" if status == "call_hangup" else "completed")
    if retry and status in ("invalid", "timeout") and g.prompt is not None and g.tries < g.max_tries:
        play_prompt(env, call, g, invalid=status == "invalid")
        return
    call.gather = None
    g.generation += 1
    emit(env, call, "call.gather.ended", {"digits": g.digits, "status": status})
    if status != "call_hangup":
        lifecycle.run_remote(env, call)


def end_on_hangup(env: Env, call: Call) -> None:
    """A hangup ends the gather (``call_hangup``) before ``call.hangup`` (``events.CallHooks``)."""
    if call.gather is not None:
        finish(env, call, "call_hangup", retry=False)


def _command(kind: str) -> Any:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        start(env, call, parse_gather(env, kind, body))

    return act


@operation("GatherCall")
async def gather_call(ctx: RequestContext) -> dict[str, Any]:
    return perform(ctx, _command("gather"))


@operation("GatherUsingAudio")
async def gather_using_audio(ctx: RequestContext) -> dict[str, Any]:
    return perform(ctx, _command("gather_using_audio"))


@operation("GatherUsingSpeak")
async def gather_using_speak(ctx: RequestContext) -> dict[str, Any]:
    return perform(ctx, _command("gather_using_speak"))


@operation("StopCallGather")
async def stop_gather(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        if call.gather is not None:
            finish(env, call, "cancelled", retry=False)

    return perform(ctx, act)
