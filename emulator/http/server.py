"""The HTTP server protocol: uvicorn's, plus a deadline on request headers.

uvicorn bounds idle keep-alive connections but not a client that sends its headers a byte at a
time: such a connection is held open forever, and fifty of them hold fifty sockets. The body has
its own deadline in ``http/bodies.py`` (a 408 in the API's envelope); here, before any ASGI app
runs, a client that has not finished its headers within ``header_timeout`` seconds gets a bare
``408`` and the connection is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from emulator.http.deadlines import Deadlines

try:  # uvicorn[standard] brings httptools; without it uvicorn's default protocol is used as is
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - only without uvicorn[standard]
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

_TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"


def http_protocol(header_timeout: float) -> Any:
    """The protocol class for ``uvicorn.Config(http=...)`` ("auto" when httptools is absent)."""
    if HttpToolsProtocol is None:  # pragma: no cover
        return "auto"

    def too_slow(protocol: HeaderDeadlineProtocol) -> None:
        if not protocol.transport.is_closing():
            protocol.transport.write(_TIMEOUT_RESPONSE)
            protocol.transport.close()

    # One sweep for every connection of this server (http/deadlines.py), not a timer per request.
    deadlines: Deadlines[HeaderDeadlineProtocol] = Deadlines(header_timeout, too_slow)

    class HeaderDeadlineProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            deadlines.start(self, self.loop)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            deadlines.start(self, self.loop)  # a keep-alive connection's next request gets its own deadline

        def on_headers_complete(self) -> None:
            deadlines.stop(self)
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            deadlines.stop(self)
            super().connection_lost(exc)

    return HeaderDeadlineProtocol
