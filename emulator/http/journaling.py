"""Fills the request journal (``core/journal.py``): one entry per API request, written once the
response is finished or the connection was dropped by a transport fault."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.core.clock import Clock
from emulator.core.journal import Journal, JournalEntry
from emulator.http.auth import bearer_token
from emulator.http.status import StatusRecorder

_DROPPING_FAULTS = ("reset", "empty")  # the client never sees a status line


class Journaling:
    def __init__(self, app: ASGIApp, *, journal: Journal, clock: Clock) -> None:
        self.app = app
        self.journal = journal
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.journal.enabled:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        started = time.perf_counter()
        recorder = StatusRecorder(send)
        try:
            await self.app(scope, receive, recorder)
        finally:
            fault = state.get("transport_fault")
            self.journal.record(
                JournalEntry(
                    seq=self.journal.next_seq(),
                    at=self.clock.now(),
                    method=scope["method"],
                    path=scope["path"],
                    query=scope.get("query_string", b"").decode("latin-1"),
                    api_key=bearer_token(scope.get("headers", ())),
                    status=None if fault and fault["kind"] in _DROPPING_FAULTS else recorder.status,
                    latency_ms=round((time.perf_counter() - started) * 1000, 3),
                    operation_id=state.get("operation_id"),
                    fault_rule=state.get("fault_rule"),
                    transport_fault=fault["kind"] if fault else None,
                    request_id=state.get("request_id"),
                    implicit=state.get("implicit"),
                    warnings=state.get("warnings"),
                )
            )
