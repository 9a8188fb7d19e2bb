"""Implicit assistants and their sub-resources: in the ``unknown_ids: create`` mode, a request
naming an id the tenant lacks finds a resource with that id, then runs as usual.

The kernel resolves the kinds before any handler runs, parents first (``runtime/implicit.py``),
so ``/ai/assistants/{id}/versions/{v}`` under an unknown assistant makes the assistant, then the
version. Everything is stored in the tenant's own :class:`AssistantStore`, so GET, update, list
and delete treat it like a created one, and a deleted id stays deleted (kernel tombstones).

The records are built here rather than taken from the synthesized document record: an assistant
must run (a model the engine serves, no invented webhook URLs to call), so it is what a create
with just a name would store. Ids the emulator chooses (the main version's) are seeded by the
requested id, so the same id gives the same resource every run. A sub-kind whose parent is
missing (deleted) reports that it exists, so nothing is adopted and the handler answers 404.
Lists never invent items (shared tools, ``/ai/tools``, are the generic CRUD's kinds).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from emulator.core.ids import IdFactory
from emulator.fakes.catalogue import DEFAULT_CHAT_MODEL
from emulator.families.assistants.common import ASSISTANT_SCHEMA, keep_valid
from emulator.families.assistants.store import AssistantEntry, AssistantStore
from emulator.families.assistants.tools import inline_webhook
from emulator.runtime.implicit import IdKind, Ids

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator

ASSISTANT = "/ai/assistants/{assistant_id}"


def _store(emulator: Emulator, api_key: str) -> AssistantStore:
    return emulator.state.tenant(api_key).store(AssistantStore)


def _fake(emulator: Emulator, what: str, *ids: str) -> IdFactory:
    """Seeded by the requested ids only: the same id gives the same resource, for any key."""
    return IdFactory(emulator.settings.seed, f"implicit-{what}:{'/'.join(ids)}")


def _entry(emulator: Emulator, api_key: str, ids: Ids) -> AssistantEntry | None:
    return _store(emulator, api_key).entries.get(ids.get("assistant_id", ""))


# -- assistant ----------------------------------------------------------------------------------

def assistant_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    return _entry(emulator, api_key, ids) is not None


def adopt_assistant(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    """An assistant named after its id, on the default model, with one (main) version."""
    assistant_id = ids["assistant_id"]
    now = emulator.state.clock.iso()
    version_id = _fake(emulator, "assistant", assistant_id).uuid()
    record = keep_valid(emulator, ASSISTANT_SCHEMA, {
        "id": assistant_id, "name": assistant_id, "model": DEFAULT_CHAT_MODEL,
        "instructions": "You are a helpful assistant.", "created_at": now,
        "version_id": version_id, "version_created_at": now,
        "tags": [], "integrations": [], "mcp_servers": [], "related_mission_ids": [], "tools": [],
    })
    _store(emulator, api_key).add(AssistantEntry(id=assistant_id, main=version_id, versions={version_id: record}))


# -- versions -----------------------------------------------------------------------------------

def version_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    entry = _entry(emulator, api_key, ids)
    version_id = ids.get("version_id", "")
    return entry is None or version_id in entry.versions or version_id in entry.deleted_versions


def adopt_version(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    """A copy of the main version under the requested id (not promoted to main)."""
    entry = _entry(emulator, api_key, ids)
    if entry is None:
        return
    version_id = ids["version_id"]
    entry.versions[version_id] = {**copy.deepcopy(entry.record), "version_id": version_id,
                                  "version_created_at": emulator.state.clock.iso()}


# -- scheduled events ---------------------------------------------------------------------------

def _number(fake: IdFactory) -> str:
    """A North American number in the 555-01xx fiction range (never a real subscriber)."""
    return f"+1{fake.random.randint(201, 989)}55501{fake.random.randint(0, 99):02d}"


def event_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    entry = _entry(emulator, api_key, ids)
    return entry is None or ids.get("event_id", "") in entry.events


def adopt_event(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    """An SMS event already sent (``completed``): it stands for one made elsewhere, so nothing
    is scheduled or dispatched now."""
    entry = _entry(emulator, api_key, ids)
    if entry is None:
        return
    event_id = ids["event_id"]
    fake = _fake(emulator, "scheduled-event", entry.id, event_id)
    now = emulator.state.clock.iso()
    entry.events[event_id] = {
        "scheduled_event_id": event_id, "assistant_id": entry.id, "status": "completed", "created_at": now,
        "retry_count": 0, "errors": [], "telnyx_conversation_channel": "sms_chat",
        "telnyx_agent_target": _number(fake), "telnyx_end_user_target": _number(fake),
        "scheduled_at_fixed_datetime": now, "text": str(entry.record.get("greeting") or "Hello from your assistant."),
    }


# -- tags ---------------------------------------------------------------------------------------

def tag_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    entry = _entry(emulator, api_key, ids)
    return entry is None or ids.get("tag", "") in (entry.record.get("tags") or [])


def adopt_tag(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    entry = _entry(emulator, api_key, ids)
    if entry is not None:
        entry.record.setdefault("tags", []).append(ids["tag"])


# -- attached tools -----------------------------------------------------------------------------

def tool_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    """Attached, or one of the assistant's own inline webhook tools by name (never shadowed)."""
    entry = _entry(emulator, api_key, ids)
    tool_id = ids.get("tool_id", "")
    return entry is None or tool_id in entry.tool_ids or inline_webhook(entry, tool_id) is not None


def adopt_tool(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    """The id attached as given: no shared tool is invented (the ``known_shared_tool`` rule
    answers for it; a test of it reports failure and calls nothing)."""
    entry = _entry(emulator, api_key, ids)
    if entry is not None:
        entry.tool_ids.append(ids["tool_id"])


# -- canary deploy ------------------------------------------------------------------------------

def canary_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    entry = _entry(emulator, api_key, ids)
    return entry is None or entry.canary is not None


def adopt_canary(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    """A deploy without rules (everything goes to the main version). Its ``POST`` shares the
    path, so it is marked: creating a deploy replaces this stand-in instead of conflicting."""
    entry = _entry(emulator, api_key, ids)
    if entry is None:
        return
    now = emulator.state.clock.iso()
    entry.canary = {"assistant_id": entry.id, "rules": [], "created_at": now, "updated_at": now}
    entry.implicit_canary = True


ID_KINDS = (
    IdKind(kind="assistant", template=ASSISTANT, exists=assistant_exists, adopt=adopt_assistant),
    IdKind(kind="assistant_version", template=f"{ASSISTANT}/versions/{{version_id}}", exists=version_exists, adopt=adopt_version),
    IdKind(kind="scheduled_event", template=f"{ASSISTANT}/scheduled_events/{{event_id}}", exists=event_exists, adopt=adopt_event),
    IdKind(kind="assistant_tag", template=f"{ASSISTANT}/tags/{{tag}}", exists=tag_exists, adopt=adopt_tag),
    IdKind(kind="assistant_tool", template=f"{ASSISTANT}/tools/{{tool_id}}", exists=tool_exists, adopt=adopt_tool),
    IdKind(kind="canary_deploy", template=f"{ASSISTANT}/canary-deploys", exists=canary_exists, adopt=adopt_canary),
)
