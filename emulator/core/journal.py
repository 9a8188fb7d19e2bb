"""The request journal: the last N API requests, what users reach for when a test fails — and
what they assert on (``GET /_emulator/journal``, ``POST /_emulator/journal/count``).

Filled by :class:`emulator.http.exchange.Exchange` once a response is finished (or the
connection dropped by a fault). Bounded twice: a ``deque`` of ``journal_size`` entries, and each
request and response body kept up to :data:`BODY_LIMIT` bytes (marked ``truncated``), so a
long-running emulator does not grow without limit.

The hot path only stores references (the ASGI header list, the body bytes already read); decoding,
redaction and matching happen when someone reads the journal.
"""

from __future__ import annotations

import base64
import fnmatch
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

BODY_LIMIT = 16 * 1024
"""Bytes of each request and response body the journal keeps; the rest is counted, not stored."""

REDACTED = "[redacted]"
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-admin-token"})
"""Never shown: the API key is already the entry's ``api_key``; the rest are other people's secrets."""

RawHeaders = Sequence[tuple[bytes, bytes]]


class Captured(NamedTuple):
    """One side of an exchange as it passed by: headers and (a bounded prefix of) the body.

    The journal stores it (and :class:`JournalEntry`) as a plain tuple: see ``Journal``."""

    headers: RawHeaders = ()
    body: bytes = b""
    size: int = 0  # the whole body's length, even past BODY_LIMIT

    @property
    def truncated(self) -> bool:
        return self.size > len(self.body)

    def header(self, name: str) -> str | None:
        raw = name.lower().encode("latin-1")
        for key, value in self.headers:
            if key.lower() == raw:
                return value.decode("latin-1")
        return None

    def json(self) -> Any:
        """The body parsed as JSON, or None (not JSON, empty, or cut by the bound)."""
        if not self.body or self.truncated or self.body.lstrip()[:1] not in (b"{", b"["):
            return None
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None

    def as_dict(self) -> dict[str, Any]:
        headers: dict[str, str] = {}
        for key, value in self.headers:
            name = key.decode("latin-1").lower()
            text = REDACTED if name in _SECRET_HEADERS else value.decode("latin-1")
            headers[name] = f"{headers[name]}, {text}" if name in headers else text
        out: dict[str, Any] = {"headers": headers, "size": self.size, "truncated": self.truncated}
        try:
            out["body"] = self.body.decode("utf-8")
        except UnicodeDecodeError:  # audio, files: still inspectable, as base64
            out["body"] = base64.b64encode(self.body).decode()
            out["body_encoding"] = "base64"
        return out


class JournalEntry(NamedTuple):
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
    request: Captured = Captured()
    response: Captured = Captured()

    def as_dict(self, *, bodies: bool = True) -> dict[str, Any]:
        dt = datetime.fromtimestamp(self.at, tz=UTC)
        out: dict[str, Any] = {
            "seq": self.seq,
            "at": dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z",
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "api_key": self.api_key,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "operation_id": self.operation_id,
            "fault_rule": self.fault_rule,
            "transport_fault": self.transport_fault,
            "request_id": self.request_id,
            "implicit": self.implicit,
            "warnings": self.warnings,
        }
        if bodies:
            out["request"] = self.request.as_dict()
            out["response"] = self.response.as_dict()
        return out


@dataclass(frozen=True)
class JournalMatch:
    """What an entry must look like to be counted or listed (every given field must match).

    ``path`` is a substring of the request path, or a glob when it holds ``*`` (``/v2/calls/*``);
    ``status`` is a code (``422``) or a class (``4xx``); ``since``/``until`` are emulator-clock
    Unix seconds (inclusive); ``after`` a ``seq`` (entries recorded later); ``body`` maps JSON pointers of the request body to expected values
    (like a fault rule's ``match.body``); ``body_contains`` is a substring of the raw request body.
    """

    method: str | None = None
    path: str | None = None
    operation_id: str | None = None
    api_key: str | None = None
    status: str | None = None
    fault_rule: str | None = None
    request_id: str | None = None
    since: float | None = None
    until: float | None = None
    after: int | None = None
    body: dict[str, Any] | None = None
    body_contains: str | None = None

    def matches(self, e: JournalEntry) -> bool:
        if self.method and e.method != self.method.upper():
            return False
        if self.path and not (fnmatch.fnmatchcase(e.path, self.path) if "*" in self.path else self.path in e.path):
            return False
        if self.status and not _status_matches(self.status, e.status):
            return False
        if self.api_key and e.api_key != self.api_key:
            return False
        if self.operation_id and e.operation_id != self.operation_id:
            return False
        if self.fault_rule and e.fault_rule != self.fault_rule:
            return False
        if self.request_id and e.request_id != self.request_id:
            return False
        if self.after is not None and e.seq <= self.after:
            return False
        if self.since is not None and e.at < self.since:
            return False
        if self.until is not None and e.at > self.until:
            return False
        if self.body_contains is not None and self.body_contains.encode() not in e.request.body:
            return False
        return not self.body or _body_matches(self.body, e.request.json())


