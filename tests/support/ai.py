"""Shared bits for the AI-resource SDK tests: a live emulator per test module, SDK clients per
API key, control-API helpers (clock, lifecycles, buckets) and a tiny local HTTP receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import telnyx

from emulator.app import create_app
from tests.conftest import LiveServer, make_settings


class Emu:
    """A live emulator plus helpers; one per test module (tests isolate by API key)."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.url = server.url
        self.http = httpx.Client(base_url=server.url, timeout=10)

    def sdk(self, api_key: str) -> telnyx.Telnyx:
        return telnyx.Telnyx(api_key=api_key, base_url=f"{self.url}/v2", _strict_response_validation=True, max_retries=0)

    def raw(self, api_key: str) -> httpx.Client:
        return httpx.Client(base_url=f"{self.url}/v2", headers={"Authorization": f"Bearer {api_key}"}, timeout=10)

    def advance(self, seconds: float) -> None:
        r = self.http.post("/_emulator/clock", json={"advance": seconds})
        assert r.status_code == 200, r.text

    def policy(self, api_key: str, kind: str, mode: str, seconds: float | None = None) -> None:
        body: dict[str, Any] = {"mode": mode}
        if seconds is not None:
            body["seconds"] = seconds
        r = self.http.put(f"/_emulator/lifecycles/{kind}", params={"api_key": api_key}, json=body)
        assert r.status_code == 200, r.text

    def step(self, api_key: str, **body: Any) -> list[dict[str, Any]]:
        r = self.http.post("/_emulator/lifecycles/advance", params={"api_key": api_key}, json=body)
        assert r.status_code == 200, r.text
        return r.json()["advanced"]

    def upload(self, api_key: str, bucket: str, filename: str, data: bytes, content_type: str = "text/plain") -> None:
        r = self.http.put(f"/_emulator/buckets/{bucket}/{filename}", params={"api_key": api_key}, content=data, headers={"content-type": content_type})
        assert r.status_code == 201, r.text


class Recorder:
    """ASGI wrapper keeping every ``/v2`` JSON response, so a module can check at the end that
    each success body validates against its operation's documented schema."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state  # LiveServer users reach the runtime through app.state
        self.seen: list[tuple[str, str, int, bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v2/"):
            await self.app(scope, receive, send)
            return
        status, chunks, is_json = 0, [], False

        async def capture(message: Any) -> None:
            nonlocal status, is_json
            if message["type"] == "http.response.start":
                status = message["status"]
                is_json = any(k == b"content-type" and b"json" in v for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        if is_json and 200 <= status < 300:
            self.seen.append((scope["method"], scope["path"], status, b"".join(chunks)))

    def violations(self) -> list[str]:
        emulator = self.app.state.emulator
        out = []
        for method, path, _status, body in self.seen:
            operation, _ = emulator.index.match(method, path)
            _media, schema = operation.success_content()
            if schema is not None and not emulator.synthesizer.validates(schema, json.loads(body)):
                out.append(f"{method} {path} ({operation.operation_id}) -> {body[:300]!r}")
        return out


def live_emulator(tmp: Path, **settings: Any) -> Iterator[Emu]:
    """A live emulator; at teardown, every JSON success response it sent must have validated
    against the document (the SDK checks only the fields its models declare)."""
    app = create_app(make_settings(tmp, **settings))
    recorder = Recorder(app)
    with LiveServer(recorder) as server:  # type: ignore[arg-type]
        emu = Emu(server)
        yield emu
        emu.http.close()
    bad = recorder.violations()
    assert not bad, "responses that do not match the document:\n" + "\n".join(bad)


class Receiver:
    """A local HTTP server recording every request (method, path, headers, JSON body)."""

    def __init__(self, status: int = 200, reply: dict[str, Any] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                outer.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                       "body": json.loads(raw) if raw else None, "raw": raw})
                payload = json.dumps(reply if reply is not None else {"ok": True}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
