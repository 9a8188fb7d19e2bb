"""Assistant scheduled events: an SMS or a phone call the assistant makes at a fixed time.

When the emulator clock reaches ``scheduled_at_fixed_datetime`` the event is dispatched: an
``sms_chat`` event opens a conversation holding the assistant's message; a ``phone_call`` event
records a call attempt and opens a conversation for it (the emulator does not dial a real call
from here). Either way the event moves pending -> completed and names its ``conversation_id``.
"""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emulator.core.errors import ErrorItem, NotFound, ValidationFailed
from emulator.families.assistants.common import assistants, now_iso, substitute
from emulator.families.assistants.rules import EVENT_DATETIME, SMS_EVENT_TEXT
from emulator.families.assistants.store import AssistantStore
from emulator.families.conversations.service import conversation_store
from emulator.http.binding import Reply, operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext
    from emulator.runtime.emulator import Emulator


def _parse(ctx: RequestContext, value: str, pointer: str, *, location: str = "body", stored: bool = False) -> float:
    """Seconds since the epoch for an ISO 8601 date-time with a zone (:data:`EVENT_DATETIME`;
    warned — or a ``stored`` value, accepted once already — no zone is UTC, unparseable is now)."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        error = ValidationFailed(items=[ErrorItem("not an ISO 8601 date-time", pointer=pointer if location == "body" else None,
                                                  parameter=None if location == "body" else pointer, location=location)])
        if not stored:
            ctx.business_rule(EVENT_DATETIME, error)
        return ctx.state.clock.now()
    if parsed.tzinfo is None:
        if not stored:
            ctx.business_rule(EVENT_DATETIME, ValidationFailed(items=[ErrorItem("the date-time needs a time zone", pointer=pointer)]))
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


@operation("create_scheduled_event")
async def create_event(ctx: RequestContext) -> Any:
    entry = assistants(ctx).entry(str(ctx.path["assistant_id"]))
    body = ctx.json
    channel = body["telnyx_conversation_channel"]
    if channel == "sms_chat" and not body.get("text"):
        ctx.business_rule(SMS_EVENT_TEXT, ValidationFailed(items=[ErrorItem("text is required for an sms_chat event.", pointer="/text")]))
        body = {**body, "text": str(entry.record.get("greeting") or "")}
    due = _parse(ctx, body["scheduled_at_fixed_datetime"], "/scheduled_at_fixed_datetime")
    event_id = ctx.tenant.ids.uuid()
    event: dict[str, Any] = {
        "scheduled_event_id": event_id, "assistant_id": entry.id, "status": "pending", "created_at": now_iso(ctx),
        "retry_count": 0, "errors": [],
        **{k: copy.deepcopy(v) for k, v in body.items() if v is not None},
    }
    if channel == "phone_call":
        event.setdefault("max_retries_client_errors", 0)
        event["call_attempts"] = []
    entry.events[event_id] = event
    api_key, emulator = ctx.api_key, ctx.emulator
    ctx.state.scheduler.call_at(max(due, ctx.state.clock.now()), lambda: _dispatch(emulator, api_key, entry.id, event_id), tag=f"tenant:{api_key}")
    return copy.deepcopy(event)


def _dispatch(emulator: Emulator, api_key: str, assistant_id: str, event_id: str) -> None:
    tenant = emulator.state.tenant(api_key)
    entry = tenant.store(AssistantStore).entries.get(assistant_id)
    event = entry.events.get(event_id) if entry else None
    if entry is None or event is None or event["status"] != "pending":
        return  # deleted (or the assistant was) before its time came
    store = conversation_store(emulator, api_key)
    channel = event["telnyx_conversation_channel"]
    metadata = {**{k: str(v) for k, v in (event.get("conversation_metadata") or {}).items()},
                "assistant_id": assistant_id, "telnyx_conversation_channel": channel,
                "telnyx_agent_target": event["telnyx_agent_target"], "telnyx_end_user_target": event["telnyx_end_user_target"]}
    conv = store.create(metadata)
    variables = {**(entry.record.get("dynamic_variables") or {}), **(event.get("dynamic_variables") or {}), **metadata}
    now = emulator.state.clock.iso()
    if channel == "sms_chat":
        store.add_message(conv["id"], "assistant", substitute(event.get("text", ""), variables))
    else:
        greeting = entry.record.get("greeting")
        if greeting:
            store.add_message(conv["id"], "assistant", substitute(greeting, variables))
        event["dispatched_at"] = now
        event["call_status"] = "completed"
        event["call_attempts"].append({"attempt_number": 1, "attempted_at": now, "call_status": "completed", "call_duration": 0})
        event["call_duration"] = 0
    event["conversation_id"] = conv["id"]
    event["status"] = "completed"


@operation("get_scheduled_events")
async def list_events(ctx: RequestContext) -> Any:
    entry = assistants(ctx).entry(str(ctx.path["assistant_id"]))
    q = ctx.query
    low = _parse(ctx, q["from_date"], "from_date", location="query") if q.get("from_date") else None
    high = _parse(ctx, q["to_date"], "to_date", location="query") if q.get("to_date") else None
    channel = q.get("conversation_channel")
    rows = []
    for event in entry.events.values():
        at = _parse(ctx, event["scheduled_at_fixed_datetime"], "/scheduled_at_fixed_datetime", stored=True)
        if (low is not None and at < low) or (high is not None and at > high):
            continue
        if channel and event["telnyx_conversation_channel"] != channel:
            continue
        rows.append(copy.deepcopy(event))
    page = q.get("page") or {}
    number, size = int(page.get("number", 1)), int(page.get("size", 20))
    return {"data": rows[(number - 1) * size: number * size],
            "meta": {"page_number": number, "page_size": size, "total_results": len(rows), "total_pages": max(1, math.ceil(len(rows) / size))}}


def _event(ctx: RequestContext) -> tuple[Any, dict[str, Any]]:
    entry = assistants(ctx).entry(str(ctx.path["assistant_id"]))
    event = entry.events.get(str(ctx.path["event_id"]))
    if event is None:
        raise NotFound(f"Assistant {entry.id} has no scheduled event {ctx.path['event_id']}")
    return entry, event


@operation("get_scheduled_event")
async def get_event(ctx: RequestContext) -> Any:
    return copy.deepcopy(_event(ctx)[1])


@operation("delete_scheduled_event")
async def delete_event(ctx: RequestContext) -> Any:
    entry, event = _event(ctx)
    del entry.events[event["scheduled_event_id"]]
    return Reply(None, 200)

