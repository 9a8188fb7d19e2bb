"""``/ai/collections`` (CRUD, slug look-up, retrieval settings, sources) and the collection
search ``/ai/knowledge/collections/{slug}/documents``. These operations are additions to the
document (``openapi/derive/additions.py``): the official SDK calls them."""

from __future__ import annotations

import uuid as uuidlib
from typing import TYPE_CHECKING, Any

from emulator.core.errors import Conflict, ErrorItem, NotFound, ValidationFailed
from emulator.core.rules import BusinessRule
from emulator.families.collections import search
from emulator.families.collections.store import CollectionStore, settings_record, slugify
from emulator.http.binding import operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext
    from emulator.runtime.emulator import Emulator

UNIQUE_SLUG = BusinessRule(
    name="collections.unique_slug",
    checks="a collection's slug (given, or derived from its name) is not already used by another of the caller's collections",
    substitute="the slug gets a numeric suffix (-2, -3 ...)",
    # The SDK's own documentation of create: the slug "must be unique within your organization".
    real_api=True,
)
BUCKET_SOURCE = BusinessRule(
    name="collections.bucket_source",
    checks="a source of type bucket names its bucket (bucket_id)",
    substitute="the source is attached with bucket_id null (it holds no documents)",
    # The SDK documents bucket_id as "Required when source_type is bucket".
    real_api=True,
)
RULES = (UNIQUE_SLUG, BUCKET_SOURCE)


def store_of(emulator: Emulator, api_key: str) -> CollectionStore:
    return emulator.state.tenant(api_key).store(CollectionStore)


def _not_found(what: str, value: str, parameter: str) -> NotFound:
    return NotFound(f"No collection with {what} {value!r}.", items=[ErrorItem(f"Collection {value} not found.", parameter=parameter, location="path")])


def collection(ctx: RequestContext) -> dict[str, Any]:
    found = store_of(ctx.emulator, ctx.api_key).collections.get(str(ctx.path.get("uuid")))
    if found is None:
        raise _not_found("uuid", str(ctx.path.get("uuid")), "uuid")
    return found


def by_slug(ctx: RequestContext) -> dict[str, Any]:
    found = store_of(ctx.emulator, ctx.api_key).by_slug(str(ctx.path.get("slug")))
    if found is None:
        raise _not_found("slug", str(ctx.path.get("slug")), "slug")
    return found


def _free_slug(ctx: RequestContext, store: CollectionStore, slug: str) -> str:
    if store.by_slug(slug) is None:
        return slug
    ctx.business_rule(UNIQUE_SLUG, Conflict(f"A collection with slug {slug!r} already exists.",
                                            items=[ErrorItem("slug is already in use.", pointer="/slug")]))
    n = 2
    while store.by_slug(f"{slug}-{n}") is not None:
        n += 1
    return f"{slug}-{n}"


def new_source(ctx: RequestContext, collection_id: str, raw: dict[str, Any], at: str) -> dict[str, Any]:
    bucket = raw.get("bucket_id") if raw.get("source_type") == "bucket" else None
    if raw.get("source_type") == "bucket" and not bucket:
        ctx.business_rule(BUCKET_SOURCE, ValidationFailed(items=[ErrorItem("bucket_id is required for a bucket source.", pointer=f"{at}/bucket_id")]))
    return {"id": ctx.tenant.ids.uuid(), "bucket_id": bucket or None, "collection_id": collection_id,
            "record_type": "ai_collection_source", "source_type": raw["source_type"], "status": "active"}


