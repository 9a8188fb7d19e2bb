"""Call conversations (AI gather / AI assistant), behind one write path.

:func:`record_conversation` creates the conversation in the shared AI conversation store
(``emulator.families.conversations.store``, which serves ``/ai/conversations`` and its messages) and
appends the messages the call produced since the last write; :func:`end_conversation` ends it
there. :func:`generate_insights` then runs the insights of an assistant's conversation (after
``call.conversation.ended`` has gone out) and sends ``call.conversation_insights.generated`` to
the call's webhook with what the run produced — the run is kept by the conversations family, so
``GET /ai/conversations/{id}/conversations-insights``, the group and the aggregates read back
exactly what the event carried. Participants that joined a running conversation with
``ai_assistant_join`` are kept here, per tenant.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.core.errors import NotFound
from emulator.families.calls.events import Env, emit
from emulator.families.conversations.insights import EVENT_TYPE, record_default_insights, run_insights_for
from emulator.families.conversations.service import conversation_store

if TYPE_CHECKING:
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
    """The conversation is over; its insights wait for :func:`generate_insights`."""
    entry = record_conversation(env, session, call)
    entry["status"] = "ended"
    with contextlib.suppress(NotFound):  # deleted through the API meanwhile: nothing to end
        conversation_store(env.emulator, env.tenant.api_key).end(session.conversation_id, run_insights=False)


def generate_insights(env: Env, session: AiSession, call: Call) -> None:
    """Run the insights of the ended assistant conversation; each result goes to the call's
    webhook as ``call.conversation_insights.generated``.

    The assistant's ``insight_settings.insight_group_id`` group runs under the ``insight_run``
    lifecycle (the event follows its completion); with no group, the tenant's default group
    answers at once with a summary of what the caller said.
    """

    def send(result: dict[str, Any]) -> None:
        emit(env, call, EVENT_TYPE, {"calling_party_type": "pstn", **result})

    api_key, conversation_id = env.tenant.api_key, session.conversation_id
    runs: list[dict[str, Any]] = []
    with contextlib.suppress(NotFound):  # deleted through the API: only the default summary
        runs = run_insights_for(env.emulator, api_key, conversation_id, on_complete=send)
    if not runs:
        users = [m["content"] for m in session.message_history if m["role"] == "user"]
        summary = f"The caller said {len(users)} thing(s)" + (f", last: {users[-1]}" if users else ".")
        send(record_default_insights(env.emulator, api_key, conversation_id, summary))


def find_conversation(env: Env, conversation_id: str) -> dict[str, Any] | None:
    """A conversation still running on a call (what ``ai_assistant_join`` can join)."""
    entry = env.tenant.store(CallConversations).records.get(conversation_id)
    if entry is None or entry.get("status") == "ended":
        return None
    return entry
