"""A tenant's AI collections: records in their wire shape (``Collection``), keyed by uuid, with
their sources inside. Slugs are unique per tenant; deleting a collection frees its slug."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

DEFAULT_RETRIEVAL: dict[str, Any] = {"retrieval_type": "vector", "top_k": 10}


def slugify(name: str) -> str:
    """``Support FAQ 2024`` → ``support-faq-2024`` (what the service derives when no slug is given)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "collection"


def settings_record(retrieval: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"record_type": "ai_collection_settings", "retrieval": {**DEFAULT_RETRIEVAL, **(retrieval or {})}}


@dataclass
class CollectionStore:
    snapshot_name = "collections"

    collections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def by_slug(self, slug: str) -> dict[str, Any] | None:
        return next((c for c in self.collections.values() if c["slug"] == slug), None)

    def source_key(self, source: dict[str, Any]) -> tuple[str, str | None]:
        """What makes two sources the same one (a replace keeps its id)."""
        return source["source_type"], source.get("bucket_id")

    def dump(self) -> dict[str, Any]:
        return {"collections": copy.deepcopy(self.collections)}

    @classmethod
    def load(cls, data: dict[str, Any]) -> CollectionStore:
        return cls(collections=dict(data["collections"]))
