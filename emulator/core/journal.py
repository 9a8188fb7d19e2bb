"""The request journal: the last N API requests, what users reach for when a test fails.

Filled by :class:`emulator.faults.transport.ScenarioMiddleware` once a response is finished
(or the connection dropped by a fault); read through ``GET /_emulator/journal``. Bounded (a
``deque`` of ``journal_size`` entries), so a long-running emulator does not grow without limit.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass
class JournalEntry:
    seq: int
    at: float  # emulator-clock Unix seconds; formatted as RFC 3339 only when read (hot path)
    method: str
    path: str
    query: str
    api_key: str | None
    status: int | None  # None when the connection was dropped before any response
    latency_ms: float
    operation_id: str | None
    fault_rule: str | None
    transport_fault: str | None
    request_id: str | None
    implicit: str | None = None  # kinds of implicit resource the request created (lenient mode)
    warnings: str | None = None  # business rules it broke and was let through on (warn mode)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        dt = datetime.fromtimestamp(self.at, tz=UTC)
        out["at"] = dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
        return out


class Journal:
    """A ring buffer of :class:`JournalEntry` (``emulator.services.journal``)."""

    def __init__(self, size: int) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=max(0, size))
        self._seq = 0

    @property
    def enabled(self) -> bool:
        return bool(self._entries.maxlen)

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def record(self, entry: JournalEntry) -> None:
        self._entries.append(entry)

    def clear(self) -> int:
        n = len(self._entries)
        self._entries.clear()
        return n

    def query(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        api_key: str | None = None,
        operation_id: str | None = None,
        fault_rule: str | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        """Matching entries, newest first."""
        out: list[JournalEntry] = []
        for e in reversed(self._entries):
            if method and e.method != method.upper():
                continue
            if path and path not in e.path:
                continue
            if status is not None and e.status != status:
                continue
            if api_key and e.api_key != api_key:
                continue
            if operation_id and e.operation_id != operation_id:
                continue
            if fault_rule and e.fault_rule != fault_rule:
                continue
            out.append(e)
            if limit is not None and len(out) >= limit:
                break
        return out

    def __len__(self) -> int:
        return len(self._entries)