def build(ctx: RequestContext, *, uuid: str, name: str, slug: str, description: str | None = None,
          retrieval: dict[str, Any] | None = None, sources: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    now = ctx.emulator.state.clock.iso()
    record: dict[str, Any] = {"uuid": uuid, "name": name, "slug": slug, "description": description, "record_type": "ai_collection",
              "status": "active", "settings": settings_record(retrieval), "sources": [], "created_at": now, "updated_at": now}
    record["sources"] = [new_source(ctx, uuid, s, f"/sources/{i}") for i, s in enumerate(sources or [])]
    return record


def _touch(ctx: RequestContext, record: dict[str, Any]) -> None:
    record["updated_at"] = ctx.emulator.state.clock.iso()


# -- collections ---------------------------------------------------------------------------------
@operation("CreateCollection")
async def create_collection(ctx: RequestContext) -> dict[str, Any]:
    body = ctx.json
    store = store_of(ctx.emulator, ctx.api_key)
    slug = _free_slug(ctx, store, str(body.get("slug") or slugify(body["name"])))
    record = build(ctx, uuid=ctx.tenant.ids.uuid(), name=body["name"], slug=slug, description=body.get("description"),
                   retrieval=(body.get("settings") or {}).get("retrieval"), sources=body.get("sources"))
    store.collections[record["uuid"]] = record
    return {"data": record}


@operation("ListCollections")
async def list_collections(ctx: RequestContext) -> dict[str, Any]:
    rows = sorted(store_of(ctx.emulator, ctx.api_key).collections.values(), key=lambda c: (c["created_at"], c["uuid"]))
    number, size = int(ctx.query.get("page[number]") or 1), int(ctx.query.get("page[size]") or 20)
    pages = max(1, -(-len(rows) // size))
    return {"data": rows[(number - 1) * size:number * size],
            "meta": {"page_number": number, "page_size": size, "total_pages": pages, "total_results": len(rows)}}


@operation("GetCollection")
async def get_collection(ctx: RequestContext) -> dict[str, Any]:
    return {"data": collection(ctx)}


@operation("GetCollectionBySlug")
async def get_collection_by_slug(ctx: RequestContext) -> dict[str, Any]:
    return {"data": by_slug(ctx)}


@operation("UpdateCollection")
async def update_collection(ctx: RequestContext) -> dict[str, Any]:
    record = collection(ctx)
    for key in ("name", "description"):
        if key in ctx.json:
            record[key] = ctx.json[key]
    _touch(ctx, record)
    return {"data": record}


@operation("DeleteCollection")
async def delete_collection(ctx: RequestContext) -> None:
    record = collection(ctx)
    del store_of(ctx.emulator, ctx.api_key).collections[record["uuid"]]  # its slug is free again


# -- settings --------------------------------------------------------------------------------------
@operation("GetCollectionSettings")
async def get_settings(ctx: RequestContext) -> dict[str, Any]:
    return {"data": collection(ctx)["settings"]}


@operation("PutCollectionSettings")
async def put_settings(ctx: RequestContext) -> dict[str, Any]:
    """Replace: what the body leaves out returns to its default."""
    record = collection(ctx)
    record["settings"] = settings_record(ctx.json.get("retrieval"))
    _touch(ctx, record)
    return {"data": record["settings"]}


@operation("PatchCollectionSettings")
async def patch_settings(ctx: RequestContext) -> dict[str, Any]:
    """Merge: only what the body names changes."""
    record = collection(ctx)
    record["settings"]["retrieval"].update(ctx.json.get("retrieval") or {})
    _touch(ctx, record)
    return {"data": record["settings"]}


# -- sources ---------------------------------------------------------------------------------------
@operation("ListCollectionSources")
async def list_sources(ctx: RequestContext) -> dict[str, Any]:
    return {"data": collection(ctx)["sources"]}


@operation("AddCollectionSource")
async def add_source(ctx: RequestContext) -> dict[str, Any]:
    record = collection(ctx)
    source = new_source(ctx, record["uuid"], ctx.json, "")
    record["sources"].append(source)
    _touch(ctx, record)
    return {"data": source}


@operation("ReplaceCollectionSources")
async def replace_sources(ctx: RequestContext) -> dict[str, Any]:
    """The body is the whole new list; a source already attached (same type and bucket) keeps its id."""
    record = collection(ctx)
    store = store_of(ctx.emulator, ctx.api_key)
    old = {store.source_key(s): s for s in record["sources"]}
    kept: list[dict[str, Any]] = []
    added: list[str] = []
    for i, raw in enumerate(ctx.json["sources"]):
        source = old.get((raw["source_type"], raw.get("bucket_id") if raw["source_type"] == "bucket" else None))
        if source is None or source in kept:
            source = new_source(ctx, record["uuid"], raw, f"/sources/{i}")
            added.append(source["id"])
        kept.append(source)
    kept_ids = {s["id"] for s in kept}
    retained = [s["id"] for s in record["sources"] if s["id"] in kept_ids]
    removed = [s["id"] for s in record["sources"] if s["id"] not in kept_ids]
    record["sources"] = kept
    _touch(ctx, record)
    return {"data": kept, "meta": {"added": added, "retained": retained, "removed": removed}}


@operation("DeleteCollectionSource")
async def delete_source(ctx: RequestContext) -> None:
    record = collection(ctx)
    source_id = str(ctx.path.get("source_id"))
    if not any(s["id"] == source_id for s in record["sources"]):
        raise NotFound(f"No source {source_id!r} in this collection.",
                       items=[ErrorItem(f"Source {source_id} not found.", parameter="source_id", location="path")])
    record["sources"] = [s for s in record["sources"] if s["id"] != source_id]
    _touch(ctx, record)


# -- search ----------------------------------------------------------------------------------------
def _document(ctx: RequestContext, doc: search.Doc, score: float) -> dict[str, Any]:
    record_id = f"{doc.bucket}/{doc.filename}"
    return {
        "id": str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"{record_id}#{doc.index}")), "chunk_index": doc.index,
        "chunk_total": doc.total, "text": doc.text, "score": score, "record_type": "bucket", "record_id": record_id,
        "metadata": {"bucket": doc.bucket, "filename": doc.filename}, "region": "us-central-1",
        "organization_id": str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"telnyx-emulator:org:{ctx.api_key}")),
        "user_id": str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"telnyx-emulator:{ctx.api_key}")),
    }


@operation("SearchCollectionDocuments")
async def search_documents(ctx: RequestContext) -> dict[str, Any]:
    record = by_slug(ctx)
    raw_kinds = ctx.query.get("sources")
    kinds = {k.strip() for k in str(raw_kinds).split(",") if k.strip()} if raw_kinds else None
    docs = search.documents(ctx.emulator, ctx.api_key, record, kinds)
    query = ctx.query.get("query")
    top_k = int(ctx.query.get("top_k") or record["settings"]["retrieval"]["top_k"])
    scored = search.rank(docs, str(query))[:top_k] if query else [(0.0, d) for d in docs]
    number, size = int(ctx.query.get("page[number]") or 1), int(ctx.query.get("page[size]") or 20)
    page = scored[(number - 1) * size:number * size]
    searched = sorted(kinds if kinds is not None else {s["source_type"] for s in record["sources"]})
    return {
        "data": [_document(ctx, d, score) for score, d in page],
        "meta": {"collection_slug": record["slug"], "page_number": number, "page_size": size, "retrieval_type": "vector",
                 "searched_sources": searched, "top_k": top_k, "total_pages": max(1, -(-len(scored) // size)),
                 "total_results": len(scored)},
    }
