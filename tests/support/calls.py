"""Test harness for simulated calls: a real local webhook receiver, an emulator on a frozen
clock, and helpers to drive calls and read back the exact, signature-checked event sequence."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import httpx
import jsonschema
import orjson
import telnyx
from nacl.signing import VerifyKey
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.settings import Settings
from tests.conftest import LiveServer

API_KEY = "calls-test-key"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
CLIENT_STATE = "aGF2ZSBhIG5pY2UgZGF5ID1d"  # base64 of "have a nice day =]"


@dataclass
class Hit:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def data(self) -> dict[str, Any]:
        return self.json()["data"]

    @property
    def event_type(self) -> str:
        return self.data["event_type"]

    @property
    def payload(self) -> dict[str, Any]:
        return self.data["payload"]

    def form(self) -> dict[str, str]:
        raw = self.body.decode() if self.body else self.query
        return dict(parse_qsl(raw, keep_blank_values=True))


class Receiver:
    """``http.server`` in a thread answering 200 and recording every request."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                split = urlsplit(self.path)
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                with receiver.cond:
                    receiver.hits.append(Hit(self.command, split.path, split.query, {k.lower(): v for k, v in self.headers.items()}, body))
                    receiver.cond.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def wait(self, n: int, *, path: str | None = "/hook", timeout: float = 5.0) -> list[Hit]:
        """The first ``n`` requests (to ``path``), waiting for them; fails if they never come."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                got = [h for h in self.hits if path is None or h.path == path]
                if len(got) >= n:
                    return got[:n]
                left = deadline - time.monotonic()
                if left <= 0:
                    types = [h.event_type if h.body.startswith(b"{") else h.form() for h in got]
                    raise AssertionError(f"got {len(got)} requests, expected {n}: {types}")
                self.cond.wait(left)

    def settle(self, *, path: str | None = "/hook", quiet: float = 0.15) -> list[Hit]:
        """Everything received once nothing new has arrived for ``quiet`` seconds."""
        last = -1
        while True:
            with self.cond:
                count = len(self.hits)
            if count == last:
                return [h for h in self.hits if path is None or h.path == path]
            last = count
            time.sleep(quiet)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Calls:
    """Drives one emulator through HTTP (TestClient) with a frozen clock."""

    def __init__(self, client: TestClient, receiver: Receiver) -> None:
        self.c = client
        self.rx = receiver
        self.public_key = client.get("/_emulator/public-key").json()["public_key"]
        self.sdk = telnyx.Telnyx(api_key="k", public_key=self.public_key)

    def post(self, path: str, body: dict[str, Any] | None = None, *, expect: int | None = 200) -> Any:
        r = self.c.post(f"/v2{path}", json=body or {}, headers=AUTH)
        if expect is not None:
            assert r.status_code == expect, r.text
        return r.json() if r.content else None

    def dial(self, to: str = "+13125550100", **extra: Any) -> str:
        body = {"connection_id": "conn-1", "from": "+13125550001", "to": to, "webhook_url": self.rx.url(), **extra}
        return self.post("/calls", body)["data"]["call_control_id"]

    def action(self, ccid: str, name: str, body: dict[str, Any] | None = None, *, expect: int = 200) -> Any:
        return self.post(f"/calls/{ccid}/actions/{name}", body, expect=expect)

    def admin(self, path: str, body: dict[str, Any] | None = None, *, expect: int = 200) -> Any:
        r = self.c.post(f"/_emulator{path}", json=body or {})
        assert r.status_code == expect, r.text
        return r.json()

    def advance(self, seconds: float) -> None:
        self.admin("/clock", {"advance": seconds})

    def script(self, to: str, *steps: Any, **extra: Any) -> None:
        self.admin("/calls/scripts", {"to": to, "steps": list(steps), "api_key": API_KEY, **extra}, expect=201)

    def verify(self, hits: list[Hit]) -> None:
        """Every signature verifies with the emulator's public key: JSON events through the
        official SDK's ``unwrap``; form callbacks (TeXML) with the same Ed25519 rule over
        ``"{timestamp}|{form body or query string}"``, since ``unwrap`` only parses JSON."""
        for hit in hits:
            if hit.body.startswith(b"{"):
                self.sdk.webhooks.unwrap(hit.body.decode(), headers=hit.headers)
                continue
            signed = hit.body.decode() if hit.body else hit.query
            message = f"{hit.headers['telnyx-timestamp']}|{signed}".encode()
            VerifyKey(base64.b64decode(self.public_key)).verify(message, base64.b64decode(hit.headers["telnyx-signature-ed25519"]))

    def types(self, hits: list[Hit]) -> list[str]:
        return [h.event_type for h in hits]


@contextmanager
def calls_env(tmp_path: Path, **settings: Any) -> Iterator[Calls]:
    """An emulator on a frozen clock (nothing happens until a test advances it) + a receiver."""
    rx = Receiver()
    opts: dict[str, Any] = {"state_dir": tmp_path / "state", "clock_frozen": True, "webhook_timestamp": "wall", **settings}
    app = create_app(Settings(**opts))
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Calls(client, rx)
    finally:
        rx.close()


def webhook_validators(doc: dict[str, Any]) -> dict[str, Any]:
    """event_type -> a validator of the envelope's ``data`` member, from the document's
    ``webhooks`` section (the schemas Telnyx publishes for each event)."""
    def resolve(node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            node = doc["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
        return node

    out: dict[str, Any] = {}
    for hook in doc.get("webhooks", {}).values():
        schema = hook["post"]["requestBody"]["content"]["application/json"]["schema"]
        data_schema = resolve(resolve(schema)["properties"]["data"])
        enum = resolve(data_schema["properties"]["event_type"]).get("enum") or []
        ref = resolve(schema)["properties"]["data"]
        root = {**ref, "components": doc["components"]} if "$ref" in ref else {**data_schema, "components": doc["components"]}
        for event_type in enum:
            out[event_type] = jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())
    return out


class SdkSession(NamedTuple):
    server: LiveServer
    client: telnyx.Telnyx  # the official SDK, strict response validation on
    verifier: telnyx.Telnyx  # holds the emulator's public key, for webhooks.unwrap
    rx: Receiver


@contextmanager
def sdk_session(tmp_path: Path) -> Iterator[SdkSession]:
    """A real uvicorn emulator (frozen clock), the official SDK pointed at it, an SDK holding the
    public key from ``GET /_emulator/public-key``, and a webhook receiver (closed on exit)."""
    rx = Receiver()
    app = create_app(Settings(state_dir=tmp_path / "state", clock_frozen=True, webhook_timestamp="wall"))
    try:
        with LiveServer(app) as server:
            client = telnyx.Telnyx(api_key=API_KEY, base_url=f"{server.url}/v2", _strict_response_validation=True)
            key = httpx.get(f"{server.url}/_emulator/public-key").json()["public_key"]
            yield SdkSession(server, client, telnyx.Telnyx(api_key="k", public_key=key), rx)
    finally:
        rx.close()
