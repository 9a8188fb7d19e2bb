"""The header deadline of the server protocol (``http/server.py``): a client slow with its
headers gets a 408, while a connection idle between requests and one upgraded to a WebSocket
are left alone — the sweep reads parser state, so it must tell these apart."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from websockets.sync.client import connect

from emulator.http.server import http_protocol
from tests.conftest import free_port

TIMEOUT = 0.5  # the sweep runs every 0.125 s; a 408 comes within 0.5 + 0.25 s of the request's start


async def _echo(ws: WebSocket) -> None:
    await ws.accept()
    while True:
        text = await ws.receive_text()
        await ws.send_text(text)


async def _ok(request: Any) -> PlainTextResponse:
    return PlainTextResponse("ok")


@contextmanager
def _serving() -> Iterator[tuple[int, Any]]:
    protocol = http_protocol(TIMEOUT)
    app = Starlette(routes=[Route("/ok", _ok), WebSocketRoute("/ws", _echo)])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", http=protocol, ws="websockets-sansio"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield port, protocol.header_watch
    finally:
        server.should_exit = True
        thread.join(5)


def _read_response(s: socket.socket) -> bytes:
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = s.recv(4096)
        if not chunk:
            break
        reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += s.recv(4096)
    return head + b"\r\n\r\n" + body


GET = b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"


def test_a_fresh_connection_that_sends_nothing_gets_408() -> None:
    with _serving() as (port, _), socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        started = time.monotonic()
        assert s.recv(4096).startswith(b"HTTP/1.1 408")
        assert TIMEOUT <= time.monotonic() - started + 0.05 < TIMEOUT + 1.0


def test_a_keep_alive_connections_slow_next_request_gets_408() -> None:
    with _serving() as (port, _), socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(GET)
        assert _read_response(s).endswith(b"ok")
        s.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        started = time.monotonic()
        assert s.recv(4096).startswith(b"HTTP/1.1 408")
        assert time.monotonic() - started < TIMEOUT + 1.0


def test_headers_sent_a_byte_at_a_time_are_cut_at_the_deadline() -> None:
    with _serving() as (port, _), socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        started = time.monotonic()
        reply = b""
        for byte in GET[:-2]:  # progress does not extend the deadline: the request began
            try:
                s.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.05)
            if time.monotonic() - started > TIMEOUT + 1.5:
                break
        reply = s.recv(4096)
        assert reply.startswith(b"HTTP/1.1 408"), reply
        assert time.monotonic() - started < TIMEOUT + 1.5


def test_a_connection_idle_between_requests_is_not_cut() -> None:
    """Between requests a connection is uvicorn's keep-alive's business (5 s by default), not ours."""
    with _serving() as (port, _), socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(GET)
        assert _read_response(s).endswith(b"ok")
        time.sleep(TIMEOUT * 3)
        s.sendall(GET)
        assert _read_response(s).startswith(b"HTTP/1.1 200")


def test_a_websocket_outlives_the_header_deadline_and_leaves_the_watch() -> None:
    with _serving() as (port, watch), connect(f"ws://127.0.0.1:{port}/ws", open_timeout=5) as ws:
        ws.send("one")
        assert ws.recv(timeout=5) == "one"
        time.sleep(TIMEOUT * 3)
        ws.send("two")  # a 408 written into the upgraded stream would have broken the session
        assert ws.recv(timeout=5) == "two"
        assert len(watch) == 0  # the upgraded connection is not held


@pytest.mark.parametrize("requests", [1, 3])
def test_closed_connections_leave_the_watch(requests: int) -> None:
    with _serving() as (port, watch):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            for _ in range(requests):
                s.sendall(GET)
                assert _read_response(s).endswith(b"ok")
            assert len(watch) == 1
        deadline = time.monotonic() + 2
        while len(watch) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(watch) == 0
