"""A call's life on the emulator clock: created, ringing, answered (or busy / no answer /
rejected), the other party's scripted steps, answering-machine detection, and hangup.

Nothing here sleeps: every delay is a scheduler timer tagged ``tenant:<key>`` (so a tenant reset
cancels it) that re-checks the call is still alive when it fires.

The activities that run on a call (gather, media, queue, AI) build on this module — its timers,
the other party's input — so it never imports them: what they do when the call is answered or
ends comes from the emulator's :class:`~emulator.families.calls.events.CallHooks` (``env.hooks``),
which the family's manifest builds.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

from emulator.families.calls.events import Env, emit
from emulator.families.calls.model import Call, Remote, Step

log = logging.getLogger("emulator.calls")

AMD_DETECT_SECONDS = 1.0
AMD_GREETING_SECONDS = 3.0

# outcome -> (hangup_cause, sip_hangup_cause) for calls the other party never answers
UNANSWERED: dict[str, tuple[str, str]] = {
    "busy": ("user_busy", "486"),
    "reject": ("call_rejected", "603"),
    "no_answer": ("timeout", "408"),
    "fail": ("not_found", "404"),
}
OUTCOMES = ("answer", "voicemail", *UNANSWERED)
INPUT_ACTIONS = ("dtmf", "say", "silence")
PAUSED = "remote_paused_until"
"""``call.extra`` key: while the other party pauses (a ``wait`` step), when the pause ends."""


class _CallTimer:
    """What the scheduler runs for :func:`later`. One slotted object rather than a closure (a
    function, its cell tuple and five cells): a busy call keeps thousands of these pending
    (every ``speak`` arms one for its end), and each full garbage collection walks them all."""

    __slots__ = ("call", "due", "env", "fn", "while_alive")

    def __init__(self, env: Env, call: Call, due: float, fn: Callable[[], Any], while_alive: bool) -> None:
        self.env = env
        self.call = call
        self.due = due
        self.fn = fn
        self.while_alive = while_alive

    def __call__(self) -> None:
        env, call = self.env, self.call
        if not env.alive() or (self.while_alive and not call.is_alive):
            return
        try:
            env.run_at(self.due, self.fn)
        except Exception:  # a bug in one call must not stop the scheduler every call relies on
            log.exception("call timer failed for %s", call.call_control_id)


def later(env: Env, call: Call, delay: float, fn: Callable[[], Any], *, while_alive: bool = True) -> None:
    """Run ``fn`` after ``delay`` emulator seconds, unless the tenant was reset or (by default)
    the call has ended meanwhile."""
    due = env.now() + max(0.0, delay)
    env.scheduler.call_at(due, _CallTimer(env, call, due, fn, while_alive), tag=env.tag)


def new_call_control_id(env: Env) -> str:
    """Telnyx's ``v3:`` + URL-safe base64 form (seeded, so stable per seed)."""
    raw = env.ids.random.getrandbits(8 * 39).to_bytes(39, "big")
    return "v3:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def create_call(
    env: Env,
    *,
    direction: str,
    from_: str,
    to: str,
    connection_id: str,
    remote: Remote | None = None,
    session_id: str | None = None,
    client_state: str | None = None,
    webhook_url: str | None = None,
    webhook_urls: dict[str, list[str]] | None = None,
) -> Call:
    call = Call(
        call_control_id=new_call_control_id(env),
        call_leg_id=env.ids.uuid(),
        call_session_id=session_id or env.ids.uuid(),
        tenant=env.tenant.api_key,
        connection_id=connection_id,
        from_=from_,
        to=to,
        direction="incoming" if direction == "incoming" else "outgoing",
        created_at=env.now(),
        state="parked" if direction == "incoming" else "ringing",
        client_state=client_state,
        webhook_url=webhook_url,
        webhook_urls=dict(webhook_urls or {}),
        remote=remote or Remote(),
    )
    env.store.calls[call.call_control_id] = call
    return call


def initiated(env: Env, call: Call) -> None:
    extra: dict[str, Any] = {
        "direction": call.direction,
        "state": "parked" if call.direction == "incoming" else "bridging",
        "start_time": env.iso(call.created_at),
    }
    if call.custom_headers:
        extra["custom_headers"] = call.custom_headers
    emit(env, call, "call.initiated", extra)


