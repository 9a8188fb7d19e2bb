"""What a collection searches: the chunks of its sources, ranked by similarity to the query.

A ``bucket`` source reads the embeddings family's embedded bucket (``EmbeddingStore.embedded``,
the chunks and vectors an embedding task left) when there is one; otherwise the bucket's files
(``bucket_files``: fixtures and uploads) are cut into paragraphs here and embedded with the
shared deterministic engine, so a collection over a bucket nobody embedded still answers. Other
source types (``voice``, ``message``, ``meeting_bot``) attach but hold no documents yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.fakes.embeddings import cosine, embed, embed_one
from emulator.families.embeddings.bucket_store import bucket_files
from emulator.families.embeddings.store import EmbeddingStore

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator

MODEL = "thenlper/gte-large"
CHUNK_WORDS = 120


@dataclass
class Doc:
    bucket: str
    filename: str
    index: int
    total: int
    text: str
    vector: list[float]


def _paragraphs(text: str) -> list[str]:
    """Whole-word chunks of at most ``CHUNK_WORDS`` words, paragraph by paragraph."""
    out: list[str] = []
    for para in (p.strip() for p in text.replace("\r", "").split("\n\n")):
        words = para.split()
        out += [" ".join(words[i:i + CHUNK_WORDS]) for i in range(0, len(words), CHUNK_WORDS)]
    return out


def bucket_docs(emulator: Emulator, api_key: str, bucket: str) -> list[Doc]:
    embedded = emulator.state.tenant(api_key).store(EmbeddingStore).embedded(bucket)
    if embedded is not None and embedded.chunks:
        totals: dict[str, int] = {}
        for c in embedded.chunks:
            totals[c.filename] = totals.get(c.filename, 0) + 1
        return [Doc(bucket, c.filename, c.index, totals[c.filename], c.text, c.vector) for c in embedded.chunks]
    pieces: list[tuple[str, int, int, str]] = []
    for filename, data in bucket_files(emulator, api_key, bucket).items():
        chunks = _paragraphs(data.decode("utf-8", errors="replace")) if not data.startswith(b"%PDF") else []
        pieces += [(filename, i, len(chunks), text) for i, text in enumerate(chunks)]
    vectors = embed([p[3] for p in pieces], MODEL) if pieces else []
    return [Doc(bucket, f, i, n, t, v) for (f, i, n, t), v in zip(pieces, vectors, strict=True)]


def documents(emulator: Emulator, api_key: str, collection: dict[str, Any], kinds: set[str] | None) -> list[Doc]:
    out: list[Doc] = []
    for source in collection["sources"]:
        if kinds is not None and source["source_type"] not in kinds:
            continue
        if source["source_type"] == "bucket" and source.get("bucket_id"):
            out += bucket_docs(emulator, api_key, source["bucket_id"])
    return out


def rank(docs: list[Doc], query: str) -> list[tuple[float, Doc]]:
    """Best first; a score is the cosine similarity mapped to 0..1 (higher = more relevant)."""
    q = embed_one(query, MODEL)
    scored = [(round((1.0 + cosine(q, d.vector)) / 2, 6), d) for d in docs]
    return sorted(scored, key=lambda pair: (-pair[0], pair[1].filename, pair[1].index))
