"""Pure ASGI middleware (no BaseHTTPMiddleware: it buffers streamed bodies and costs throughput).

``RequestIdMiddleware`` stamps every response with ``x-request-id`` (echoing the client's when
given) and, when the access log is on, logs one line per request with its latency.
"""

from __future__ import annotations

import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("emulator.access")


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
            request_id = uuid.uuid4().hex
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
