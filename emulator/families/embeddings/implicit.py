"""Implicit resources of the embeddings family (lenient mode, ``runtime/implicit.py``): an
embedding task, an embedded bucket or a clustering task the caller names but never created is
adopted as a finished one, the same every run; and a bucket file nobody uploaded gets generated
content (``fakes/pages.py``) so AI endpoints that read it (summaries, transcription) answer.

Embedded buckets are also named in request bodies (similarity search), which the kernel does not
resolve: :func:`ensure_embedded` is that lookup, with the same tombstone rule.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from emulator.fakes import audio, pages
from emulator.fakes.embeddings import embed
from emulator.families.embeddings.bucket_store import BucketStore, bucket_files, fixture_file, fixture_roots
from emulator.families.embeddings.clusters import MODEL as CLUSTER_MODEL
from emulator.families.embeddings.clusters import THRESHOLD, ClusterStore, cluster_nodes, nodes_of
from emulator.families.embeddings.embedding import DEFAULT_CHUNK_SIZE, DEFAULT_MODEL, DEFAULT_OVERLAP, embed_files, user_id
from emulator.families.embeddings.store import EmbeddedBucket, EmbeddingStore
from emulator.runtime.implicit import IdKind, Ids, Tombstones

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator

EMBEDDED_BUCKET = "embedded_bucket"
MEDIA = frozenset({"flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm"})


def _ordered(record: dict[str, Any], first: str, then: str) -> tuple[str, str]:
    """The record's two synthesized instants, earliest first (a task ends after it starts)."""
    a, b = str(record.get(first) or ""), str(record.get(then) or "")
    return (a, b) if a <= b else (b, a)


def _instant(seed: str, later: int) -> str:
    """A fixed instant in 2024 picked by ``seed`` (plus ``later`` seconds), as the clock writes it."""
    offset = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big") % (365 * 86400)
    at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=offset + later)
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


# --- generated bucket files ----------------------------------------------------------------------


def spoken_page(url: str) -> bytes:
    """A WAV recording of the generated page for ``url``: its title and first paragraph (the
    words ride in the file, so a transcription hears exactly them)."""
    doc = pages.page(url)
    return audio.encode_wav(audio.babble(f"{doc.title}. {doc.paragraphs[0]}", rate=8000))


def generated_file(bucket: str, filename: str) -> tuple[bytes, str]:
    """(bytes, content type) of a file nobody uploaded: a page of text about its name, as the
    file's type holds it (audio speaks it, so a transcription hears the same words)."""
    url = f"https://{bucket}/{filename}"  # the bucket as the host: its name is a topic word
    doc = pages.page(url)
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext in MEDIA:
        return spoken_page(url), "audio/wav"
    if ext in ("html", "htm"):
        return doc.html(), "text/html"
    if ext == "pdf":
        lines = "".join(f"({p.replace('(', '').replace(')', '')}) Tj\n" for p in (doc.title, *doc.paragraphs))
        return f"%PDF-1.4\n1 0 obj << >> stream\nBT\n{lines}ET\nendstream endobj\n%%EOF\n".encode("latin-1", "replace"), "application/pdf"
    return doc.text.encode(), "text/plain"


def ensure_file(emulator: Emulator, api_key: str, bucket: str, filename: str) -> bytes:
    """The file's bytes; a missing one is generated and stored in the tenant's bucket first."""
    store = emulator.state.tenant(api_key).store(BucketStore)
    found = store.get(bucket, filename)
    if found is not None:
        return found.data
    shipped = fixture_file(fixture_roots(emulator), bucket, filename)
    if shipped is not None:
        return shipped
    data, content_type = generated_file(bucket, filename)
    store.put(bucket, filename, data, content_type, at=emulator.state.clock.now())
    return data


# --- embedded buckets ----------------------------------------------------------------------------


def _bucket_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    return ids["bucket_name"] in emulator.state.tenant(api_key).store(EmbeddingStore).buckets


