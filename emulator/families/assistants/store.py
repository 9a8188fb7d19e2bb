"""AI assistants with their versions, tags, attached shared tools, canary deploys and scheduled
events — one tenant's worth.

Versioning follows the product: an assistant is a *main* version plus every version ever made.
Each update writes a new version (promoted to main unless the caller says otherwise); a version can
be edited in place, deleted (never the main one), or promoted back to main. Records are plain JSON
so the store snapshots as is.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from emulator.core.errors import NotFound


@dataclass
class AssistantEntry:
    """One assistant: ``versions`` (version id -> full record, creation order) and which is main."""

    id: str
    main: str
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted_versions: list[str] = field(default_factory=list)
    tool_ids: list[str] = field(default_factory=list)
    canary: dict[str, Any] | None = None
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    implicit_canary: bool = False
    """``canary`` is the stand-in an unknown id made (lenient mode) and nobody changed yet: a
    ``POST`` creating a deploy replaces it instead of conflicting."""

    @property
    def record(self) -> dict[str, Any]:
        return self.versions[self.main]


class AssistantStore:
    snapshot_name = "assistants"
    snapshot_aliases = ("emulator.store.assistants:AssistantStore",)  # its key before stores had names

    def __init__(self) -> None:
        self.entries: dict[str, AssistantEntry] = {}

    def add(self, entry: AssistantEntry) -> None:
        self.entries[entry.id] = entry

    def entry(self, assistant_id: str) -> AssistantEntry:
        found = self.entries.get(assistant_id)
        if found is None:
            raise NotFound(f"Assistant {assistant_id} not found")
        return found

    def get(self, assistant_id: str) -> dict[str, Any]:
        return copy.deepcopy(self.entry(assistant_id).record)

    def all(self) -> list[dict[str, Any]]:
        return [copy.deepcopy(e.record) for e in self.entries.values()]

    def delete(self, assistant_id: str) -> None:
        self.entry(assistant_id)
        del self.entries[assistant_id]

    def find_import(self, provider: str, import_id: str) -> AssistantEntry | None:
        for e in self.entries.values():
            meta = e.record.get("import_metadata") or {}
            if meta.get("import_provider") == provider and meta.get("import_id") == import_id:
                return e
        return None

    def tags(self) -> list[str]:
        return sorted({t for e in self.entries.values() for t in e.record.get("tags", [])})

    def dump(self) -> dict[str, Any]:
        return {
            "entries": [
                {"id": e.id, "main": e.main, "versions": e.versions, "deleted_versions": e.deleted_versions,
                 "tool_ids": e.tool_ids, "canary": e.canary, "events": e.events, "implicit_canary": e.implicit_canary}
                for e in self.entries.values()
            ]
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> AssistantStore:
        store = cls()
        for raw in data["entries"]:
            store.add(AssistantEntry(
                id=raw["id"], main=raw["main"], versions=dict(raw["versions"]),
                deleted_versions=list(raw.get("deleted_versions", [])), tool_ids=list(raw.get("tool_ids", [])),
                canary=raw.get("canary"), events=dict(raw.get("events", {})),
                implicit_canary=bool(raw.get("implicit_canary", False)),
            ))
        return store
