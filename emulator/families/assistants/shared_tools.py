"""Shared AI tools (``/ai/tools``): stateful through generic CRUD, with the one translation the
document implies.

Requests carry the tool's definition under a key named by its ``type`` (``{"type": "webhook",
"webhook": {...}}``) while records expose it as ``tool_definition``. Generic CRUD only copies
fields the record schema has, so without this the definition would be dropped. Reads, lists
and deletes stay with generic CRUD; this module only shapes the writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.families.assistants.rules import TOOL_DEFINITION
from emulator.http.binding import operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

# The tool kinds whose definition is an object named after the type (from the request schema).
TOOL_KINDS = ("webhook", "function", "handoff", "invite", "pay", "retrieval", "client_side_tool")


def with_tool_definition(ctx: RequestContext, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """``body`` plus ``tool_definition = {"type": kind, kind: {...}}`` when it defines one (a new
    tool must: :data:`TOOL_DEFINITION`, warned: an empty definition)."""
    kind = body.get("type")
    if kind in TOOL_KINDS:
        definition = body.get(kind)
        if isinstance(definition, dict):
            return {**body, "tool_definition": {"type": kind, kind: definition}}
        if creating and not isinstance(body.get("tool_definition"), dict):
            ctx.business_rule(TOOL_DEFINITION, ValidationFailed(items=[ErrorItem(f"A tool of type {kind!r} needs its definition in '{kind}'.", pointer=f"/{kind}", kind="missing")]))
            return {**body, "tool_definition": {"type": kind, kind: {}}}
    return body


@operation("create_tool_post")
async def create_tool(ctx: RequestContext) -> Any:
    ctx.body = with_tool_definition(ctx, ctx.json, creating=True)
    return await ctx.emulator.services.crud.handle(ctx)


@operation("update_tool_tool_id")
async def update_tool(ctx: RequestContext) -> Any:
    ctx.body = with_tool_definition(ctx, ctx.json, creating=False)
    return await ctx.emulator.services.crud.handle(ctx)