def ring(env: Env, call: Call) -> None:
    """An outbound leg rings: the other party's outcome plays out on the clock. Delays count
    from the dial, so re-arming a restored ringing call (``service.rearm``) keeps its schedule."""
    remote = call.remote
    delay = remote.answer_after if remote.answer_after is not None else env.emulator.settings.answer_delay
    delay -= env.now() - call.created_at
    outcome = remote.outcome
    if outcome in ("answer", "voicemail"):
        later(env, call, delay, lambda: callee_answers(env, call) if call.state == "ringing" else None)
    elif outcome == "no_answer":
        wait = call.timeout_secs - (env.now() - call.created_at) if remote.answer_after is None else delay
        later(env, call, wait, lambda: _unanswered(env, call, "no_answer"))
    elif outcome in UNANSWERED:
        later(env, call, delay, lambda: _unanswered(env, call, outcome))
    # "manual": the control API answers / rejects it


def _unanswered(env: Env, call: Call, outcome: str) -> None:
    if call.state != "ringing":
        return
    cause, sip = UNANSWERED[outcome]
    end_call(env, call, cause=cause, source="callee", sip=sip)


def callee_answers(env: Env, call: Call) -> None:
    """The call is answered (by the other party on an outbound leg, or by ``actions/answer``)."""
    call.state = "answered"
    call.answered_at = env.now()
    extra: dict[str, Any] = {"state": "answered", "start_time": env.iso(call.created_at)}
    if call.custom_headers:
        extra["custom_headers"] = call.custom_headers
    emit(env, call, "call.answered", extra)
    hook = call.extra.get("on_answer")
    if callable(hook):
        hook(env, call)
    for started in env.hooks.answered:
        started(env, call)
    start_amd(env, call)
    arm_time_limit(env, call)
    run_remote(env, call)


def arm_time_limit(env: Env, call: Call) -> None:
    """End the call ``time_limit_secs`` after it was answered (also re-armed after a restore)."""
    if call.time_limit_secs and call.answered_at is not None:
        due = call.answered_at + call.time_limit_secs
        later(env, call, due - env.now(), lambda: end_call(env, call, cause="time_limit", source="unknown", sip="200"))


# -- answering-machine detection ---------------------------------------------------------------

PREMIUM_FROM_BASIC = {"human": "human_residence", "machine": "machine", "not_sure": "not_sure"}
BASIC_FROM_PREMIUM = {
    "human_residence": "human",
    "human_business": "human",
    "machine": "machine",
    "silence": "not_sure",
    "fax_detected": "machine",
    "not_sure": "not_sure",
}


def amd_result(call: Call) -> str:
    return call.remote.amd_result or ("machine" if call.remote.outcome == "voicemail" else "human")


def start_amd(env: Env, call: Call) -> None:
    mode = call.amd
    if mode in ("disabled", "", None):
        return
    result = amd_result(call)
    if mode == "premium":
        premium = PREMIUM_FROM_BASIC.get(result, result)
        later(env, call, AMD_DETECT_SECONDS, lambda: emit(env, call, "call.machine.premium.detection.ended", {"result": premium}))
        if premium == "machine":
            greeting = call.remote.greeting_result or "beep_detected"
            if greeting not in ("beep_detected", "no_beep_detected"):
                greeting = "beep_detected"
            later(
                env,
                call,
                AMD_DETECT_SECONDS + AMD_GREETING_SECONDS,
                lambda: emit(env, call, "call.machine.premium.greeting.ended", {"result": greeting}),
            )
        return
    basic = BASIC_FROM_PREMIUM.get(result, result)
    later(env, call, AMD_DETECT_SECONDS, lambda: emit(env, call, "call.machine.detection.ended", {"result": basic}))
    if basic == "machine" and mode in ("detect_beep", "greeting_end"):
        greeting = call.remote.greeting_result or ("beep_detected" if mode == "detect_beep" else "ended")
        if greeting not in ("beep_detected", "ended", "not_sure"):
            greeting = "ended"
        later(
            env,
            call,
            AMD_DETECT_SECONDS + AMD_GREETING_SECONDS,
            lambda: emit(env, call, "call.machine.greeting.ended", {"result": greeting}),
        )


# -- the other party's script ------------------------------------------------------------------


