"""A lean HTTP/1.1 keep-alive transport for the dispatcher's ``httpx.AsyncClient``.

Why: httpcore's connection pool rescans every connection for every queued request (quadratic
under load) and goes through anyio, which capped signed deliveries at a few hundred per second on
two cores. Webhook receivers are plain HTTP/1.1 servers we POST small bodies to, so this
transport speaks exactly that over asyncio streams with a per-origin idle-connection pool. It is
a real ``httpx.AsyncBaseTransport``: the client API, request building and response decoding stay
httpx's. ``https://`` URLs go to httpx's own transport (TLS, certificates, HTTP/2 stay correct).
"""

from __future__ import annotations

import asyncio
import socket
from collections import defaultdict
from urllib.parse import urlsplit

import httpx

_MAX_HEAD = 64 * 1024
_MAX_BODY = 1024 * 1024  # a receiver's reply is kept for the log; larger ones are not reused
_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class _Stale(Exception):
    """A reused keep-alive connection was closed by the server before it answered."""


class KeepAliveTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, max_idle_per_origin: int = 100, tls: httpx.AsyncBaseTransport | None = None) -> None:
        self._idle: defaultdict[tuple[str, int], list[_Conn]] = defaultdict(list)
        self._max_idle = max_idle_per_origin
        self._tls = tls or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http":
            return await self._tls.handle_async_request(request)
        origin = (request.url.host, request.url.port or 80)
        status, version, headers, content = await self.exchange(
            origin, request.method, _request_head(request), await request.aread()
        )
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content), extensions={"http_version": version})

    async def exchange(
        self, origin: tuple[str, int], method: str, head: bytes, body: bytes
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes]:
        """Send a ready-made request head + body over a pooled connection: (status, version,
        headers, body). The dispatcher calls this directly for plain-HTTP receivers."""
        while True:
            conn, reused = self._checkout(origin), True
            if conn is None:
                conn, reused = await _connect(origin), False
            try:
                result, keep = await _exchange(conn, method, head, body, reused)
            except _Stale:
                _close(conn)
                continue  # the server dropped an idle connection: take another (or a new one)
            except BaseException:
                _close(conn)  # includes cancellation by the dispatcher's timeout
                raise
            if keep and len(self._idle[origin]) < self._max_idle:
                self._idle[origin].append(conn)
            else:
                _close(conn)
            return result

    async def aclose(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                _close(conn)
        self._idle.clear()
        await self._tls.aclose()

    def _checkout(self, origin: tuple[str, int]) -> _Conn | None:
        idle = self._idle.get(origin)
        while idle:
            reader, writer = idle.pop()
            if not writer.is_closing() and not reader.at_eof() and not reader._buffer:  # noqa: SLF001
                return reader, writer
            writer.close()
        return None


async def _connect(origin: tuple[str, int]) -> _Conn:
    try:
        reader, writer = await asyncio.open_connection(origin[0], origin[1], limit=_MAX_HEAD)
    except OSError as exc:  # refused, unreachable, DNS failure
        raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


def _request_head(request: httpx.Request) -> bytes:
    lines = [request.method.encode() + b" " + request.url.raw_path + b" HTTP/1.1"]
    lines += [name + b": " + value for name, value in request.headers.raw]
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def _exchange(
    conn: _Conn, method: str, head: bytes, body: bytes, reused: bool
) -> tuple[tuple[int, bytes, list[tuple[bytes, bytes]], bytes], bool]:
    reader, writer = conn
    try:
        writer.write(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            writer.write(body)
        await writer.drain()
        while True:
            try:
                raw = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                if reused and not exc.partial:
                    raise _Stale from exc
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.") from exc
            except asyncio.LimitOverrunError as exc:
                raise httpx.RemoteProtocolError("Response head too large.") from exc
            status, version, headers = _parse_head(raw)
            if not (100 <= status < 200) or status == 101:
                break  # skip interim 1xx responses
        length = _header(headers, b"content-length")
        chunked = b"chunked" in (_header(headers, b"transfer-encoding") or b"").lower()
        keep = version == b"HTTP/1.1" and (_header(headers, b"connection") or b"").lower() != b"close"
        if method == "HEAD" or status in (204, 304):
            content = b""
        elif chunked:
            content = await _read_chunked(reader)
        elif length is not None:
            n = int(length)
            if n > _MAX_BODY:
                keep = False
                n = _MAX_BODY
            content = await reader.readexactly(n)
        else:
            content, keep = await reader.read(_MAX_BODY), False  # body ends when the server closes
    except (ConnectionResetError, BrokenPipeError) as exc:
        if reused:
            raise _Stale from exc
        raise httpx.ReadError(str(exc) or "connection reset") from exc
    except asyncio.IncompleteReadError as exc:
        raise httpx.RemoteProtocolError("Server closed the connection mid-body.") from exc
    except OSError as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
    except ValueError as exc:
        raise httpx.RemoteProtocolError(f"Malformed response: {exc}") from exc
    return (status, version, headers, content), keep


def _parse_head(raw: bytes) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    status_line, *header_lines = raw[:-4].split(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    if not version.startswith(b"HTTP/"):
        raise ValueError(f"not an HTTP status line: {status_line[:60]!r}")
    status = int(rest[:3])
    headers = []
    for line in header_lines:
        name, sep, value = line.partition(b":")
        if sep:
            headers.append((name.strip(), value.strip()))
    return status, version, headers


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return b"".join(parts)
        chunk = await reader.readexactly(size + 2)
        total += size
        if total <= _MAX_BODY:
            parts.append(chunk[:-2])


def _close(conn: _Conn) -> None:
    conn[1].close()


def build_head(method: str, target: str, headers: dict[str, str]) -> bytes:
    """An HTTP/1.1 request head from already-valid parts (the dispatcher's direct path)."""
    lines = [f"{method} {target} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def plain_http_target(url: str) -> tuple[tuple[str, int], str, str] | None:
    """(origin, Host header, request target) for a simple ``http://`` URL the direct path can
    send as is; None sends the request through httpx instead (https, credentials in the URL,
    characters that need encoding, anything unusual)."""
    if not url.startswith("http://") or not url.isascii() or any(c in url for c in ' "<>\\^`{|}') or not url.isprintable():
        return None
    try:
        parts = urlsplit(url)
        port = parts.port or 80
    except ValueError:
        return None
    if not parts.hostname or "@" in parts.netloc or parts.fragment:
        return None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (parts.hostname, port), parts.netloc, target
