"""Fills the request journal (``core/journal.py``): one entry per API request, written once the
response is finished or the connection was dropped by a transport fault.

Request and response are captured as they pass by — the request body from the ``receive``
messages the dispatcher reads anyway, the response through :class:`StatusRecorder` — up to
``BODY_LIMIT`` bytes each, so journalling costs two wrappers and a few appends per request.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.core.clock import Clock
from emulator.core.journal import BODY_LIMIT, Captured, Journal, JournalEntry
from emulator.http.auth import bearer_token
from emulator.http.status import StatusRecorder

_DROPPING_FAULTS = ("reset", "empty")  # the client never sees a status line


class _BodyTap:
    """Wraps ``receive``: keeps the first ``limit`` bytes of the request body, counts the rest."""

    __slots__ = ("chunks", "kept", "limit", "receive", "size")

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive = receive
        self.limit = limit
        self.chunks: list[bytes] = []
        self.kept = 0
        self.size = 0

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            self.size += len(chunk)
            room = self.limit - self.kept
            if chunk and room > 0:
                part = chunk if len(chunk) <= room else chunk[:room]
                self.chunks.append(part)
                self.kept += len(part)
        return message

    @property
    def body(self) -> bytes:
        return self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)


class Journaling:
    def __init__(self, app: ASGIApp, *, journal: Journal, clock: Clock, body_limit: int = BODY_LIMIT) -> None:
        self.app = app
        self.journal = journal
        self.clock = clock
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.journal.enabled:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        started = time.perf_counter()
        tap = _BodyTap(receive, self.body_limit)
        recorder = StatusRecorder(send, keep_body=self.body_limit)
        try:
            await self.app(scope, tap, recorder)
        finally:
            fault = state.get("transport_fault")
            headers = scope.get("headers", ())
            self.journal.record(
                JournalEntry(
                    seq=self.journal.next_seq(),
                    at=self.clock.now(),
                    method=scope["method"],
                    path=scope["path"],
                    query=scope.get("query_string", b"").decode("latin-1"),
                    api_key=bearer_token(headers),
                    status=None if fault and fault["kind"] in _DROPPING_FAULTS else recorder.status,
                    latency_ms=round((time.perf_counter() - started) * 1000, 3),
                    operation_id=state.get("operation_id"),
                    fault_rule=state.get("fault_rule"),
                    transport_fault=fault["kind"] if fault else None,
                    request_id=state.get("request_id"),
                    implicit=state.get("implicit"),
                    warnings=state.get("warnings"),
                    request=Captured(headers, tap.body, tap.size),
                    response=Captured(recorder.headers, recorder.body, recorder.body_size),
                )
            )