def _status_matches(wanted: str, status: int | None) -> bool:
    if status is None:
        return wanted.lower() == "none"
    if len(wanted) == 3 and wanted[1:].lower() == "xx":
        return str(status)[0] == wanted[0]
    return str(status) == wanted


def _body_matches(expected: dict[str, Any], body: Any) -> bool:
    for pointer, value in expected.items():
        node = body
        for raw in pointer.strip("/").split("/") if pointer not in ("", "/") else []:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return False
        if node != value:
            return False
    return True


def _entry(kept: tuple[Any, ...]) -> JournalEntry:
    """A stored entry (``Journal.record``) as the :class:`JournalEntry` it was."""
    return JournalEntry._make((*kept[:7], round(kept[7], 3), *kept[8:-2], Captured._make(kept[-2]), Captured._make(kept[-1])))


class Journal:
    """A ring buffer of :class:`JournalEntry` (``emulator.services.journal``)."""

    def __init__(self, size: int) -> None:
        # Plain tuples of strings, numbers and tuples, not the named ones: the garbage collector
        # stops tracking such a tuple the first time it looks at it (only an exact tuple), so
        # the thousand entries the journal keeps alive are not walked by every collection again
        # (a slotted dataclass always is: a steady part of the collector's pauses under load).
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=max(0, size))
        self._seq = 0

    @property
    def enabled(self) -> bool:
        return bool(self._entries.maxlen)

    @property
    def last_seq(self) -> int:
        """The newest entry's ``seq`` (0 before any): ``after=last_seq`` selects what comes next."""
        return self._seq

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def record(self, entry: JournalEntry) -> None:
        request, response = entry.request, entry.response
        self.keep((*entry[:-2], (tuple(request.headers), request.body, request.size), (tuple(response.headers), response.body, response.size)))

    def keep(self, kept: tuple[Any, ...]) -> None:
        """The request path's :meth:`record`: an entry already in the stored form, the fields of
        :class:`JournalEntry` in order with each :class:`Captured` as a plain tuple (headers as a
        tuple), except that ``latency_ms`` may be unrounded: it is rounded to the microsecond when
        read (``round(x, 3)`` formats and parses a decimal string: ~1 µs). Building the named
        tuples by keyword and then taking them apart again cost ~6 µs a request, a tenth of a
        simple GET; a positional tuple costs ~0.5 µs."""
        self._entries.append(kept)

    def clear(self) -> int:
        n = len(self._entries)
        self._entries.clear()
        return n

    def select(self, match: JournalMatch, *, limit: int | None = None) -> list[JournalEntry]:
        """Matching entries, newest first."""
        return _take((e for e in map(_entry, reversed(self._entries)) if match.matches(e)), limit)

    def count(self, match: JournalMatch) -> int:
        return sum(1 for e in map(_entry, self._entries) if match.matches(e))

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
        """Matching entries, newest first (keyword form of :meth:`select`)."""
        match = JournalMatch(
            method=method, path=path, status=None if status is None else str(status), api_key=api_key, operation_id=operation_id, fault_rule=fault_rule
        )
        return self.select(match, limit=limit)

    def __len__(self) -> int:
        return len(self._entries)


def _take(entries: Iterable[JournalEntry], limit: int | None = None) -> list[JournalEntry]:
    out: list[JournalEntry] = []
    for e in entries:
        if limit is not None and len(out) >= limit:
            break
        out.append(e)
    return out
