"""A real local webhook receiver for tests: records every request and can be scripted to fail.

``http.server`` in a thread (no extra dependency). Each request consumes the next scripted action
for its path (default: answer 200), so a test can say "fail twice, then succeed", "be slow once",
or "drop the connection" and then look at exactly what arrived.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from emulator.testing.receiver import serve_http

Action = tuple[Any, ...]  # ("ok",) | ("status", code) | ("sleep", seconds) | ("close",)


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.perf_counter() when the body had been read

    def json(self) -> Any:
        return orjson.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl((self.body or self.query.encode()).decode(), keep_blank_values=True))


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._scripts: dict[str, deque[Action]] = {}
        self._lock = threading.Condition()
        self.server, self.thread = serve_http(self._handle, name="test-receiver")

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def script(self, path: str, *actions: Action) -> None:
        """Queue actions for the next requests to ``path`` (then back to answering 200)."""
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(actions)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    def wait_for(self, n: int, timeout: float = 5.0, path: str | None = None) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                got = [r for r in self.requests if path is None or r.path == path]
                if len(got) >= n:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"receiver got {len(got)} requests, expected {n}")
                self._lock.wait(left)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        split = urlsplit(h.path)
        n = int(h.headers.get("content-length") or 0)
        body = h.rfile.read(n) if n else b""
        with self._lock:
            script = self._scripts.get(split.path)
            action: Action = script.popleft() if script else ("ok",)
            self.requests.append(
                Received(h.command, split.path, split.query, {k.lower(): v for k, v in h.headers.items()}, body, time.perf_counter())
            )
            self._lock.notify_all()
        status = 200
        if action[0] == "close":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if action[0] == "sleep":
            time.sleep(action[1])
        elif action[0] == "status":
            status = action[1]
        try:
            h.send_response(status)
            h.send_header("content-length", "2")
            h.end_headers()
            h.wfile.write(b"ok")
        except OSError:
            h.close_connection = True  # the sender gave up (timeout) and hung up first


def closed_port_url() -> str:
    """A URL nothing listens on (bound then released, so the port is very likely refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/hook"
