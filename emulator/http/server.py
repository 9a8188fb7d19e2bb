"""The HTTP server protocol: uvicorn's, plus a deadline on request headers.

uvicorn bounds idle keep-alive connections but not a client that sends its headers a byte at a
time: such a connection is held open forever, and fifty of them hold fifty sockets. The body has
its own deadline in ``http/bodies.py`` (a 408 in the API's envelope); here, before any ASGI app
runs, a client that has not finished its headers within ``header_timeout`` seconds gets a bare
``408`` and the connection is closed.

The deadline costs a request nothing: no hook runs per request. One sweep per server, every
``granularity`` seconds while it has connections, looks at each connection's parser state — a
request has begun (``protocol.scope``) but no request-response cycle holds it yet — and times
out a connection found waiting on the same request's headers for ``header_timeout`` seconds. A
fresh connection waits from the moment it was made; a keep-alive connection's next request from
when a sweep first sees it begun, so the 408 comes between ``header_timeout`` and
``header_timeout + 2 × granularity`` seconds after the request began. A connection upgraded to a
WebSocket has another protocol on its transport and leaves the watch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

try:  # uvicorn[standard] brings httptools; without it uvicorn's default protocol is used as is
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - only without uvicorn[standard]
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

_TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
_IDLE = object()  # the marker of a connection between requests (uvicorn's keep-alive timeout bounds it)


class HeaderWatch:
    """The connections of one server and, for each, which request's headers it waits on since when."""

    def __init__(self, timeout: float, on_expire: Callable[[Any], None]) -> None:
        self.timeout = timeout
        self.granularity = min(1.0, timeout / 4)
        self.on_expire = on_expire
        self._waiting: dict[Any, tuple[object, float]] = {}  # protocol -> (its request's scope | None | _IDLE, since)
        self._sweep: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, protocol: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._waiting[protocol] = (None, loop.time())  # None: the first request, not begun yet
        if self._sweep is None or self._loop is not loop:  # a new loop (tests run several): sweep there
            self._loop = loop
            self._sweep = loop.call_later(self.granularity, self.sweep)

    def discard(self, protocol: Any) -> None:
        self._waiting.pop(protocol, None)

    @staticmethod
    def waiting_on(protocol: Any) -> object:
        """The request whose headers ``protocol`` still reads (``None`` before the first), or ``_IDLE``."""
        cycle = protocol.cycle
        scope = protocol.scope
        return scope if cycle is None or cycle.scope is not scope else _IDLE

    def sweep(self) -> None:
        loop = self._loop
        assert loop is not None
        now = loop.time()
        for protocol, (marker, since) in list(self._waiting.items()):
            if protocol.transport.get_protocol() is not protocol:  # upgraded (WebSocket): not ours any more
                del self._waiting[protocol]
                continue
            current = self.waiting_on(protocol)
            if current is not marker:
                self._waiting[protocol] = (current, now)
            elif current is not _IDLE and now - since >= self.timeout:
                del self._waiting[protocol]
                self.on_expire(protocol)
        self._sweep = loop.call_later(self.granularity, self.sweep) if self._waiting else None


def http_protocol(header_timeout: float) -> Any:
    """The protocol class for ``uvicorn.Config(http=...)`` ("auto" when httptools is absent)."""
    if HttpToolsProtocol is None:  # pragma: no cover
        return "auto"

    def too_slow(protocol: HeaderDeadlineProtocol) -> None:
        if not protocol.transport.is_closing():
            protocol.transport.write(_TIMEOUT_RESPONSE)
            protocol.transport.close()

    watch = HeaderWatch(header_timeout, too_slow)

    class HeaderDeadlineProtocol(HttpToolsProtocol):
        header_watch = watch  # for tests: what the sweep holds

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            watch.add(self, self.loop)

        def connection_lost(self, exc: Exception | None) -> None:
            watch.discard(self)
            super().connection_lost(exc)

    return HeaderDeadlineProtocol
