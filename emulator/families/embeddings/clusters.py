"""``/ai/clusters``: text clustering of a bucket's documents, as a task (``cluster`` policy:
pending -> running -> completed, or failed when the bucket holds no text).

Nodes are the sentences/lines of the bucket's text files (optionally only ``files`` or those
under ``prefix``). Clustering is deterministic leader clustering over the embedding engine's
vectors: a node joins the most similar cluster centre above a threshold, else starts a cluster;
clusters smaller than ``min_cluster_size`` are dropped, and each cluster is clustered again more
tightly into subclusters of at least ``min_subcluster_size``. A cluster's header and summary are
its most frequent content words. ``graph`` renders cluster sizes as a small PNG bar chart.
"""

from __future__ import annotations

import copy
import math
import re
import struct
import zlib
from collections import Counter
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from emulator.core.errors import NotFound
from emulator.fakes.embeddings import cosine, embed, normalise
from emulator.families.embeddings.bucket_store import bucket_files
from emulator.families.embeddings.documents import extract_text
from emulator.families.embeddings.rules import CLUSTER_ID
from emulator.http.binding import Reply, operation

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

MODEL = "thenlper/gte-large"
THRESHOLD, SUB_THRESHOLD = 0.2, 0.4


class ClusterStore:
    """task id -> {"info": ClusteringRequestInfo, "clusters": [RecursiveCluster]}."""

    snapshot_name = "clusters"
    snapshot_aliases = ("emulator.resources.clusters:ClusterStore",)  # its key before stores had names

    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}

    def dump(self) -> dict[str, Any]:
        return {"tasks": self.tasks}

    @classmethod
    def load(cls, data: dict[str, Any]) -> ClusterStore:
        store = cls()
        store.tasks = dict(data["tasks"])
        return store


def nodes_of(files: dict[str, bytes]) -> list[dict[str, str]]:
    nodes = []
    for filename, data in files.items():
        try:
            text = extract_text(filename, data)
        except ValueError:
            continue
        for piece in re.split(r"(?<=[.!?])\s+|\n+", text):
            if len(piece.split()) >= 2:
                nodes.append({"filename": filename, "text": piece.strip()})
    return nodes


def _group(nodes: list[dict[str, str]], vectors: list[list[float]], threshold: float) -> list[list[int]]:
    centres: list[list[float]] = []
    members: list[list[int]] = []
    for i, v in enumerate(vectors):
        best, score = -1, threshold
        for k, centre in enumerate(centres):
            s = cosine(v, centre)
            if s > score:
                best, score = k, s
        if best < 0:
            centres.append(list(v))
            members.append([i])
        else:
            members[best].append(i)
            n = len(members[best])
            centres[best] = [(c * (n - 1) + x) / n for c, x in zip(centres[best], v, strict=True)]  # one model: one dimension
    return sorted(members, key=lambda m: (-len(m), m[0]))


def _keywords(texts: list[str], n: int) -> list[str]:
    counts = Counter(w for t in texts for w in normalise(t) if len(w) > 3)
    return [w for w, _ in counts.most_common(n)]


def cluster_nodes(nodes: list[dict[str, str]], vectors: list[list[float]], idx: list[int], min_size: int, min_sub: int,
              threshold: float, prefix: str) -> list[dict[str, Any]]:
    out = []
    for n, group in enumerate(g for g in _group([nodes[i] for i in idx], [vectors[i] for i in idx], threshold) if len(g) >= min_size):
        members = [idx[i] for i in group]
        words = _keywords([nodes[i]["text"] for i in members], 5)
        cluster: dict[str, Any] = {
            "cluster_id": f"{prefix}{n}", "cluster_header": (words[0] if words else "misc").title(),
            "cluster_summary": "Texts about " + ", ".join(words or ["various topics"]),
            "total_number_of_nodes": len(members), "nodes": [dict(nodes[i]) for i in members], "subclusters": [],
        }
        if threshold < SUB_THRESHOLD and len(members) >= 2 * min_sub:
            cluster["subclusters"] = cluster_nodes(nodes, vectors, members, min_sub, min_sub, SUB_THRESHOLD, f"{prefix}{n}.")
        out.append(cluster)
    return out


