"""Request ids, and the control API's middleware that stamps them.

``RequestIdMiddleware`` (pure ASGI: BaseHTTPMiddleware buffers streamed bodies and costs
throughput) stamps every control-API response with ``x-request-id`` (echoing the client's when
given) and, when the access log is on, logs one line per request with its latency. API requests
get the same from their exchange (``http/exchange.py``).
"""

from __future__ import annotations

import logging
import time
from random import Random

from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("emulator.access")
# The version (4) and variant (RFC 4122) bits of a UUID4, as uuid.UUID(version=4) sets them.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID4_SET = (4 << 76) | (0x8000 << 48)
# Our own generator, seeded from the OS: a test that seeds the global ``random`` must not make
# request ids repeat.
getrandbits = Random().getrandbits


def new_request_id() -> str:
    """A random UUID4 as 32 hex digits (what ``uuid.uuid4().hex`` gives, at a tenth of its
    cost: an id that tells requests apart need not be cryptographic, so no system call)."""
    n = getrandbits(128) & _UUID4_CLEAR | _UUID4_SET
    return f"{n:032x}"


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp, *, log_requests: bool = False) -> None:
        self.app = app
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                request_id = value.decode("latin-1")[:128]
                break
        if not request_id:
            request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder = [0]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if self.log_requests:
                access_log.info(
                    '%s %s %s %.1fms id=%s',
                    scope["method"],
                    scope["path"],
                    status_holder[0],
                    (time.perf_counter() - started) * 1000,
                    request_id,
                )
