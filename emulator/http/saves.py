"""Persistence after writes: a successful write request schedules a (debounced) save of the
state (``core/persistence.py``). Reads and failed requests save nothing."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.core.persistence import Persistence

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SaveAfterWrites:
    def __init__(self, app: ASGIApp, *, persistence: Persistence) -> None:
        self.app = app
        self.persistence = persistence

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in _READ_METHODS:
            await self.app(scope, receive, send)
            return
        status = [0]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if 0 < status[0] < 400:
                self.persistence.mark_dirty()