def run_remote(env: Env, call: Call) -> None:
    """Play the script from its head, in order, up to the next step that needs a listener.

    ``hangup`` ends the call after its ``after``; ``wait`` pauses the party for ``after`` seconds
    of emulator time, then the run goes on (:func:`resume`). An input step (press / say /
    silence) stops the run: it waits for a listener (:func:`take_input`) — or, when one is
    already waiting (it started before the step was scripted, or during a pause), is handed to
    it now through ``env.hooks.offered``. Whoever consumes an input step runs this again once
    the input has been given, so the steps after it follow in order (``press 9``, ``hangup``)."""
    steps = call.remote.steps
    while steps and call.is_alive and call.state == "answered":
        if PAUSED in call.extra:
            return  # resume() goes on when the pause is over
        head = steps[0]
        if head.action in INPUT_ACTIONS:
            any(offer(env, call) for offer in env.hooks.offered)  # the first waiting listener takes it
            return
        steps.pop(0)
        if head.action == "hangup":
            call.extra["remote_hangup_at"] = env.now() + head.after  # data, so a restore re-arms it
            later(env, call, head.after, lambda: remote_hangup(env, call))
            return
        if head.action == "wait":
            call.extra[PAUSED] = env.now() + head.after  # data, so a restore re-arms it
            later(env, call, head.after, lambda: resume(env, call))
            return
        # outcome steps (answer/busy/...) only matter before the call is answered: skip


def resume(env: Env, call: Call) -> None:
    """A ``wait`` step is over: the script goes on from the next step."""
    call.extra.pop(PAUSED, None)
    run_remote(env, call)


def input_given(env: Env, call: Call) -> None:
    """A listener has received a scripted input (the digits were pressed, the words heard): the
    steps after it run now."""
    run_remote(env, call)


def take_input(call: Call, kind: str) -> tuple[str, Step | None]:
    """What the other party gives a listener of ``kind`` (``dtmf`` or ``say``):
    ``("step", step)`` a scripted input, ``("silence", step)`` scripted silence,
    ``("default", None)`` the deterministic default of an unscripted party
    (:attr:`Remote.answers_by_default`), or ``("nothing", None)``: the listener waits (its own
    timeouts run) and may still be offered a step scripted later (``run_remote``)."""
    steps = call.remote.steps
    if PAUSED in call.extra:
        return "nothing", None  # the party is pausing (a ``wait`` step)
    if steps:
        head = steps[0]
        if head.action == kind:
            steps.pop(0)
            return "step", head
        if head.action == "silence":
            steps.pop(0)
            return "silence", head
        return "nothing", None  # the party will do something else first (e.g. speak, hang up)
    if call.remote.answers_by_default:
        return "default", None
    return "nothing", None


def remote_hangup(env: Env, call: Call) -> None:
    """The other party hangs up: for an outbound call that is the callee, else the caller."""
    if not call.is_alive:
        return
    source = "callee" if call.direction == "outgoing" else "caller"
    if call.state == "ringing":
        end_call(env, call, cause="originator_cancel", source=source, sip="487")
    elif call.state == "parked":
        end_call(env, call, cause="originator_cancel", source="caller", sip="487")
    else:
        end_call(env, call, cause="normal_clearing", source=source, sip="200")


def local_hangup(env: Env, call: Call) -> None:
    """``actions/hangup``: our side ends the call."""
    source = "caller" if call.direction == "outgoing" else "callee"
    if call.state == "ringing":
        end_call(env, call, cause="originator_cancel", source=source, sip="487")
    else:
        end_call(env, call, cause="normal_clearing", source=source, sip="200")


def end_call(env: Env, call: Call, *, cause: str, source: str, sip: str) -> None:
    """End the call once: running activities end (with their events), then ``call.hangup``,
    then what is produced after a hangup (recording saved, conversation ended, ...)."""
    if not call.is_alive:
        return
    for ending in env.hooks.hanging_up:
        ending(env, call)
    call.state = "ended"
    call.ended_at = env.now()
    call.hangup_cause, call.hangup_source, call.sip_hangup_cause = cause, source, sip
    emit(
        env,
        call,
        "call.hangup",
        {
            "state": "hangup",
            "hangup_cause": cause,
            "hangup_source": source,
            "sip_hangup_cause": sip,
            "start_time": env.iso(call.created_at),
        },
    )
    for after in env.hooks.hung_up:
        after(env, call)
    hook = call.extra.get("on_end")
    if callable(hook):
        hook(env, call)
    partner_id = call.bridged_with
    if partner_id:
        call.bridged_with = None
        partner = env.store.calls.get(partner_id)
        if partner is not None and partner.is_alive:
            partner.bridged_with = None
            if not partner.extra.get("park_after_unbridge"):
                end_call(env, partner, cause="normal_clearing", source=source, sip="200")
