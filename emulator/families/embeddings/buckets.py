"""``/ai/embeddings*`` (bucket embedding tasks, embedded buckets, similarity search, URL ingest).

A task reads every file of the bucket (uploaded with the control API, or shipped/user fixtures
``buckets/<bucket>/<file>``), extracts text by file type, splits it into chunks of
``document_chunk_size`` characters overlapping by ``document_chunk_overlap_size``, and embeds each
chunk with the embedding engine. The task moves queued -> processing -> success / partial_success
/ failure under the ``embedding_task`` lifecycle policy; files of unsupported types fail with an
``error_reason``. Similarity search ranks the stored chunk vectors by cosine distance.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Any

from emulator.core.errors import ErrorItem, NotFound, ValidationFailed
from emulator.fakes.embeddings import EmbeddingError, cosine, embed
from emulator.families.embeddings.bucket_store import BucketStore, bucket_files, fixture_roots
from emulator.families.embeddings.documents import chunk_text, extract_text
from emulator.families.embeddings.store import Chunk, EmbeddedBucket, EmbeddingStore
from emulator.families.embeddings.web import crawl
from emulator.http.binding import Reply, operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

def user_id(api_key: str) -> str:
    """A stable user id (uuid) for an API key."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"telnyx-emulator:{api_key}"))


def _task_view(task: dict[str, Any], *, listing: bool = False) -> dict[str, Any]:
    keys = ("task_id", "task_name", "status", "created_at", "finished_at", "user_id") + (("bucket",) if listing else ())
    out = {k: task[k] for k in keys if task.get(k) is not None}
    return out


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
        target = EmbeddedBucket(model)
        ok = failed = 0
        for filename, data in files.items():
            created = previous.files.get(filename, {}).get("created_at", now) if previous else now
            record: dict[str, Any] = {"filename": filename, "created_at": created, "updated_at": now}
            try:
                pieces = chunk_text(extract_text(filename, data), size, overlap)
                vectors = embed(pieces, model)
            except (ValueError, EmbeddingError) as exc:
                record.update(status="failed", error_reason=str(exc))
                failed += 1
            else:
                checksum = hashlib.sha256(data).hexdigest()
                target.chunks += [Chunk(filename, i, p, checksum, v) for i, (p, v) in enumerate(zip(pieces, vectors, strict=True))]  # embed() gives one vector per piece
                record.update(status="success", last_embedded_at=now)
                ok += 1
            target.files[filename] = record
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


def _chunk_params(body: dict[str, Any]) -> tuple[int, int]:
    size = body.get("document_chunk_size", 1024)
    overlap = body.get("document_chunk_overlap_size", 512)
    if not isinstance(size, int) or size < 1:
        raise ValidationFailed(items=[ErrorItem("document_chunk_size must be a positive integer", pointer="/document_chunk_size")])
    if not isinstance(overlap, int) or overlap < 0 or overlap >= size:
        raise ValidationFailed(items=[ErrorItem("document_chunk_overlap_size must be >= 0 and smaller than document_chunk_size", pointer="/document_chunk_overlap_size")])
    return size, overlap


@operation("PostEmbedding")
async def create_task(ctx: RequestContext) -> Any:
    body = ctx.json
    bucket = str(body["bucket_name"]).strip()
    if not bucket:
        raise ValidationFailed(items=[ErrorItem("bucket_name must not be empty", pointer="/bucket_name")])
    size, overlap = _chunk_params(body)
    model = body.get("embedding_model") or "thenlper/gte-large"
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
    found = ctx.tenant.store(EmbeddingStore).embedded(bucket)
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
        if task["bucket"] == bucket and task["status"] in ("queued", "processing"):
            ctx.emulator.services.lifecycles.cancel(ctx.api_key, "embedding_task", task["task_id"])
            task.update(status="failure", finished_at=ctx.state.clock.iso(), error_reason="The bucket's embeddings were deleted")
    return Reply(None, 200)


@operation("PostEmbeddingSimilaritySearch")
async def similarity_search(ctx: RequestContext) -> Any:
    body = ctx.json
    found = _embedded(ctx, str(body["bucket_name"]))
    n = body.get("num_of_docs", 3)
    if not isinstance(n, int) or n < 1:
        raise ValidationFailed(items=[ErrorItem("num_of_docs must be a positive integer", pointer="/num_of_docs")])
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
    (``<fixtures>/web/<host>/<path>``), store the pages in the bucket, then embed it."""

    body = ctx.json
    bucket = str(body["bucket_name"]).strip()
    if not bucket:
        raise ValidationFailed(items=[ErrorItem("bucket_name must not be empty", pointer="/bucket_name")])
    pages = crawl(fixture_roots(ctx.emulator), str(body["url"]))
    store = ctx.tenant.store(BucketStore)
    for filename, data in pages.items():
        store.put(bucket, filename, data, "text/html", at=ctx.state.clock.now())
    task = await _start_task(ctx, bucket, "thenlper/gte-large", 1024, 512, "embed_url")
    return {"data": _task_view(task)}
