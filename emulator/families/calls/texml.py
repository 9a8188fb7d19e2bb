"""``POST /texml/ai_calls/{connection_id}``: an outbound call answered by an AI assistant.

The call is a simulated call like any other (the other party follows the script queued for
``To``), but it reports through TeXML-style form callbacks instead of call-control webhooks:
status callbacks ``initiated``, ``ringing``, ``answered``, one terminal status (``completed``,
``no-answer``, ``busy``, ``canceled``, ``failed``) and then ``analyzed``, sent to
``StatusCallback``/``StatusCallbacks`` filtered by ``StatusCallbackEvent``; conversation
callbacks ``conversation_created`` / ``conversation_ended`` to ``ConversationCallback(s)``.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.families.calls import ai, lifecycle, service
from emulator.families.calls.commands import env_of
from emulator.families.calls.events import Env
from emulator.families.calls.model import AI_TURN_SECONDS, AiSession, Call, Step
from emulator.http.binding import operation
from emulator.http.context import RequestContext

STATUS_EVENTS = ("initiated", "ringing", "answered", "completed", "no-answer", "busy", "canceled", "failed", "analyzed")
CALL_STATUS = {"initiated": "initiated", "ringing": "ringing", "answered": "in-progress", "analyzed": "completed"}
TERMINAL = {"user_busy": "busy", "call_rejected": "busy", "timeout": "no-answer", "not_found": "failed", "originator_cancel": "canceled"}
FORBIDDEN = ("Twiml", "Texml", "Url")
ANALYZE_SECONDS = 1.0


def account_sid(api_key: str) -> str:
    """A stable account id per API key (Telnyx puts the account in every TeXML callback)."""
    return str(uuid.UUID(bytes=hashlib.sha256(f"account:{api_key}".encode()).digest()[:16], version=4))


def _validate(body: dict[str, Any]) -> None:
    items = [ErrorItem(f"The '{f}' parameter is not allowed for AI calls.", pointer=f"/{f}") for f in FORBIDDEN if f in body]
    items += [ErrorItem(f"The '{f}' parameter is required.", pointer=f"/{f}", code="10004") for f in ("From", "To", "AIAssistantId") if not body.get(f)]
    events = body.get("StatusCallbackEvent")
    if events is not None and (not isinstance(events, str) or any(e not in STATUS_EVENTS for e in events.split())):
        items.append(ErrorItem(f"StatusCallbackEvent must be space-separated values of: {', '.join(STATUS_EVENTS)}.", pointer="/StatusCallbackEvent"))
    for name in ("StatusCallbackMethod", "ConversationCallbackMethod"):
        if body.get(name) is not None and body[name] not in ("GET", "POST"):
            items.append(ErrorItem(f"{name} must be GET or POST.", pointer=f"/{name}"))
    for name in ("StatusCallbacks", "ConversationCallbacks"):
        if body.get(name) is not None and (not isinstance(body[name], list) or not all(isinstance(u, str) for u in body[name])):
            items.append(ErrorItem(f"{name} must be an array of URLs.", pointer=f"/{name}"))
    if items:
        raise ValidationFailed(items=items)


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


def _common(env: Env, call: Call) -> dict[str, str]:
    info = call.extra["texml"]
    return {
        "AccountSid": info["account_sid"],
        "CallSid": call.call_control_id,
        "CallSidLegacy": call.call_leg_id,
        "ConnectionId": call.connection_id,
        "From": call.from_,
        "To": call.to,
        "Direction": "outbound-api",
        "Timestamp": env.iso(),
    }


def status(env: Env, call: Call, event: str) -> None:
    info = call.extra["texml"]
    info["sequence"] += 1
    if event not in info["events"]:
        return
    fields = {**_common(env, call), "CallStatus": CALL_STATUS.get(event, event), "StatusCallbackEvent": event,
              "CallbackSource": "call-progress-events", "SequenceNumber": str(info["sequence"])}
    if event in ("completed", "analyzed"):
        fields["CallDuration"] = str(call.duration(env.now()) if call.answered_at is None else int((call.ended_at or env.now()) - call.answered_at))
    if event == "analyzed" and info.get("conversation_id"):
        fields["ConversationId"] = info["conversation_id"]
    _send(env, call, info["status_urls"], info["status_method"], fields, f"texml.ai_call.{event}")


def conversation(env: Env, call: Call, event: str) -> None:
    info = call.extra["texml"]
    fields = {**_common(env, call), "ConversationEvent": event, "ConversationId": info["conversation_id"],
              "AIAssistantId": info["assistant_id"]}
    _send(env, call, info["conversation_urls"], info["conversation_method"], fields, f"texml.ai_call.{event}")


def _answered(env: Env, call: Call) -> None:
    status(env, call, "answered")
    info = call.extra["texml"]
    session = AiSession(kind="assistant", conversation_id=env.ids.uuid(), started_at=env.now(), assistant_id=info["assistant_id"])
    info["conversation_id"] = session.conversation_id
    call.ai = session
    ai.record_conversation(env, session, call)
    conversation(env, call, "conversation_created")
    ai.listen(env, call, session, AI_TURN_SECONDS)


def _ended(env: Env, call: Call) -> None:
    info = call.extra["texml"]
    terminal = "completed" if call.answered_at is not None else TERMINAL.get(call.hangup_cause or "", "failed")
    status(env, call, terminal)
    if info.get("conversation_id"):
        conversation(env, call, "conversation_ended")
    lifecycle.later(env, call, ANALYZE_SECONDS, lambda: status(env, call, "analyzed"), while_alive=False)


@operation("InitiateTexmlAICall")
async def initiate_ai_call(ctx: RequestContext) -> dict[str, Any]:
    body = ctx.json
    _validate(body)
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
    wanted = (body.get("StatusCallbackEvent") or "completed").split()
    call.extra["texml"] = {
        "account_sid": account_sid(env.tenant.api_key),
        "assistant_id": str(body["AIAssistantId"]),
        "status_urls": _urls(body.get("StatusCallback"), body.get("StatusCallbacks")),
        "status_method": body.get("StatusCallbackMethod") or "POST",
        "events": set(wanted),
        "conversation_urls": _urls(body.get("ConversationCallback"), body.get("ConversationCallbacks")),
        "conversation_method": body.get("ConversationCallbackMethod") or "POST",
        "sequence": -1,
        "conversation_id": None,
    }
    call.extra["on_answer"] = _answered
    call.extra["on_end"] = _ended
    status(env, call, "initiated")
    status(env, call, "ringing")
    lifecycle.ring(env, call)
    return {"call_sid": call.call_control_id, "from": call.from_, "to": call.to, "status": "queued"}
