"""Persistence after writes: a successful write request is saved (``core/persistence.py``)
*before* the last byte of its response is sent, so what a client saw acknowledged is on disk.

Writes are the non-read methods, and reads that created an implicit resource (lenient mode
answers them with ``x-emulator-implicit``). The save covers the caller's tenant (the bearer
token), the services and the clock; a request without a token (none is possible on the API, a
control route's) saves everything. Reads and failed requests save nothing. The response's
status and headers may already be out when the save runs; its end is held back until it is done
(for a stream: until the stream's last chunk, so what the stream changed is saved too).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.core.persistence import Persistence
from emulator.http.auth import bearer_token

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_IMPLICIT = b"x-emulator-implicit"


class SaveAfterWrites:
    def __init__(self, app: ASGIApp, *, persistence: Persistence) -> None:
        self.app = app
        self.persistence = persistence

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        writes = scope["method"] not in _READ_METHODS
        status: int | None = None
        saved = False

        def save_if_needed() -> None:
            nonlocal saved
            if not saved and writes and status is not None and status < 400:
                saved = True
                self.persistence.after_write(bearer_token(scope["headers"]))

        async def send_after_saving(message: Message) -> None:
            nonlocal status, writes
            if message["type"] == "http.response.start":
                status = message["status"]
                writes = writes or any(name.lower() == _IMPLICIT for name, _ in message.get("headers", ()))
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                save_if_needed()
            await send(message)

        try:
            await self.app(scope, receive, send_after_saving)
        finally:
            save_if_needed()  # a response cut short (a transport fault, a client gone) still counts
