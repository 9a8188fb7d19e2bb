"""Embedded buckets and embedding tasks, per tenant.

Chunk vectors are derived data (the embedding engine is deterministic), so ``dump`` leaves them
out and ``load`` recomputes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.fakes.embeddings import embed


@dataclass
class Chunk:
    filename: str
    index: int
    text: str
    checksum: str
    vector: list[float]


@dataclass
class EmbeddedBucket:
    model: str
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # filename -> EmbeddingsBucketFiles record
    chunks: list[Chunk] = field(default_factory=list)


@dataclass
class EmbeddingStore:
    snapshot_name = "embeddings"
    snapshot_aliases = ("emulator.store.embeddings:EmbeddingStore",)  # its key before stores had names

    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)  # task id -> task record (with "bucket")
    buckets: dict[str, EmbeddedBucket] = field(default_factory=dict)

    def embedded(self, bucket: str) -> EmbeddedBucket | None:
        """The bucket if at least one embedding task finished for it."""
        return self.buckets.get(bucket)

    def dump(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks,
            "buckets": {
                name: {"model": b.model, "files": b.files,
                       "chunks": [{"filename": c.filename, "index": c.index, "text": c.text, "checksum": c.checksum} for c in b.chunks]}
                for name, b in self.buckets.items()
            },
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> EmbeddingStore:
        store = cls(tasks=dict(data["tasks"]))
        for name, raw in data["buckets"].items():
            chunks = raw["chunks"]
            vectors = embed([c["text"] for c in chunks], raw["model"]) if chunks else []
            store.buckets[name] = EmbeddedBucket(
                raw["model"], dict(raw["files"]),
                [Chunk(c["filename"], c["index"], c["text"], c["checksum"], v) for c, v in zip(chunks, vectors, strict=True)],  # one vector per chunk
            )
        return store
