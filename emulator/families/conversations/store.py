"""AI conversations and their messages, per tenant.

One store serves every producer of conversations: the ``/ai/conversations`` API, assistant chat,
and AI-on-call flows (the calls family calls ``service.record_conversation`` / :meth:`add_message`).
A conversation's ``last_message_at`` moves with each message; ending a conversation (a call
hanging up, or a request) runs the insights of its assistant's insight group.

The store itself only holds data (so it snapshots with ``dump``/``load``); the per-request
wiring — seeded ids, the emulator clock, the runtime that runs insights — is attached with
:func:`emulator.families.conversations.service.conversation_store`, which every writer uses
instead of ``tenant.store(...)`` directly.
"""

from __future__ import annotations

import builtins
import copy
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emulator.core.errors import NotFound

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator

OnEnd = Callable[[str, "list[str] | None"], "list[dict[str, Any]]"]
"""What ending a conversation starts (its insight runs): conversation id, extra webhook URLs."""


def _iso(at: float) -> str:
    dt = datetime.fromtimestamp(at, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class ConversationStore:
    """Conversations (``id -> record``, creation order kept) and their messages."""

    snapshot_name = "conversations"
    snapshot_aliases = ("emulator.store.conversations:ConversationStore",)  # its key before stores had names

    def __init__(self) -> None:
        self.conversations: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.ended: dict[str, str] = {}  # conversation id -> ended_at (ISO)
        self.aliases: dict[str, str] = {}  # a non-uuid id a lenient caller named -> the uuid it got (see adopt)
        # Runtime wiring, never dumped (see service.conversation_store()).
        self._emulator: Emulator | None = None
        self._api_key: str | None = None
        self._on_end: OnEnd | None = None

    # -- wiring -------------------------------------------------------------------------
    def bind(self, emulator: Emulator, api_key: str, on_end: OnEnd) -> ConversationStore:
        self._emulator = emulator
        self._api_key = api_key
        self._on_end = on_end
        return self

    def _now(self) -> float:
        return self._emulator.state.clock.now() if self._emulator is not None else time.time()

    def _uuid(self) -> str:
        if self._emulator is not None and self._api_key is not None:
            return self._emulator.state.tenant(self._api_key).ids.uuid()
        return str(uuid.uuid4())

    # -- conversations ------------------------------------------------------------------
    def create(self, metadata: dict[str, Any] | None = None, name: str | None = None, *, conversation_id: str | None = None) -> dict[str, Any]:
        """A new conversation. Metadata values are stored as strings (the document's type)."""
        now = _iso(self._now())
        record: dict[str, Any] = {
            "id": conversation_id or self._uuid(),
            "name": name or "",
            "created_at": now,
            "last_message_at": now,
            "metadata": {str(k): v if isinstance(v, str) else str(v) for k, v in (metadata or {}).items() if v is not None},
        }
        self.conversations[record["id"]] = record
        self.messages[record["id"]] = []
        return copy.deepcopy(record)

    def adopt(self, requested_id: str) -> dict[str, Any]:
        """The conversation an unknown id names, made as ``create`` would (implicit resources).

        The document makes a conversation's ``id`` a uuid; an id that is none (an SDK test's
        ``"conversation_id"``) gets a uuid derived from it, and stays an alias of it, so both
        address the conversation and every answer conforms."""
        if _is_uuid(requested_id):
            return self.create({}, "", conversation_id=requested_id)
        conversation_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"telnyx-emulator-conversation:{requested_id}"))
        self.aliases[requested_id] = conversation_id
        return self.create({}, "", conversation_id=conversation_id)

    def names_of(self, conversation_id: str) -> builtins.list[str]:
        """Every id that addresses the conversation: its own and its aliases."""
        own = self._id(conversation_id)
        return [own, *(name for name, target in self.aliases.items() if target == own)]

    def _id(self, conversation_id: str) -> str:
        return self.aliases.get(conversation_id, conversation_id)

    def get(self, conversation_id: str) -> dict[str, Any]:
        conversation_id = self._id(conversation_id)
        found = self.conversations.get(conversation_id)
        if found is None:
            raise NotFound(f"Conversation {conversation_id} not found")
        return copy.deepcopy(found)

    def exists(self, conversation_id: str) -> bool:
        return self._id(conversation_id) in self.conversations

    def list(self) -> builtins.list[dict[str, Any]]:
        return [copy.deepcopy(c) for c in self.conversations.values()]

    def update_metadata(self, conversation_id: str, metadata: dict[str, Any]) -> dict[str, Any]:
        """Merge ``metadata`` into the conversation's (keys given replace, others stay)."""
        conversation_id = self._id(conversation_id)
        record = self.conversations.get(conversation_id)
        if record is None:
            raise NotFound(f"Conversation {conversation_id} not found")
        record["metadata"].update({str(k): v if isinstance(v, str) else str(v) for k, v in metadata.items()})
        return copy.deepcopy(record)

    def delete(self, conversation_id: str) -> None:
        conversation_id = self._id(conversation_id)
        if conversation_id not in self.conversations:
            raise NotFound(f"Conversation {conversation_id} not found")
        del self.conversations[conversation_id]
        self.aliases = {name: target for name, target in self.aliases.items() if target != conversation_id}
        self.messages.pop(conversation_id, None)
        self.ended.pop(conversation_id, None)

    def find_by_metadata(self, key: str, value: str) -> dict[str, Any] | None:
        """The most recent conversation whose ``metadata[key] == value`` (e.g. call_control_id)."""
        for record in reversed(list(self.conversations.values())):
            if record["metadata"].get(key) == value:
                return copy.deepcopy(record)
        return None

    # -- messages -----------------------------------------------------------------------
    def add_message(
        self,
        conversation_id: str,
        role: str,
        content: str = "",
        tool_calls: builtins.list[dict[str, Any]] | None = None,
        *,
        sent_at: str | None = None,
        name: str | None = None,
        tool_call_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append a message; ``tool_calls`` are OpenAI-shaped ``{id, type, function{name, arguments}}``."""
        conversation_id = self._id(conversation_id)
        record = self.conversations.get(conversation_id)
        if record is None:
            raise NotFound(f"Conversation {conversation_id} not found")
        now = _iso(self._now())
        message: dict[str, Any] = {"role": role, "text": content or "", "created_at": now, "sent_at": sent_at or now}
        if tool_calls:
            message["tool_calls"] = [_normalise_tool_call(c, i) for i, c in enumerate(tool_calls)]
        if name is not None:
            message["name"] = name
        if tool_call_id is not None:
            message["tool_call_id"] = tool_call_id
        if metadata:
            message["metadata"] = dict(metadata)
        self.messages[conversation_id].append(message)
        record["last_message_at"] = now
        return copy.deepcopy(message)

    def list_messages(self, conversation_id: str) -> builtins.list[dict[str, Any]]:
        conversation_id = self._id(conversation_id)
        if conversation_id not in self.conversations:
            raise NotFound(f"Conversation {conversation_id} not found")
        return copy.deepcopy(self.messages.get(conversation_id, []))

    def transcript(self, conversation_id: str) -> str:
        """``role: text`` lines — what insights read."""
        return "\n".join(f"{m['role']}: {m['text']}" for m in self.list_messages(conversation_id) if m.get("text"))

    # -- end ----------------------------------------------------------------------------
    def end(self, conversation_id: str, *, webhook_urls: builtins.list[str] | None = None,
            run_insights: bool = True) -> builtins.list[dict[str, Any]]:
        """Mark the conversation ended and run its assistant's insight group (if any).

        ``webhook_urls`` (e.g. the call's webhook URL) also receive the insights result, besides
        the group's own webhook. Returns the insight runs started (possibly empty). Ending twice
        starts nothing new. ``run_insights=False``: the caller runs them itself, later (an AI
        call sends ``call.conversation.ended`` first).
        """
        conversation_id = self._id(conversation_id)
        if conversation_id not in self.conversations:
            raise NotFound(f"Conversation {conversation_id} not found")
        if conversation_id in self.ended:
            return []
        self.ended[conversation_id] = _iso(self._now())
        if self._on_end is None or not run_insights:
            return []
        return self._on_end(conversation_id, webhook_urls)

    # -- snapshot protocol --------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "conversations": list(self.conversations.values()),
            "messages": self.messages,
            "ended": self.ended,
        }
        if self.aliases:  # only once one exists: older snapshots and their readers never had it
            data["aliases"] = self.aliases
        return data

    @classmethod
    def load(cls, data: dict[str, Any]) -> ConversationStore:
        store = cls()
        store.conversations = {c["id"]: dict(c) for c in data["conversations"]}
        store.messages = {k: list(v) for k, v in data.get("messages", {}).items()}
        for cid in store.conversations:
            store.messages.setdefault(cid, [])
        store.ended = dict(data.get("ended", {}))
        store.aliases = {str(k): str(v) for k, v in data.get("aliases", {}).items()}
        return store


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _normalise_tool_call(call: dict[str, Any], index: int) -> dict[str, Any]:
    function = call.get("function") or {}
    arguments = function.get("arguments", "{}")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    return {
        "id": str(call.get("id") or f"call_{index}"),
        "type": "function",
        "function": {"name": str(function.get("name", call.get("name", ""))), "arguments": arguments},
    }
