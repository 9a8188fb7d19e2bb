"""Persistence after writes: a successful write request schedules a (debounced) save of the
state (``core/persistence.py``). Reads and failed requests save nothing."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.core.persistence import Persistence
from emulator.http.status import StatusRecorder

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SaveAfterWrites:
    def __init__(self, app: ASGIApp, *, persistence: Persistence) -> None:
        self.app = app
        self.persistence = persistence

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in _READ_METHODS:
            await self.app(scope, receive, send)
            return
        recorder = StatusRecorder(send)
        try:
            await self.app(scope, receive, recorder)
        finally:
            if recorder.status is not None and recorder.status < 400:
                self.persistence.mark_dirty()
