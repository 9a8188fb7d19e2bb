"""``POST /messages``: send an SMS or MMS. The emulated carrier accepts it at once; the message's
webhooks follow on its own lane — ``message.sent``, then ``message.finalized`` (delivered) — to
the request's ``webhook_url`` (``webhook_failover_url`` backing it up), else to the emulator's
default webhook URL. Messaging profiles are not emulated, so a profile's URL is never used."""

from __future__ import annotations

import uuid as uuidlib
from typing import TYPE_CHECKING, Any

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.core.rules import BusinessRule
from emulator.http.binding import operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

CONTENT_BY_TYPE = BusinessRule(
    name="messaging.content_by_type",
    checks=("a message names its recipient (to: the document makes the whole body optional) and its sender "
            "(from or messaging_profile_id); an SMS carries text, an MMS media_urls"),
    substitute="the message is sent as given (empty to, from, text or media)",
    # The published document marks text "Required for SMS", media_urls "Required for MMS", from
    # "Required if sending with a phone number"; the service answers 40xxx errors for them.
    real_api=True,
)
RULES = (CONTENT_BY_TYPE,)
GSM_PART, UCS2_PART = 160, 70


def _party(number: str | None, status: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"phone_number": number or "", "carrier": "Telnyx", "line_type": "Wireless"}
    if status is not None:
        out["status"] = status
    return out


def _check(ctx: RequestContext, body: dict[str, Any], kind: str) -> None:
    missing = []
    if not body.get("to"):
        missing.append(("to", "to is required."))
    if kind == "SMS" and not body.get("text"):
        missing.append(("text", "text is required for an SMS."))
    if kind == "MMS" and not body.get("media_urls"):
        missing.append(("media_urls", "media_urls is required for an MMS."))
    if not body.get("from") and not body.get("messaging_profile_id"):
        missing.append(("from", "from (or messaging_profile_id) is required."))
    if missing:
        ctx.business_rule(CONTENT_BY_TYPE, ValidationFailed(
            items=[ErrorItem(msg, pointer=f"/{name}", code="10004") for name, msg in missing]))


def message_payload(ctx: RequestContext, body: dict[str, Any], message_id: str, status: str) -> dict[str, Any]:
    text = str(body.get("text") or "")
    kind = body.get("type") or ("MMS" if body.get("media_urls") else "SMS")
    ucs2 = body.get("encoding") == "ucs2" or any(ord(c) > 127 for c in text)
    size = UCS2_PART if ucs2 else GSM_PART
    now = ctx.emulator.state.clock.iso()
    done = status in ("delivered", "delivery_failed")
    parts = max(1, min(10, -(-len(text) // size)))
    return {
        "record_type": "message", "direction": "outbound", "id": message_id, "type": kind,
        "organization_id": str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"telnyx-emulator:org:{ctx.api_key}")),
        "messaging_profile_id": body.get("messaging_profile_id") or "", "from": _party(body.get("from")),
        "to": [_party(body.get("to"), status)], "cc": [], "text": text, "subject": body.get("subject"),
        "media": [{"url": u, "content_type": None, "sha256": None, "size": None} for u in body.get("media_urls") or []],
        "webhook_url": body.get("webhook_url"), "webhook_failover_url": body.get("webhook_failover_url"),
        "encoding": "UCS-2" if ucs2 else "GSM-7", "parts": parts, "num_chars": len(text),
        "tags": [], "received_at": now, "sent_at": now if status != "queued" else None, "completed_at": now if done else None,
        "valid_until": None, "errors": [], "cost": {"amount": f"{0.004 * parts:.4f}", "currency": "USD"},
        "cost_breakdown": None, "smart_encoding_applied": False, "tcr_campaign_id": None, "tcr_campaign_billable": False,
        "tcr_campaign_registered": None, "wait_seconds": None,
    }


@operation("SendMessage")
async def send_message(ctx: RequestContext) -> dict[str, Any]:
    body = ctx.json
    kind = body.get("type") or ("MMS" if body.get("media_urls") else "SMS")
    _check(ctx, body, kind)
    message_id = ctx.tenant.ids.uuid()
    dispatcher = ctx.emulator.services.webhooks
    url = body.get("webhook_url")
    for event_type, status in (("message.sent", "sent"), ("message.finalized", "delivered")):
        dispatcher.emit(tenant=ctx.api_key, event_type=event_type, payload=message_payload(ctx, body, message_id, status),
                        urls=[url] if url else None, failover_url=body.get("webhook_failover_url"), ordering_key=message_id)
    return {"data": message_payload(ctx, body, message_id, "queued")}
