"""What an embedding task does to a bucket: read each file's text, cut it into overlapping chunks
and embed them — one function, used by the task lifecycle and by implicit buckets alike."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from emulator.fakes.embeddings import EmbeddingError, embed
from emulator.families.embeddings.documents import chunk_text, extract_text
from emulator.families.embeddings.store import Chunk, EmbeddedBucket

DEFAULT_MODEL = "thenlper/gte-large"
DEFAULT_CHUNK_SIZE, DEFAULT_OVERLAP = 1024, 512


def user_id(api_key: str) -> str:
    """A stable user id (uuid) for an API key."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"telnyx-emulator:{api_key}"))


@dataclass
class Embedded:
    bucket: EmbeddedBucket
    ok: int
    failed: int


def embed_files(files: dict[str, bytes], model: str, size: int, overlap: int, now: str,
                previous: EmbeddedBucket | None = None) -> Embedded:
    """The embedded bucket for ``files``; a file that cannot be read is recorded as failed with
    its reason, and keeps the ``created_at`` it had in ``previous``."""
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
    return Embedded(target, ok, failed)
