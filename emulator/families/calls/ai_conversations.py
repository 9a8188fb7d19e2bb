"""Call conversations (AI gather / AI assistant), behind one write path.

:func:`record_conversation` creates the conversation in the shared AI conversation store
(``emulator.families.conversations.store``, which serves ``/ai/conversations`` and its messages) and
appends the messages the call produced since the last write; :func:`end_conversation` ends it
there (which runs the assistant's insights). Participants that joined a running conversation
with ``ai_assistant_join`` are kept here, per tenant.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.core.errors import NotFound
from emulator.families.conversations.service import conversation_store

if TYPE_CHECKING:
    from emulator.families.calls.events import Env
    from emulator.families.calls.model import AiSession, Call


@dataclass
class CallConversations:
    """Per tenant: conversation id -> what the calls family knows beyond the shared record."""

    snapshot_name = "call_conversations"
    snapshot_aliases = ("emulator.resources.calls.conversations:CallConversations",)  # its key before stores had names

    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def dump(self) -> dict[str, Any]:
        return {"conversations": self.records}

    @classmethod
    def load(cls, data: Any) -> CallConversations:
        """Snapshot protocol (``emulator/core/snapshot.py``): the inverse of ``dump``."""
        records = data["conversations"]
        if not isinstance(records, dict) or not all(isinstance(r, dict) for r in records.values()):
            raise TypeError("conversations must map conversation ids to objects")
        return cls(records={str(k): dict(v) for k, v in records.items()})


def record_conversation(env: Env, session: AiSession, call: Call) -> dict[str, Any]:
    """Create (first time) or update the conversation of ``session`` with its new messages."""
    mine = env.tenant.store(CallConversations)
    entry = mine.records.get(session.conversation_id)
    store = conversation_store(env.emulator, env.tenant.api_key)
    if entry is None:
        entry = mine.records[session.conversation_id] = {"recorded": 0, "participants": [], "status": "in_progress"}
        store.create(
            {
                "telnyx_conversation_channel": "phone_call",
                "telnyx_agent_target": call.from_ if call.direction == "outgoing" else call.to,
                "telnyx_end_user_target": call.to if call.direction == "outgoing" else call.from_,
                "call_control_id": call.call_control_id,
                "assistant_id": session.assistant_id,
            },
            "",
            conversation_id=session.conversation_id,
        )
    try:
        for message in session.message_history[entry["recorded"] :]:
            role = message.get("role") if message.get("role") in ("user", "assistant", "tool") else "user"
            store.add_message(session.conversation_id, str(role), str(message.get("content", "")))
    except NotFound:
        pass  # the user deleted the conversation through the API: the call goes on without it
    entry["recorded"] = len(session.message_history)
    return entry


def end_conversation(env: Env, session: AiSession, call: Call) -> None:
    entry = record_conversation(env, session, call)
    entry["status"] = "ended"
    with contextlib.suppress(NotFound):  # deleted through the API meanwhile: nothing to end
        conversation_store(env.emulator, env.tenant.api_key).end(session.conversation_id)


def find_conversation(env: Env, conversation_id: str) -> dict[str, Any] | None:
    """A conversation still running on a call (what ``ai_assistant_join`` can join)."""
    entry = env.tenant.store(CallConversations).records.get(conversation_id)
    if entry is None or entry.get("status") == "ended":
        return None
    return entry
