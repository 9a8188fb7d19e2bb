"""The conversations family's wiring: the store bound to the runtime, and what other families
plug in (which assistant a conversation belongs to), without conversations importing them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.families.conversations.insights import run_insights_for
from emulator.families.conversations.store import ConversationStore

if TYPE_CHECKING:
    from emulator.http.context import RequestContext
    from emulator.runtime.emulator import Emulator


def conversations(ctx: RequestContext) -> ConversationStore:
    """The caller's conversation store, bound to the runtime."""
    return conversation_store(ctx.emulator, ctx.api_key)


def conversation_store(emulator: Emulator, api_key: str) -> ConversationStore:
    """The tenant's conversation store, wired to the runtime (ids, clock, insights on end)."""

    def on_end(conversation_id: str, webhook_urls: list[str] | None) -> list[dict[str, Any]]:
        return run_insights_for(emulator, api_key, conversation_id, extra_urls=webhook_urls)

    return emulator.state.tenant(api_key).store(ConversationStore).bind(emulator, api_key, on_end)


def record_conversation(
    emulator: Emulator,
    api_key: str,
    *,
    metadata: dict[str, Any],
    messages: list[dict[str, Any]] = (),  # type: ignore[assignment]
    name: str | None = None,
    end: bool = False,
) -> dict[str, Any]:
    """Create a conversation with ``messages`` (``{role, content, tool_calls?}``); optionally end it.

    The one entry point for flows that produce whole conversations (AI on calls).
    """
    store = conversation_store(emulator, api_key)
    record = store.create(metadata, name)
    for m in messages:
        store.add_message(record["id"], m.get("role", "user"), m.get("content") or m.get("text") or "", m.get("tool_calls"))
    if end:
        store.end(record["id"])
    return store.get(record["id"])