@operation("compute_new_cluster_public_text_clusters_post")
async def compute(ctx: RequestContext) -> Any:
    body = ctx.json
    bucket = str(body["bucket"])
    emulator, api_key = ctx.emulator, ctx.api_key
    task_id = ctx.tenant.ids.uuid()
    now = ctx.state.clock.iso()
    min_size, min_sub = int(body.get("min_cluster_size", 25)), int(body.get("min_subcluster_size", 5))
    # finished_at is required by the document even while running: it holds created_at until then.
    info = {"task_id": task_id, "status": "pending", "bucket": bucket, "created_at": now, "finished_at": now,
            "min_cluster_size": min_size, "min_subcluster_size": min_sub}
    task: dict[str, Any] = {"info": info, "clusters": []}
    ctx.tenant.store(ClusterStore).tasks[task_id] = task
    wanted, prefix = set(body.get("files") or []), body.get("prefix") or ""

    def running() -> None:
        info["status"] = "running"

    def finish() -> None:
        files = {f: d for f, d in bucket_files(emulator, api_key, bucket).items()
                 if (not wanted or f in wanted) and f.startswith(prefix)}
        nodes = nodes_of(files)
        info["finished_at"] = emulator.state.clock.iso()
        if not nodes:
            info["status"] = "failed"
            return
        vectors = embed([n["text"] for n in nodes], MODEL)
        task["clusters"] = cluster_nodes(nodes, vectors, list(range(len(nodes))), max(1, min_size), max(1, min_sub), THRESHOLD, "")
        info["status"] = "completed"

    ctx.emulator.services.lifecycles.begin(ctx.api_key, "cluster", task_id, [running, finish], labels=["running", "completed"])
    return {"data": {"task_id": task_id}}


def _task(ctx: RequestContext) -> dict[str, Any]:
    found = ctx.tenant.store(ClusterStore).tasks.get(str(ctx.path["task_id"]))
    if found is None:
        raise NotFound(f"Clustering task {ctx.path['task_id']} not found")
    return found


@operation("list_all_requested_clusters_public_text_clusters_get")
async def list_tasks(ctx: RequestContext) -> Any:
    rows = [copy.deepcopy(t["info"]) for t in reversed(list(ctx.tenant.store(ClusterStore).tasks.values()))]
    page = ctx.query.get("page") or {}
    number, size = max(1, int(page.get("number") or 1)), int(page.get("size") or 20)
    return {"data": rows[(number - 1) * size: number * size],
            "meta": {"page_number": number, "page_size": size, "total_results": len(rows), "total_pages": max(1, math.ceil(len(rows) / size))}}


def _trim(cluster: dict[str, Any], top_n: int, subclusters: bool) -> dict[str, Any]:
    out = dict(cluster)
    if top_n > 0:
        out["nodes"] = out["nodes"][:top_n]
    out["subclusters"] = [_trim(s, top_n, subclusters) for s in cluster["subclusters"]] if subclusters else []
    return out


@operation("fetch_cluster_by_task_id_public_text_clusters__task_id__get")
async def get_task(ctx: RequestContext) -> Any:
    task = _task(ctx)
    top_n, subs = int(ctx.query.get("top_n_nodes") or 0), bool(ctx.query.get("show_subclusters"))
    return {"data": {"status": task["info"]["status"], "bucket": task["info"]["bucket"],
                     "clusters": [_trim(c, top_n, subs) for c in task["clusters"]]}}


@operation("delete_cluster_by_task_id_public_text_clusters__task_id__delete")
async def delete_task(ctx: RequestContext) -> Any:
    task = _task(ctx)
    ctx.emulator.services.lifecycles.cancel(ctx.api_key, "cluster", task["info"]["task_id"])
    del ctx.tenant.store(ClusterStore).tasks[task["info"]["task_id"]]
    return Reply(None, 204)


@operation("fetch_cluster_image_by_task_id_public_text_clusters__task_id__image_get")
async def graph(ctx: RequestContext) -> Any:
    """A PNG bar chart: one bar per cluster (or per subcluster of ``cluster_id``), height = size."""
    task = _task(ctx)
    clusters = task["clusters"]
    wanted = ctx.query.get("cluster_id")
    if wanted:
        found = _find(clusters, str(wanted))
        if found is None:
            ctx.business_rule(CLUSTER_ID, NotFound(f"Clustering task {task['info']['task_id']} has no cluster {wanted}"))
        else:
            clusters = found["subclusters"] or [found]
    return Response(_png([c["total_number_of_nodes"] for c in clusters]), media_type="image/png")


def _find(clusters: list[dict[str, Any]], cluster_id: str) -> dict[str, Any] | None:
    for c in clusters:
        if c["cluster_id"] == cluster_id:
            return c
        found = _find(c["subclusters"], cluster_id)
        if found is not None:
            return found
    return None


def _png(sizes: list[int], width: int = 200, height: int = 100) -> bytes:
    top = max(sizes or [1])
    bar = max(1, width // max(1, len(sizes)))
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            k = x // bar
            filled = k < len(sizes) and (height - y) <= sizes[k] * height / top and x % bar < bar - 1
            row += bytes((40, 90, 200) if filled else (255, 255, 255))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")


