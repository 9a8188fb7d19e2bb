"""``/ai/embeddings*`` (bucket embedding tasks, embedded buckets, similarity search, URL ingest).

A task reads every file of the bucket (uploaded with the control API, or shipped/user fixtures
``buckets/<bucket>/<file>``), extracts text by file type, splits it into chunks of
``document_chunk_size`` characters overlapping by ``document_chunk_overlap_size``, and embeds each
chunk with the embedding engine. The task moves queued -> processing -> success / partial_success
/ failure under the ``embedding_task`` lifecycle policy; files of unsupported types fail with an
``error_reason``. Similarity search ranks the stored chunk vectors by cosine distance.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from emulator.core.errors import ErrorItem, NotFound, ValidationFailed
from emulator.fakes.embeddings import cosine, embed
from emulator.families.embeddings import rules
from emulator.families.embeddings.bucket_store import BucketStore, bucket_files, fixture_roots
from emulator.families.embeddings.embedding import DEFAULT_CHUNK_SIZE, DEFAULT_MODEL, DEFAULT_OVERLAP, embed_files, user_id
from emulator.families.embeddings.implicit import ensure_embedded
from emulator.families.embeddings.store import EmbeddedBucket, EmbeddingStore
from emulator.families.embeddings.web import crawl, is_absolute
from emulator.http.binding import Reply, operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

__all__ = ["user_id"]  # other families' stable user id for an API key (conversations)


def _task_view(task: dict[str, Any], *, listing: bool = False) -> dict[str, Any]:
    keys = ("task_id", "task_name", "status", "created_at", "finished_at", "user_id") + (("bucket",) if listing else ())
    out = {k: task[k] for k in keys if task.get(k) is not None}
    if not _is_uuid(out.get("task_id")):
        # The document types task_id as a uuid; an implicit task named by another string (a
        # placeholder id in lenient mode) leaves it out rather than answer off-schema.
        out.pop("task_id", None)
    return out


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


async def _start_task(ctx: RequestContext, bucket: str, model: str, size: int, overlap: int, task_name: str) -> dict[str, Any]:
    emulator, api_key = ctx.emulator, ctx.api_key
    store = ctx.tenant.store(EmbeddingStore)
    task: dict[str, Any] = {"task_id": ctx.tenant.ids.uuid(), "task_name": task_name, "bucket": bucket, "status": "queued",
                             "created_at": ctx.state.clock.iso(), "finished_at": None, "user_id": user_id(api_key)}
    store.tasks[task["task_id"]] = task

    def processing() -> None:
        task["status"] = "processing"

    def finish() -> None:
        now = emulator.state.clock.iso()
        files = bucket_files(emulator, api_key, bucket)
        previous = store.buckets.get(bucket)
        done = embed_files(files, model, size, overlap, now, previous)
        target, ok, failed = done.bucket, done.ok, done.failed
        task["finished_at"] = now
        if ok and not failed:
            task["status"] = "success"
        elif ok:
            task["status"] = "partial_success"
        else:
            task["status"] = "failure"
            task["error_reason"] = "No file in the bucket could be embedded" if files else f"Bucket {bucket!r} has no files"
        if ok or previous is None:
            store.buckets[bucket] = target  # a bucket is "embedded" once a task finished for it

    emulator.services.lifecycles.begin(api_key, "embedding_task", task["task_id"], [processing, finish], labels=["processing", "finished"])
    return task


def _chunk_params(ctx: RequestContext, body: dict[str, Any]) -> tuple[int, int]:
    size = body.get("document_chunk_size", DEFAULT_CHUNK_SIZE)
    overlap = body.get("document_chunk_overlap_size", DEFAULT_OVERLAP)
    if not isinstance(size, int) or size < 1:
        ctx.business_rule(rules.CHUNK_SIZES, ValidationFailed(items=[ErrorItem("document_chunk_size must be a positive integer", pointer="/document_chunk_size")]))
        size = DEFAULT_CHUNK_SIZE
    if not isinstance(overlap, int) or overlap < 0 or overlap >= size:
        detail = "document_chunk_overlap_size must be >= 0 and smaller than document_chunk_size"
        ctx.business_rule(rules.CHUNK_SIZES, ValidationFailed(items=[ErrorItem(detail, pointer="/document_chunk_overlap_size")]))
        overlap = size // 2
    return size, overlap


def _bucket_name(ctx: RequestContext) -> str:
    bucket = str(ctx.json["bucket_name"]).strip()
    if not bucket:
        ctx.business_rule(rules.BUCKET_NAME, ValidationFailed(items=[ErrorItem("bucket_name must not be empty", pointer="/bucket_name")]))
    return bucket


@operation("PostEmbedding")
async def create_task(ctx: RequestContext) -> Any:
    body = ctx.json
    bucket = _bucket_name(ctx)
    size, overlap = _chunk_params(ctx, body)
    model = body.get("embedding_model") or DEFAULT_MODEL
    task = await _start_task(ctx, bucket, model, size, overlap, "embed_bucket")
    return {"data": _task_view(task)}


@operation("GetTasksByStatus")
async def list_tasks(ctx: RequestContext) -> Any:
    raw = ctx.request.query_params.getlist("status") or ["processing", "queued"]
    wanted = {s.strip() for r in raw for s in r.split(",") if s.strip()}
    tasks = ctx.tenant.store(EmbeddingStore).tasks.values()
    return {"data": [_task_view(t, listing=True) for t in tasks if t["status"] in wanted]}


@operation("GetEmbeddingTask")
async def get_task(ctx: RequestContext) -> Any:
    task = ctx.tenant.store(EmbeddingStore).tasks.get(str(ctx.path["task_id"]))
    if task is None:
        raise NotFound(f"Embedding task {ctx.path['task_id']} not found")
    return {"data": _task_view(task)}


@operation("GetEmbeddingBuckets")
async def list_buckets(ctx: RequestContext) -> Any:
    return {"data": {"buckets": sorted(ctx.tenant.store(EmbeddingStore).buckets)}}


def _embedded(ctx: RequestContext, bucket: str) -> EmbeddedBucket:
    found = ensure_embedded(ctx.emulator, ctx.api_key, bucket)  # a path's bucket was resolved already
    if found is None:
        raise NotFound(f"Bucket '{bucket}' not found or not embedded")
    return found


@operation("GetBucketName")
async def get_bucket(ctx: RequestContext) -> Any:
    found = _embedded(ctx, str(ctx.path["bucket_name"]))
    return {"data": [dict(f) for f in found.files.values()]}


@operation("embedding_bucket_files_public_embedding_buckets__bucket_name__delete")
async def delete_bucket(ctx: RequestContext) -> Any:
    bucket = str(ctx.path["bucket_name"])
    _embedded(ctx, bucket)
    store = ctx.tenant.store(EmbeddingStore)
    del store.buckets[bucket]
    for task in store.tasks.values():  # unfinished tasks of the bucket stop here
        if task.get("bucket") == bucket and task["status"] in ("queued", "processing"):
            ctx.emulator.services.lifecycles.cancel(ctx.api_key, "embedding_task", task["task_id"])
            task.update(status="failure", finished_at=ctx.state.clock.iso(), error_reason="The bucket's embeddings were deleted")
    return Reply(None, 200)


@operation("PostEmbeddingSimilaritySearch")
async def similarity_search(ctx: RequestContext) -> Any:
    body = ctx.json
    found = _embedded(ctx, str(body["bucket_name"]))
    n = body.get("num_of_docs", 3)
    if not isinstance(n, int) or n < 1:
        ctx.business_rule(rules.NUM_OF_DOCS, ValidationFailed(items=[ErrorItem("num_of_docs must be a positive integer", pointer="/num_of_docs")]))
        n = 3
    query_vector = embed([str(body["query"])], found.model)[0]
    # Cosine distance scaled into [0, 1]: 0 = same direction, 1 = opposite.
    scored = sorted(((min(1.0, max(0.0, (1.0 - cosine(query_vector, c.vector)) / 2)), c) for c in found.chunks),
                    key=lambda pair: (pair[0], pair[1].filename, pair[1].index))
    return {"data": [
        {"document_chunk": c.text, "distance": round(d, 6), "metadata": {
            "source": f"{body['bucket_name']}/{c.filename}", "checksum": c.checksum, "embedding": found.model,
            "filename": c.filename, "certainty": round(1.0 - d, 6), "chunk_index": c.index,
            "loader_metadata": {"chunk_index": c.index, "bucket": body["bucket_name"]}}}
        for d, c in scored[:n]
    ]}


@operation("PostEmbeddingUrl")
async def embed_url(ctx: RequestContext) -> Any:
    """Crawl ``url`` (same host, up to 5 links deep) from the offline web fixtures
    (``<fixtures>/web/<host>/<path>``; a page without one is generated from its URL), store the
    pages in the bucket, then embed it."""

    bucket = _bucket_name(ctx)
    url = str(ctx.json["url"]).strip()
    if not is_absolute(url):
        ctx.business_rule(rules.URL_ABSOLUTE, ValidationFailed(items=[ErrorItem("url must be an absolute http(s) URL", pointer="/url")]))
        url = "https://" + url.split("://", 1)[-1].lstrip("/")
    pages = crawl(fixture_roots(ctx.emulator), url)
    store = ctx.tenant.store(BucketStore)
    for filename, data in pages.items():
        store.put(bucket, filename, data, "text/html", at=ctx.state.clock.now())
    task = await _start_task(ctx, bucket, DEFAULT_MODEL, DEFAULT_CHUNK_SIZE, DEFAULT_OVERLAP, "embed_url")
    return {"data": _task_view(task)}
