"""Per-tenant object storage: buckets of files, as the AI endpoints (summarize, embeddings,
transcription by URL) read them.

A minimal interface other families build on: ``put``/``get``/``list``/``delete``/``dump``.
Reading a file also falls back to the shipped fixtures (``fixtures/buckets/<bucket>/<file>``)
and to the user's ``--fixtures`` folder, so sample documents exist without an upload.
"""

from __future__ import annotations

import base64
import builtins
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.core.paths import fixtures_dir

if TYPE_CHECKING:
    from emulator.http.context import RequestContext
    from emulator.runtime.emulator import Emulator


@dataclass
class BucketObject:
    data: bytes
    content_type: str
    created_at: float  # emulator clock seconds, when known (0.0 otherwise)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class BucketStore:
    """bucket name -> filename -> object, for one API key."""

    snapshot_name = "buckets"
    snapshot_aliases = ("emulator.store.buckets:BucketStore",)  # its key before stores had names

    buckets: dict[str, dict[str, BucketObject]] = field(default_factory=dict)

    def put(self, bucket: str, filename: str, data: bytes, content_type: str = "application/octet-stream", *, at: float = 0.0) -> BucketObject:
        obj = BucketObject(bytes(data), content_type or "application/octet-stream", at)
        self.buckets.setdefault(bucket, {})[filename] = obj
        return obj

    def get(self, bucket: str, filename: str) -> BucketObject | None:
        return self.buckets.get(bucket, {}).get(filename)

    def list(self, bucket: str | None = None) -> builtins.list[tuple[str, str, BucketObject]]:
        """(bucket, filename, object) rows, sorted; one bucket or all of them."""
        names = [bucket] if bucket is not None else sorted(self.buckets)
        return [(b, f, o) for b in names for f, o in sorted(self.buckets.get(b, {}).items())]

    def bucket_names(self) -> builtins.list[str]:
        return sorted(self.buckets)

    def delete(self, bucket: str, filename: str | None = None) -> bool:
        """Delete one file, or the whole bucket when ``filename`` is None; False if absent."""
        if filename is None:
            return self.buckets.pop(bucket, None) is not None
        files = self.buckets.get(bucket)
        if files is None or filename not in files:
            return False
        del files[filename]
        if not files:
            del self.buckets[bucket]
        return True

    def dump(self) -> dict[str, Any]:
        """Everything, file bytes included (base64), so snapshots and persistence keep files."""
        return {
            b: {
                f: {"size": o.size, "content_type": o.content_type, "created_at": o.created_at,
                    "data_base64": base64.b64encode(o.data).decode("ascii")}
                for f, o in sorted(files.items())
            }
            for b, files in sorted(self.buckets.items())
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> BucketStore:
        """Snapshot protocol (``emulator/core/snapshot.py``): the inverse of ``dump``."""
        store = cls()
        for bucket, files in data.items():
            for filename, row in files.items():
                store.put(bucket, filename, base64.b64decode(row["data_base64"]), row["content_type"], at=float(row.get("created_at", 0.0)))
        return store


def fixture_file(roots: list[Path], bucket: str, filename: str) -> bytes | None:
    """``<root>/buckets/<bucket>/<filename>`` from the first root holding it — never outside it."""
    if not _safe_name(bucket) or not _safe_name(filename):
        return None
    for root in roots:
        base = (root / "buckets").resolve()
        candidate = (base / bucket / filename).resolve()
        if not candidate.is_relative_to(base) or not candidate.is_file():
            continue
        return candidate.read_bytes()
    return None


def _safe_name(name: str) -> bool:
    """A name the file system can look up: no NUL byte, not over-long (a fixture never is)."""
    return "\x00" not in name and len(name.encode()) < 1024 and all(len(part.encode()) < 255 for part in name.split("/"))


def fixture_roots(emulator: Emulator) -> list[Path]:
    """The user's ``--fixtures`` folder (wins) and the shipped one."""
    extra = [emulator.settings.fixtures] if emulator.settings.fixtures else []
    return [*extra, fixtures_dir()]


def bucket_files(emulator: Emulator, api_key: str, bucket: str) -> dict[str, bytes]:
    """Every file in ``bucket``: fixtures first, then uploads (an upload wins over a fixture)."""
    out: dict[str, bytes] = {}
    for root in reversed(fixture_roots(emulator) if _safe_name(bucket) else []):
        base = (root / "buckets").resolve()
        folder = (base / bucket).resolve()
        if folder.is_relative_to(base) and folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    out[path.relative_to(folder).as_posix()] = path.read_bytes()
    for _b, filename, obj in emulator.state.tenant(api_key).store(BucketStore).list(bucket):
        out[filename] = obj.data
    return dict(sorted(out.items()))


def read_bucket_file(ctx: RequestContext, bucket: str, filename: str) -> bytes | None:
    """The file's bytes from the caller's buckets or the fixtures; None when it does not exist."""
    found = ctx.tenant.store(BucketStore).get(bucket, filename)
    if found is not None:
        return found.data
    return fixture_file(fixture_roots(ctx.emulator), bucket, filename)
