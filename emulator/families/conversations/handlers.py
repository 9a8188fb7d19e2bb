"""``/ai/conversations``: list (PostgREST filters), create, get, update metadata, delete, add a
message, list messages. Records live in :class:`~emulator.families.conversations.store.ConversationStore`,
shared with assistant chat and AI-on-call flows."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.families.conversations import postgrest
from emulator.families.conversations.implicit import CONVERSATION
from emulator.families.conversations.rules import FILTER_SYNTAX, MESSAGE_ROLE, TOOL_CALL_FUNCTION, TOOL_CALL_ID
from emulator.families.conversations.service import conversations
from emulator.http.binding import Reply, operation
from emulator.runtime.implicit import Tombstones

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

COLUMNS = {"id", "name", "created_at", "last_message_at"}
JSON_COLUMNS = {"metadata"}
ROLES = ("user", "assistant", "tool")


@operation("get_conversations_public_conversations_get")
async def list_conversations(ctx: RequestContext) -> Any:
    """Filtered with PostgREST syntax over the raw query string (any ``metadata->key`` works,
    not only the ones the document lists); newest first unless ``order`` says otherwise."""
    query = postgrest.parse(ctx.request.query_params.multi_items(), COLUMNS, JSON_COLUMNS,
                            on_bad=lambda error: ctx.business_rule(FILTER_SYNTAX, error))
    records = list(reversed(conversations(ctx).list()))
    return {"data": postgrest.apply(records, query)}


@operation("create_new_conversation_public_conversations_post")
async def create(ctx: RequestContext) -> Any:
    return conversations(ctx).create(ctx.json.get("metadata") or {}, ctx.json.get("name"))


@operation("get_conversation_by_id_public_conversations_get")
async def get(ctx: RequestContext) -> Any:
    return {"data": conversations(ctx).get(str(ctx.path["conversation_id"]))}


@operation("update_conversation_by_id_public_conversations_put")
async def update(ctx: RequestContext) -> Any:
    return {"data": conversations(ctx).update_metadata(str(ctx.path["conversation_id"]), ctx.json.get("metadata") or {})}


@operation("delete_conversation_by_id_public_conversations_delete")
async def delete(ctx: RequestContext) -> Any:
    store = conversations(ctx)
    names = store.names_of(str(ctx.path["conversation_id"]))
    store.delete(names[0])
    deleted = ctx.tenant.store(Tombstones).deleted  # under every name: none makes it anew
    deleted.update((CONVERSATION, (name,)) for name in names)
    return Reply(None, 200)


@operation("add_new_message")
async def add_message(ctx: RequestContext) -> Any:
    body = ctx.json
    role = str(body["role"])
    if role not in ROLES:
        ctx.business_rule(MESSAGE_ROLE, ValidationFailed(items=[ErrorItem(f"role must be one of {', '.join(ROLES)}", pointer="/role")]))
        role = "user"
    store = conversations(ctx)
    conversation_id = str(ctx.path["conversation_id"])
    store.get(conversation_id)  # 404 before any write
    calls = []
    for i, call in enumerate(body.get("tool_calls") or []):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not function.get("name"):
            ctx.business_rule(TOOL_CALL_FUNCTION, ValidationFailed(items=[ErrorItem(
                "a tool call needs function.name (and function.arguments)", pointer=f"/tool_calls/{i}/function")]))
            continue
        calls.append(call)
    if role == "tool" and not body.get("tool_call_id"):
        ctx.business_rule(TOOL_CALL_ID, ValidationFailed(items=[ErrorItem("a tool message needs tool_call_id", pointer="/tool_call_id")]))
    store.add_message(
        conversation_id, role, body.get("content") or "", calls or None,
        sent_at=body.get("sent_at"), name=body.get("name"), tool_call_id=body.get("tool_call_id"), metadata=body.get("metadata"),
    )
    return Reply(None, 200)


@operation("get_conversations_public__conversation_id__messages_get")
async def list_messages(ctx: RequestContext) -> Any:
    """Newest first, as the product lists them; paginated with ``page[number]``/``page[size]``."""
    messages = list(reversed(conversations(ctx).list_messages(str(ctx.path["conversation_id"]))))
    number = int(ctx.query.get("page[number]") or (ctx.query.get("page") or {}).get("number") or 1)
    size = int(ctx.query.get("page[size]") or (ctx.query.get("page") or {}).get("size") or 20)
    rows = [_message_view(m) for m in messages[(number - 1) * size: number * size]]
    return {"data": rows, "meta": {"page_number": number, "page_size": size, "total_results": len(messages),
                                   "total_pages": max(1, math.ceil(len(messages) / size))}}


def _message_view(m: dict[str, Any]) -> dict[str, Any]:
    out = {"role": m["role"] if m["role"] in ("user", "assistant", "tool") else "assistant", "text": m["text"],
           "created_at": m["created_at"], "sent_at": m["sent_at"]}
    if m.get("tool_calls"):
        out["tool_calls"] = m["tool_calls"]
    return out

