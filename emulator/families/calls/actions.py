"""Call-control handlers: dial, status, answer, hangup, reject, and the commands that change who
is on the call (transfer, bridge, refer) or its settings (client state, SIPREC, noise
suppression, supervisor role, DTMF out)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.families.calls import gather, implicit, lifecycle, queue, service, supervisor
from emulator.families.calls.commands import BASE_URL, check_client_state, env_of, find_call, perform, require_fields
from emulator.families.calls.errors import CallEnded, CallNotAnswered, CannotExecute, InvalidCallControlId, InvalidSendDigits
from emulator.families.calls.events import Env, emit
from emulator.families.calls.model import Call
from emulator.families.calls.rules import DTMF_DIGITS, POSITIVE_INTEGERS, SUPERVISOR_NOT_BRIDGED, WEBHOOK_URLS_HTTP
from emulator.http.binding import operation
from emulator.http.context import RequestContext

DTMF_OUT = re.compile(r"^[0-9A-DwW*#]+$")
DTMF_INVALID = re.compile(r"[^0-9A-DwW*#]")


def _destination(body: dict[str, Any]) -> str:
    to = body.get("to")
    if isinstance(to, list):  # simultaneous ring: the emulator rings the first destination
        to = next((t for t in to if isinstance(t, str) and t), None)
    if not isinstance(to, str) or not to:
        raise ValidationFailed(items=[ErrorItem("The 'to' parameter is required.", pointer="/to", code="10004")])
    return to.split(",", 1)[0]  # "+1800...,200" = number then DTMF to send on answer


def _webhook_urls(env: Env, body: dict[str, Any]) -> dict[str, list[str]]:
    """event type -> its URLs. The document maps an event type to one URL, the telnyx SDK to a
    list of them: both are accepted (the embedded document's marked correction). Each must be an
    absolute URI (the document's ``format: uri``, which request validation does not assert) —
    a 422 in every mode — and an http(s) one (``rules.WEBHOOK_URLS_HTTP``: warn mode drops it)."""
    urls = body.get("webhook_urls")
    if urls is None:
        return {}
    if not isinstance(urls, dict):
        raise ValidationFailed(
            items=[ErrorItem("webhook_urls must map event types to URLs.", pointer="/webhook_urls", kind="type_error")]
        )
    out: dict[str, list[str]] = {}
    for event_type, value in urls.items():
        pointer = f"/webhook_urls/{str(event_type).replace('~', '~0').replace('/', '~1')}"
        listed = [value] if isinstance(value, str) else value
        if not isinstance(listed, list) or not all(isinstance(u, str) for u in listed):
            raise ValidationFailed(items=[ErrorItem("webhook_urls must map event types to URLs.", pointer=pointer, kind="type_error")])
        kept = []
        for url in listed:
            parts = urlsplit(url)
            if not parts.scheme or not parts.netloc:
                raise ValidationFailed(items=[ErrorItem(f"webhook_urls: {url!r} is not a valid uri (an absolute http(s) URL).", pointer=pointer)])
            if parts.scheme not in ("http", "https"):
                error = ValidationFailed(items=[ErrorItem(f"webhook_urls: {url!r} is not an http(s) URL.", pointer=pointer)])
                env.business_rule(WEBHOOK_URLS_HTTP, error)
                continue
            kept.append(url)
        if kept:
            out[str(event_type)] = kept
    return out


def _seconds(env: Env, body: dict[str, Any], name: str, default: int) -> int:
    """``body[name]`` when an integer >= 1, else ``default`` (absent; warn mode: ``POSITIVE_INTEGERS``)."""
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        error = ValidationFailed(items=[ErrorItem(f"{name} must be a positive integer.", pointer=f"/{name}", code="10033")])
        env.business_rule(POSITIVE_INTEGERS, error)
        return default
    return value


def dial(env: Env, body: dict[str, Any], *, on_answer: Any = None, session_id: str | None = None) -> Call:
    """Create an outbound leg, emit ``call.initiated`` and let the other party's outcome play out."""
    require_fields(body, "connection_id", "from")
    to = _destination(body)
    check_client_state(env, body)
    urls = _webhook_urls(env, body)
    supervised = supervisor.target_of(env, body)
    call = lifecycle.create_call(
        env,
        direction="outgoing",
        from_=str(body["from"]),
        to=to,
        connection_id=str(body["connection_id"]),
        remote=service.claim_script(env, to),
        session_id=session_id,
        client_state=body.get("client_state"),
        webhook_url=body.get("webhook_url") or None,
        webhook_urls=urls,
    )
    call.timeout_secs = _seconds(env, body, "timeout_secs", 30)
    call.time_limit_secs = _seconds(env, body, "time_limit_secs", 14400)
    call.amd = str(body.get("answering_machine_detection") or "disabled")
    call.send_digits_on_answer = body.get("send_digits_on_answer")
    call.record_on_answer = body.get("record") == "record-from-answer"
    call.custom_headers = list(body.get("custom_headers") or [])
    if body.get("stream_url"):
        call.extra["stream_url"] = body["stream_url"]
    if body.get("park_after_unbridge"):
        call.extra["park_after_unbridge"] = body["park_after_unbridge"]
    if on_answer is not None:
        call.extra["on_answer"] = on_answer
    if supervised is not None:
        supervisor.attach(call, supervised, body.get("supervisor_role"))
    lifecycle.initiated(env, call)
    lifecycle.ring(env, call)
    return call


@operation("DialCall")
async def dial_call(ctx: RequestContext) -> dict[str, Any]:
    env = env_of(ctx)
    call = dial(env, ctx.json)
    call.extra[BASE_URL] = ctx.base_url()
    data = call.status_json(env.iso, env.now())
    data.pop("end_time", None)
    return {"data": data}


@operation("RetrieveCallStatus")
async def retrieve_call_status(ctx: RequestContext) -> dict[str, Any]:
    env = env_of(ctx)
    call = find_call(env, str(ctx.path.get("call_control_id", "")))
    return {"data": call.status_json(env.iso, env.now())}


@operation("AnswerCall")
async def answer_call(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        urls = _webhook_urls(env, body)
        if body.get("webhook_url"):
            call.webhook_url = body["webhook_url"]
        call.webhook_urls.update(urls)
        if body.get("record") == "record-from-answer":
            call.record_on_answer = True
        if body.get("stream_url"):
            call.extra["stream_url"] = body["stream_url"]
        lifecycle.callee_answers(env, call)

    return perform(ctx, act, require="unanswered_incoming")


@operation("HangupCall")
async def hangup_call(ctx: RequestContext) -> dict[str, Any]:
    return perform(ctx, lambda env, call, body: lifecycle.local_hangup(env, call), require="alive")


REJECT_CAUSES = {"CALL_REJECTED": ("call_rejected", "603"), "USER_BUSY": ("user_busy", "486")}


@operation("RejectCall")
async def reject_call(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        cause = body.get("cause") or "CALL_REJECTED"
        if cause not in REJECT_CAUSES:
            raise ValidationFailed(
                items=[ErrorItem("cause must be CALL_REJECTED or USER_BUSY.", pointer="/cause", code="10032")]
            )
        hangup_cause, sip = REJECT_CAUSES[cause]
        lifecycle.end_call(env, call, cause=hangup_cause, source="callee", sip=sip)

    return perform(ctx, act, require="unanswered_incoming")


@operation("UpdateClientState")
async def update_client_state(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        require_fields(body, "client_state")  # perform() already stored the new value

    return perform(ctx, act, require="alive")


@operation("SendDTMF")
async def send_dtmf(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        digits = body.get("digits")
        if not isinstance(digits, str) or not DTMF_OUT.match(digits):
            env.business_rule(
                DTMF_DIGITS, InvalidSendDigits(items=[ErrorItem("digits must be made of 0-9, A-D, *, # and w/W pauses.", pointer="/digits")])
            )
            digits = DTMF_INVALID.sub("", digits) if isinstance(digits, str) else ""
            if not digits:
                return
        call.extra.setdefault("sent_dtmf", []).append(digits)  # no webhook on the sending leg
        partner = env.store.calls.get(call.bridged_with or "")
        if partner is not None and partner.state == "answered":
            # a bridged leg hears the tones: its own call.dtmf.received (and gather) see them
            gather.press(env, partner, digits.replace("w", "").replace("W", ""))

    return perform(ctx, act)


@operation("SendSIPInfo")
async def send_sip_info(ctx: RequestContext) -> dict[str, Any]:
    """SIP INFO from this leg. The document publishes no webhook schema for it, so none is sent;
    the message is kept on the call (and, when bridged, on the leg that receives it) where
    ``GET /_emulator/calls/{id}`` shows it."""

    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        require_fields(body, "content_type", "body")
        if not isinstance(body["content_type"], str) or not isinstance(body["body"], str):
            raise ValidationFailed(
                items=[ErrorItem("content_type and body must be strings.", pointer="/body", code="10033")]
            )
        info = {"content_type": body["content_type"], "body": body["body"], "at": env.iso()}
        call.extra.setdefault("sip_info_sent", []).append(info)
        partner = env.store.calls.get(call.bridged_with or "")
        if partner is not None and partner.is_alive:
            partner.extra.setdefault("sip_info_received", []).append(info)

    return perform(ctx, act)


@operation("TransferCall")
async def transfer_call(ctx: RequestContext) -> dict[str, Any]:
    """A new outbound leg to ``to``; when it answers, both legs get ``call.bridged``."""

    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        to = _destination(body)
        leg_body = {
            "connection_id": call.connection_id,
            "from": body.get("from") or call.to,
            "to": to,
            "timeout_secs": body.get("timeout_secs"),
            "time_limit_secs": body.get("time_limit_secs"),
            "answering_machine_detection": body.get("answering_machine_detection"),
            "webhook_url": body.get("webhook_url") or call.webhook_url,
            "client_state": body.get("target_leg_client_state"),
        }
        if body.get("target_leg_client_state") is not None:
            check_client_state(env, {"client_state": body["target_leg_client_state"]})
        if call.direction == "incoming" and call.state == "parked":
            lifecycle.callee_answers(env, call)
        leg = dial(env, {k: v for k, v in leg_body.items() if v is not None}, on_answer=bridge_to_origin, session_id=call.call_session_id)
        leg.extra["transfer_from"] = call.call_control_id

    return perform(ctx, act, require="alive")


def bridge_to_origin(env: Env, leg: Call) -> None:
    """A transfer's new leg answered: bridge it to the call it was transferred from, if that
    is still up. A module-level hook with its target as data, so snapshots keep it."""
    original = env.store.calls.get(str(leg.extra.get("transfer_from") or ""))
    if original is not None and original.is_alive:
        bridge(env, original, leg)


def bridge(env: Env, a: Call, b: Call) -> None:
    """Join two legs; a leg waiting in a queue leaves it first (``call.dequeued``, bridged)."""
    queue.leave(env, a, "bridged")
    queue.leave(env, b, "bridged")
    a.bridged_with, b.bridged_with = b.call_control_id, a.call_control_id
    emit(env, a, "call.bridged")
    emit(env, b, "call.bridged")


@operation("BridgeCall")
async def bridge_call(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        require_fields(body, "call_control_id")
        other_id = str(body["call_control_id"])
        if other_id not in env.store.calls and env.creates_unknown_ids:
            implicit.adopt_call(env.emulator, env.tenant.api_key, {"call_control_id": other_id}, {})
        other = env.store.calls.get(other_id)
        if other is None:
            raise InvalidCallControlId(items=[ErrorItem("The call_control_id provided was not valid.", pointer="/call_control_id")])
        if other is call:
            raise CannotExecute("A call can't be bridged to itself.")
        if not other.is_alive:
            raise CallEnded("The call to bridge with is no longer active.")
        if other.direction == "incoming" and other.state == "parked":
            lifecycle.callee_answers(env, other)
        elif other.state != "answered":
            raise CallNotAnswered("The call to bridge with has not been answered yet.")
        if body.get("park_after_unbridge"):
            call.extra["park_after_unbridge"] = body["park_after_unbridge"]
        bridge(env, call, other)

    return perform(ctx, act)


@operation("ReferCall")
async def refer_call(ctx: RequestContext) -> dict[str, Any]:
    """SIP REFER: started (100 Trying), then completed (200) and the referred party leaves —
    or failed (603) when the script says the other party rejects it."""

    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        require_fields(body, "sip_address")
        emit(env, call, "call.refer.started", {"sip_notify_response": 100})
        fails = call.remote.take_failure("refer_fail")

        def finish() -> None:
            if fails:
                emit(env, call, "call.refer.failed", {"sip_notify_response": 603})
                return
            emit(env, call, "call.refer.completed", {"sip_notify_response": 200})
            lifecycle.end_call(env, call, cause="normal_clearing", source="callee", sip="200")

        lifecycle.later(env, call, 1.0, finish)

    return perform(ctx, act)


@operation("StartSiprecSession")
async def siprec_start(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        if call.siprec is not None:
            raise CannotExecute("A SIPREC session is already running on this call.")
        connector = body.get("connector_name")
        if call.remote.take_failure("siprec_fail"):
            emit(env, call, "siprec.failed", {"failure_cause": "NORMAL_TEMPORARY_FAILURE"})
            return
        call.siprec = {"connector_name": connector, "track": body.get("siprec_track", "both_tracks")}
        emit(env, call, "siprec.started")

    return perform(ctx, act)


@operation("StopSiprecSession")
async def siprec_stop(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        if call.siprec is None:
            raise CannotExecute("There is no SIPREC session running on this call.")
        call.siprec = None
        emit(env, call, "siprec.stopped", {"hangup_cause": "normal_clearing"})

    return perform(ctx, act)


@operation("noiseSuppressionStart")
async def suppression_start(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        call.suppression = {
            "direction": body.get("direction", "inbound"),
            "engine": body.get("noise_suppression_engine", "Denoiser"),
        }

    return perform(ctx, act)


@operation("noiseSuppressionStop")
async def suppression_stop(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        if call.suppression is None:
            raise CannotExecute("Noise suppression is not running on this call.")
        call.suppression = None

    return perform(ctx, act)


@operation("SwitchSupervisorRole")
async def switch_supervisor_role(ctx: RequestContext) -> dict[str, Any]:
    def act(env: Env, call: Call, body: dict[str, Any]) -> None:
        role = body.get("role")
        if role not in ("barge", "whisper", "monitor"):
            raise ValidationFailed(
                items=[ErrorItem("role must be one of barge, whisper, monitor.", pointer="/role", code="10032")]
            )
        if not supervisor.is_joined(env, call):
            env.business_rule(SUPERVISOR_NOT_BRIDGED, CannotExecute("The call is not bridged, so it has no supervisor role to switch."))
        call.supervisor_role = role  # a supervisor leg's role says who hears it (supervisor.py)

    return perform(ctx, act)