def _adopt_bucket(emulator: Emulator, api_key: str, ids: Ids, _record: dict[str, Any]) -> None:
    """An embedded bucket: its files if it has some (fixtures or uploads), else one generated
    document about its name — embedded with the defaults, as a finished task would leave it."""
    bucket = ids["bucket_name"]
    files = bucket_files(emulator, api_key, bucket)
    if not files:
        ensure_file(emulator, api_key, bucket, "document.txt")
        files = bucket_files(emulator, api_key, bucket)
    now = emulator.state.clock.iso()
    done = embed_files(files, DEFAULT_MODEL, DEFAULT_CHUNK_SIZE, DEFAULT_OVERLAP, now)
    emulator.state.tenant(api_key).store(EmbeddingStore).buckets[bucket] = done.bucket


def ensure_embedded(emulator: Emulator, api_key: str, bucket: str) -> EmbeddedBucket | None:
    """The embedded bucket a request body names: adopted when the caller's mode creates unknown
    ids and it was never deleted; None when it does not exist."""
    store = emulator.state.tenant(api_key).store(EmbeddingStore)
    found = store.embedded(bucket)
    if found is not None or not emulator.state.modes.of(api_key).creates_unknown_ids:
        return found
    if (EMBEDDED_BUCKET, (bucket,)) in emulator.state.tenant(api_key).store(Tombstones).deleted:
        return None
    _adopt_bucket(emulator, api_key, {"bucket_name": bucket}, {})
    return store.embedded(bucket)


# --- embedding tasks -----------------------------------------------------------------------------


def _task_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    return ids["task_id"] in emulator.state.tenant(api_key).store(EmbeddingStore).tasks


def _adopt_task(emulator: Emulator, api_key: str, ids: Ids, record: dict[str, Any]) -> None:
    """A task that finished successfully (the synthesized times, in order); it names no bucket."""
    created, finished = _ordered(record, "created_at", "finished_at")
    task_id = ids["task_id"]
    emulator.state.tenant(api_key).store(EmbeddingStore).tasks[task_id] = {
        "task_id": task_id, "task_name": "embed_bucket", "bucket": None, "status": "success",
        "created_at": created, "finished_at": finished, "user_id": user_id(api_key)}


# --- clustering tasks ----------------------------------------------------------------------------


def _cluster_exists(emulator: Emulator, api_key: str, ids: Ids) -> bool:
    return ids["task_id"] in emulator.state.tenant(api_key).store(ClusterStore).tasks


def _adopt_cluster(emulator: Emulator, api_key: str, ids: Ids, record: dict[str, Any]) -> None:
    """A completed clustering of the synthesized bucket's document (generated if it has none):
    real clusters of real sentences, so nodes and the graph agree."""
    task_id = ids["task_id"]
    bucket = str(record.get("bucket") or "bucket")
    files = bucket_files(emulator, api_key, bucket) or {"document.txt": generated_file(bucket, "document.txt")[0]}
    nodes = nodes_of(files)
    clusters = cluster_nodes(nodes, embed([n["text"] for n in nodes], CLUSTER_MODEL), list(range(len(nodes))), 2, 2, THRESHOLD, "") if nodes else []
    created, finished = _instant(f"cluster|{task_id}", 0), _instant(f"cluster|{task_id}", 90)
    info = {"task_id": task_id, "status": "completed", "bucket": bucket, "created_at": created, "finished_at": finished,
            "min_cluster_size": 2, "min_subcluster_size": 2}
    emulator.state.tenant(api_key).store(ClusterStore).tasks[task_id] = {"info": info, "clusters": clusters}


ID_KINDS: tuple[IdKind[Emulator], ...] = (
    IdKind(kind="embedding_task", template="/ai/embeddings/{task_id}", exists=_task_exists, adopt=_adopt_task),
    IdKind(kind=EMBEDDED_BUCKET, template="/ai/embeddings/buckets/{bucket_name}", exists=_bucket_exists, adopt=_adopt_bucket),
    IdKind(kind="cluster", template="/ai/clusters/{task_id}", exists=_cluster_exists, adopt=_adopt_cluster),
)
