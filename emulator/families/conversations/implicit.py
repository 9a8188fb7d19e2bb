"""The ids the conversations family addresses in paths, as kinds of implicit resources
(``runtime/implicit.py``): in the ``unknown_ids: create`` mode a request naming an unknown one
finds it made, through the same stores the create operations write.

- ``conversation``: ``/ai/conversations/{conversation_id}`` (and its messages and insight runs),
  made as ``POST /ai/conversations`` would with no metadata (``ConversationStore.adopt``);
- ``insight`` and ``insight_group``: their own paths, made with a neutral name and instructions;
- the insight a group path names (``.../insight-groups/{group_id}/insights/{insight_id}``) is the
  same ``insight`` (so ``assign`` finds it), unless that insight was deleted;
- ``insight_assignment``: what ``unassign`` removes, so an unknown one was assigned; an assign
  never finds one pre-made (it would be a conflict), and an unassigned one stays unassigned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.families.conversations.insight_store import InsightStore
from emulator.families.conversations.service import conversation_store
from emulator.families.conversations.store import ConversationStore
from emulator.runtime.implicit import IdKind, Ids, Tombstones

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator

_GROUPS = "/ai/conversations/insight-groups/{group_id}"
CONVERSATION = "conversation"


def _conversation_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    return emulator.state.tenant(api_key).store(ConversationStore).exists(ids["conversation_id"])


def _adopt_conversation(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    conversation_store(emulator, api_key).adopt(ids["conversation_id"])


def _insights(emulator: Emulator, api_key: str) -> InsightStore:
    return emulator.state.tenant(api_key).store(InsightStore)


def _insight_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    return ids["insight_id"] in _insights(emulator, api_key).insights


def _adopt_insight(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    insight_id = ids["insight_id"]
    _insights(emulator, api_key).insights[insight_id] = {
        "id": insight_id, "created_at": emulator.state.clock.iso(), "insight_type": "custom",
        "name": f"insight {insight_id[:8]}", "instructions": "Summarise the conversation.", "webhook": "",
    }


def _named_insight_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    """As ``insight``, where a deleted insight counts as present: deleted stays deleted."""
    deleted = ("insight", (ids["insight_id"],)) in emulator.state.tenant(api_key).store(Tombstones).deleted
    return deleted or _insight_exists(emulator, api_key, ids)


def _group_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    return ids["group_id"] in _insights(emulator, api_key).groups


def _adopt_group(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    group_id, store = ids["group_id"], _insights(emulator, api_key)
    store.groups[group_id] = {"id": group_id, "created_at": emulator.state.clock.iso(), "name": f"group {group_id[:8]}", "webhook": ""}
    store.members[group_id] = []


def _assigned(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    store = _insights(emulator, api_key)
    insight_id = ids["insight_id"]
    return insight_id not in store.insights or insight_id in store.members.get(ids["group_id"], [])  # no insight: nothing to assign


def _adopt_assignment(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    _insights(emulator, api_key).members.setdefault(ids["group_id"], []).append(ids["insight_id"])


ID_KINDS: tuple[IdKind[Emulator], ...] = (
    IdKind(CONVERSATION, "/ai/conversations/{conversation_id}", _conversation_exists, _adopt_conversation),
    IdKind("insight", "/ai/conversations/insights/{insight_id}", _insight_exists, _adopt_insight),
    IdKind("insight_group", _GROUPS, _group_exists, _adopt_group),
    IdKind("insight", _GROUPS + "/insights/{insight_id}", _named_insight_exists, _adopt_insight,
           record_from="/ai/conversations/insights/{insight_id}"),
    IdKind("insight_assignment", _GROUPS + "/insights/{insight_id}/unassign", _assigned, _adopt_assignment),
)
