"""``POST /texml/ai_calls/{connection_id}``: an outbound call answered by an AI assistant.

The call is a simulated call like any other (the other party follows the script queued for
``To``), but it reports through TeXML-style form callbacks instead of call-control webhooks:
status callbacks ``initiated``, ``ringing``, ``answered``, one terminal status (``completed``,
``no-answer``, ``busy``, ``canceled``, ``failed``) and then ``analyzed``, sent to
``StatusCallback``/``StatusCallbacks`` filtered by ``StatusCallbackEvent``; conversation
callbacks ``conversation_created`` / ``conversation_ended`` to ``ConversationCallback(s)``.

Answering-machine detection (``MachineDetection``): the result comes from the callee's script
(a ``voicemail`` callee is a machine, an ``amd <result>`` step names it, else a human). With
``AsyncAmd`` it goes to ``AsyncAmdStatusCallback`` while the assistant already talks; without,
the assistant waits for it and the ``answered`` status callback (and the later ones) carry
``AnsweredBy``. ``Record``: the call is recorded from the answer (``recordings.py``), reported
to ``RecordingStatusCallback`` as ``in-progress``, then ``completed`` with a ``RecordingUrl`` the
emulator serves (or ``absent`` when nothing was said), filtered by ``RecordingStatusCallbackEvent``.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.core.rules import BusinessRule
from emulator.families.calls import ai, lifecycle, recordings, service
from emulator.families.calls.commands import env_of
from emulator.families.calls.events import Env
from emulator.families.calls.model import AI_TURN_SECONDS, AiSession, Call, Step
from emulator.http.binding import operation
from emulator.http.context import RequestContext

STATUS_EVENTS = ("initiated", "ringing", "answered", "completed", "no-answer", "busy", "canceled", "failed", "analyzed")
CALL_STATUS = {"initiated": "initiated", "ringing": "ringing", "answered": "in-progress", "analyzed": "completed"}
TERMINAL = {"user_busy": "busy", "call_rejected": "busy", "timeout": "no-answer", "not_found": "failed", "originator_cancel": "canceled"}
RECORDING_EVENTS = ("in-progress", "completed", "absent")
FORBIDDEN = ("Twiml", "Texml", "Url")
ANALYZE_SECONDS = 1.0
RECORDING_SOURCE = "OutboundAPI"  # Telnyx's name for a recording asked for by the call's REST request

CALLBACK_EVENTS = BusinessRule(
    name="calls.texml_callback_events",
    checks="StatusCallbackEvent / RecordingStatusCallbackEvent are space-separated values of the events the document lists",
    substitute="unknown values are ignored; with none left, the default (completed)",
)
RULES = (CALLBACK_EVENTS,)


def account_sid(api_key: str) -> str:
    """A stable account id per API key (Telnyx puts the account in every TeXML callback)."""
    return str(uuid.UUID(bytes=hashlib.sha256(f"account:{api_key}".encode()).digest()[:16], version=4))


def _bad_events(body: dict[str, Any], name: str, allowed: tuple[str, ...]) -> ErrorItem | None:
    events = body.get(name)
    if events is None or (isinstance(events, str) and all(e in allowed for e in events.split())):
        return None
    return ErrorItem(f"{name} must be space-separated values of: {', '.join(allowed)}.", pointer=f"/{name}")


def _events(value: Any, allowed: tuple[str, ...]) -> set[str]:
    """The events asked for (unknown ones dropped: only reached when the rule let them through)."""
    wanted = {e for e in (value if isinstance(value, str) else "").split() if e in allowed}
    return wanted or {"completed"}


def _validate(ctx: RequestContext, body: dict[str, Any]) -> None:
    items = [ErrorItem(f"The '{f}' parameter is not allowed for AI calls.", pointer=f"/{f}") for f in FORBIDDEN if f in body]
    items += [ErrorItem(f"The '{f}' parameter is required.", pointer=f"/{f}", code="10004") for f in ("From", "To", "AIAssistantId") if not body.get(f)]
    ruled = [i for i in (_bad_events(body, "StatusCallbackEvent", STATUS_EVENTS), _bad_events(body, "RecordingStatusCallbackEvent", RECORDING_EVENTS)) if i]
    others: list[ErrorItem] = []
    for name in ("StatusCallbackMethod", "ConversationCallbackMethod"):
        if body.get(name) is not None and body[name] not in ("GET", "POST"):
            others.append(ErrorItem(f"{name} must be GET or POST.", pointer=f"/{name}"))
    for name in ("StatusCallbacks", "ConversationCallbacks"):
        if body.get(name) is not None and (not isinstance(body[name], list) or not all(isinstance(u, str) for u in body[name])):
            others.append(ErrorItem(f"{name} must be an array of URLs.", pointer=f"/{name}"))
    if ruled:  # enforce: one error naming everything wrong; warn: the unknown events are dropped
        ctx.business_rule(CALLBACK_EVENTS, ValidationFailed(items=items + ruled + others))
    if items or others:
        raise ValidationFailed(items=items + others)


def _urls(one: Any, many: Any) -> list[str]:
    urls = [u for u in (many or []) if isinstance(u, str) and u]
    if isinstance(one, str) and one:
        urls.insert(0, one)
    return list(dict.fromkeys(urls))


def _send(env: Env, call: Call, urls: list[str], method: str, fields: dict[str, str], event_type: str) -> None:
    dispatcher = env.emulator.services.webhooks
    for url in urls:
        dispatcher.emit_form(
            tenant=env.tenant.api_key, url=url, method=method, fields=fields,
            ordering_key=call.call_control_id, kind="texml", event_type=event_type,
        )


def _ids(call: Call) -> dict[str, str]:
    """What every TeXML callback names: the account, the call and its connection."""
    return {
        "AccountSid": call.extra["texml"]["account_sid"],
        "CallSid": call.call_control_id,
        "CallSidLegacy": call.call_leg_id,
        "ConnectionId": call.connection_id,
    }


def _common(env: Env, call: Call) -> dict[str, str]:
    return {**_ids(call), "From": call.from_, "To": call.to, "Direction": "outbound-api", "Timestamp": env.iso()}


def status(env: Env, call: Call, event: str) -> None:
    info = call.extra["texml"]
    info["sequence"] += 1
    if event not in info["events"]:
        return
    fields = {**_common(env, call), "CallStatus": CALL_STATUS.get(event, event), "StatusCallbackEvent": event,
              "CallbackSource": "call-progress-events", "SequenceNumber": str(info["sequence"])}
    if event in ("completed", "analyzed"):
        fields["CallDuration"] = str(call.duration(env.now()) if call.answered_at is None else int((call.ended_at or env.now()) - call.answered_at))
    amd = info.get("amd")
    if amd and not amd["async"] and amd.get("result"):  # synchronous AMD: the status callbacks say who answered
        fields["AnsweredBy"] = amd["result"]
    if event == "analyzed" and info.get("conversation_id"):
        fields["ConversationId"] = info["conversation_id"]
    _send(env, call, info["status_urls"], info["status_method"], fields, f"texml.ai_call.{event}")


def conversation(env: Env, call: Call, event: str) -> None:
    info = call.extra["texml"]
    fields = {**_common(env, call), "ConversationEvent": event, "ConversationId": info["conversation_id"],
              "AIAssistantId": info["assistant_id"]}
    _send(env, call, info["conversation_urls"], info["conversation_method"], fields, f"texml.ai_call.{event}")


# -- answering-machine detection -----------------------------------------------------------------

ANSWERED_BY = ("human", "machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax", "unknown")
MACHINE_END = {"beep_detected": "machine_end_beep", "no_beep_detected": "machine_end_silence", "ended": "machine_end_silence"}


def _detect(call: Call, amd: dict[str, Any]) -> tuple[str, int]:
    """(AnsweredBy, milliseconds it takes) for this callee: a human or a fax is told within the
    first second; ``DetectMessageEnd`` waits for a machine's greeting to end (its beep). Past
    ``MachineDetectionTimeout`` the answer is ``unknown``, at the timeout."""
    raw = lifecycle.amd_result(call)
    first = int(lifecycle.AMD_DETECT_SECONDS * 1000)
    if raw in ("human", "human_residence", "human_business"):
        found, ms = "human", first
    elif raw in ("fax", "fax_detected"):
        found, ms = "fax", first
    elif raw == "machine" or raw.startswith("machine_"):
        if amd["mode"] != "DetectMessageEnd":
            found, ms = "machine_start", first
        else:
            end = raw if raw.startswith("machine_end_") and raw in ANSWERED_BY else None
            found = end or MACHINE_END.get(call.remote.greeting_result or "beep_detected", "machine_end_other")
            ms = int((lifecycle.AMD_DETECT_SECONDS + lifecycle.AMD_GREETING_SECONDS) * 1000)
    else:  # not_sure, silence, unknown, anything else
        found, ms = "unknown", first
    if ms > amd["timeout_ms"]:
        return "unknown", amd["timeout_ms"]
    return found, ms


def _amd_done(env: Env, call: Call, answered_by: str, ms: int) -> None:
    """The detection has its answer: to the async callback, or (sync) the call goes on."""
    info = call.extra["texml"]
    amd = info["amd"]
    if amd.get("result"):
        return
    amd["result"] = answered_by
    if amd["async"]:
        fields = {**_ids(call), "AnsweredBy": answered_by, "MachineDetectionDuration": str(ms)}
        _send(env, call, amd["urls"], amd["method"], fields, "texml.ai_call.amd")
        return
    status(env, call, "answered")
    if call.is_alive:
        _converse(env, call)


# -- the call's turns -------------------------------------------------------------------------------


def recording_event(env: Env, call: Call, event: str, saved: dict[str, Any] | None = None) -> None:
    info = call.extra["texml"]
    rec = info["recording"]
    if event not in rec["events"]:
        return
    fields = {**_ids(call), "RecordingChannels": "2" if rec["channels"] == "dual" else "1", "RecordingSource": RECORDING_SOURCE,
              "RecordingStatus": event, "RecordingSid": rec["sid"]}
    if saved is not None:
        fields["RecordingDuration"] = str(recordings.duration(saved))
        if event == "completed" and rec["send_url"]:
            fields["RecordingUrl"] = saved["url"]
    _send(env, call, rec["urls"], rec["method"], fields, f"texml.ai_call.recording.{event}")


def _converse(env: Env, call: Call) -> None:
    """The assistant takes the call (once the synchronous AMD, if any, has answered)."""
    info = call.extra["texml"]
    session = AiSession(kind="assistant", conversation_id=env.ids.uuid(), started_at=env.now(), assistant_id=info["assistant_id"])
    info["conversation_id"] = session.conversation_id
    call.ai = session
    ai.record_conversation(env, session, call)
    conversation(env, call, "conversation_created")
    ai.listen(env, call, session, AI_TURN_SECONDS)


def _answered(env: Env, call: Call) -> None:
    info = call.extra["texml"]
    rec = info.get("recording")
    if rec is not None:  # Record: from the answer to the hangup
        started = recordings.begin(env, call, channels=rec["channels"], fmt="wav", track=rec["track"], base_url=info["base_url"])
        rec["sid"] = started["recording_id"]
        recording_event(env, call, "in-progress")
    amd = info.get("amd")
    if amd is None:
        status(env, call, "answered")
        _converse(env, call)
        return
    answered_by, ms = _detect(call, amd)
    lifecycle.later(env, call, ms / 1000, lambda: _amd_done(env, call, answered_by, ms))
    if amd["async"]:
        status(env, call, "answered")
        _converse(env, call)


def _ended(env: Env, call: Call) -> None:
    info = call.extra["texml"]
    amd = info.get("amd")
    if amd is not None and call.answered_at is not None and not amd.get("result"):
        # hung up before the detection had an answer: it reports unknown, as of the hangup
        _amd_done(env, call, "unknown", int(1000 * ((call.ended_at or env.now()) - call.answered_at)))
    terminal = "completed" if call.answered_at is not None else TERMINAL.get(call.hangup_cause or "", "failed")
    status(env, call, terminal)
    if info.get("conversation_id"):
        conversation(env, call, "conversation_ended")
    rec = info.get("recording")
    saved = recordings.find(env, rec["sid"]) if rec is not None and rec.get("sid") else None
    if rec is not None and saved is not None:  # filed by the hangup (``media.after_hangup``)
        recording_event(env, call, "absent" if recordings.is_absent(saved) else "completed", saved)
    lifecycle.later(env, call, ANALYZE_SECONDS, lambda: status(env, call, "analyzed"), while_alive=False)


# -- the request --------------------------------------------------------------------------------------


def _amd_options(body: dict[str, Any]) -> dict[str, Any] | None:
    mode = body.get("MachineDetection")
    if mode not in ("Enable", "DetectMessageEnd"):
        return None
    timeout = body.get("MachineDetectionTimeout")
    return {
        "mode": mode,
        "async": body.get("AsyncAmd") is True,
        "urls": _urls(body.get("AsyncAmdStatusCallback"), None),
        "method": body.get("AsyncAmdStatusCallbackMethod") or "POST",
        "timeout_ms": timeout if isinstance(timeout, int) and not isinstance(timeout, bool) and timeout > 0 else 30000,
        "result": None,
    }


def _recording_options(body: dict[str, Any]) -> dict[str, Any] | None:
    if body.get("Record") is not True:
        return None
    track = body.get("RecordingTrack")
    return {
        "channels": "dual" if body.get("RecordingChannels") == "dual" else "single",
        "track": track if track in recordings.TRACKS else "both",
        "urls": _urls(body.get("RecordingStatusCallback"), None),
        "method": body.get("RecordingStatusCallbackMethod") or "POST",
        "events": _events(body.get("RecordingStatusCallbackEvent"), RECORDING_EVENTS),
        "send_url": body.get("SendRecordingUrl") is not False,
        "sid": None,
    }


@operation("InitiateTexmlAICall")
async def initiate_ai_call(ctx: RequestContext) -> dict[str, Any]:
    body = ctx.json
    _validate(ctx, body)
    env = env_of(ctx)
    to = str(body["To"])
    remote = service.claim_script(env, to)
    if not remote.scripted and not remote.steps:
        # Unscripted: the callee greets the assistant once, then hangs up, so the flow completes.
        remote.steps = [Step(action="say", text="Hi, this is a test call."), Step(action="hangup", after=5.0)]
    connection_id = str(ctx.path.get("connection_id", ""))
    call = lifecycle.create_call(env, direction="outgoing", from_=str(body["From"]), to=to, connection_id=connection_id, remote=remote)
    call.timeout_secs = body["Timeout"] if isinstance(body.get("Timeout"), int) and body["Timeout"] > 0 else 30
    call.time_limit_secs = body["TimeLimit"] if isinstance(body.get("TimeLimit"), int) and body["TimeLimit"] > 0 else 14400
    call.extra["texml"] = {
        "account_sid": account_sid(env.tenant.api_key),
        "assistant_id": str(body["AIAssistantId"]),
        "status_urls": _urls(body.get("StatusCallback"), body.get("StatusCallbacks")),
        "status_method": body.get("StatusCallbackMethod") or "POST",
        "events": _events(body.get("StatusCallbackEvent"), STATUS_EVENTS),
        "conversation_urls": _urls(body.get("ConversationCallback"), body.get("ConversationCallbacks")),
        "conversation_method": body.get("ConversationCallbackMethod") or "POST",
        "sequence": -1,
        "conversation_id": None,
        "amd": _amd_options(body),
        "recording": _recording_options(body),
        "base_url": ctx.base_url(),  # the RecordingUrl is built from how the client addressed us
    }
    call.extra["on_answer"] = _answered
    call.extra["on_end"] = _ended
    status(env, call, "initiated")
    status(env, call, "ringing")
    lifecycle.ring(env, call)
    return {"call_sid": call.call_control_id, "from": call.from_, "to": call.to, "status": "queued"}
