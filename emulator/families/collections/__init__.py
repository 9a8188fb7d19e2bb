"""AI collections: named sets of Telnyx data sources (storage buckets, voice, messages) with
retrieval settings, and a similarity search over their documents. Not in the published document:
its operations are additions from the official SDK (``openapi/derive/additions.py``)."""

from typing import Any

from emulator.families.collections import handlers
from emulator.families.collections.store import CollectionStore, settings_record
from emulator.runtime.emulator import Emulator
from emulator.runtime.family import Family
from emulator.runtime.implicit import IdKind, Ids


def _exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    return ids["uuid"] in handlers.store_of(emulator, api_key).collections


def _adopt(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    """A collection with the requested uuid, named and slugged after it (deterministic)."""
    store = handlers.store_of(emulator, api_key)
    now = emulator.state.clock.iso()
    store.collections[ids["uuid"]] = _record_for(ids["uuid"], f"collection-{ids['uuid']}", now)


def _slug_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    return handlers.store_of(emulator, api_key).by_slug(ids["slug"]) is not None


def _adopt_slug(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    store = handlers.store_of(emulator, api_key)
    uuid = emulator.state.tenant(api_key).ids.uuid()
    store.collections[uuid] = _record_for(uuid, ids["slug"], emulator.state.clock.iso())


def _record_for(uuid: str, slug: str, now: str) -> dict[str, Any]:
    return {"uuid": uuid, "name": slug, "slug": slug, "description": None, "record_type": "ai_collection", "status": "active",
            "settings": settings_record(), "sources": [], "created_at": now, "updated_at": now}


def _source_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    found = handlers.store_of(emulator, api_key).collections.get(ids["uuid"])
    return found is not None and any(s["id"] == ids["source_id"] for s in found["sources"])


def _adopt_source(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    found = handlers.store_of(emulator, api_key).collections[ids["uuid"]]
    found["sources"].append({"id": ids["source_id"], "bucket_id": None, "collection_id": ids["uuid"],
                             "record_type": "ai_collection_source", "source_type": "voice", "status": "active"})


ID_KINDS = (
    IdKind(kind="collection", template="/ai/collections/{uuid}", exists=_exists, adopt=_adopt),
    IdKind(kind="collection_source", template="/ai/collections/{uuid}/sources/{source_id}", exists=_source_exists, adopt=_adopt_source),
    IdKind(kind="collection", template="/ai/collections/slug/{slug}", exists=_slug_exists, adopt=_adopt_slug),
    IdKind(kind="collection", template="/ai/knowledge/collections/{slug}", exists=_slug_exists, adopt=_adopt_slug),
)

FAMILY = Family(
    name="collections",
    handler_modules=(handlers,),
    stores=(CollectionStore,),
    id_kinds=ID_KINDS,
    business_rules=handlers.RULES,
    paths=("/ai/collections", "/ai/knowledge/collections"),
)
