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

try:  # uvicorn[standard] brings httptools; without it uvicorn's default protocol is used as is
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - only without uvicorn[standard]
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

_TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"


def http_protocol(header_timeout: float) -> Any:
    """The protocol class for ``uvicorn.Config(http=...)`` ("auto" when httptools is absent)."""
    if HttpToolsProtocol is None:  # pragma: no cover
        return "auto"

    class HeaderDeadlineProtocol(HttpToolsProtocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()  # a keep-alive connection's next request gets its own deadline

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._deadline is None:
                self._deadline = self.loop.call_later(header_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                self.transport.write(_TIMEOUT_RESPONSE)
                self.transport.close()

    return HeaderDeadlineProtocol
