"""A local webhook receiver for tests: checks every signature on arrival and lets a test wait for
the event it expects instead of sleeping.

One :class:`WebhookReceiver` (``http.server`` in a thread) serves the whole session; each test gets
a :class:`Webhooks` view of its own path (``/t/<api key>``), registered as its key's default
webhook URL. A request whose ``telnyx-signature-ed25519`` does not verify with the emulator's
public key over ``"{telnyx-timestamp}|{body}"`` (the query string for GET form callbacks) is
recorded as bad: ``wait_for`` raises :class:`BadSignature` at once, and the fixture fails the test
at teardown.
"""

from __future__ import annotations

import base64
import binascii
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import orjson
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey


def serve_http(handle: Callable[[BaseHTTPRequestHandler], None], bind: str = "127.0.0.1", *, name: str = "http") -> tuple[ThreadingHTTPServer, threading.Thread]:
    """A keep-alive HTTP server on a free port, in a daemon thread, passing every GET/POST to
    ``handle`` — the webhook receivers of the plugin and of the project's own tests."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like real receivers

        def setup(self) -> None:
            super().setup()
            # Headers and body are written separately: without this, Nagle + delayed ACK add
            # ~40 ms to every keep-alive response.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self) -> None:
            handle(self)

        do_GET = do_POST

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((bind, 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
    thread.start()
    return server, thread


class BadSignature(AssertionError):
    """A webhook arrived whose signature does not verify with the emulator's public key."""


@dataclass
class Webhook:
    """One request as received: raw bytes and headers, and the event it carries."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    verified: bool
    problem: str | None = None
    _json: Any = field(default=None, repr=False)

    def json(self) -> Any:
        if self._json is None and self.body[:1] == b"{":
            self._json = orjson.loads(self.body)
        return self._json

    @property
    def is_json(self) -> bool:
        return self.body[:1] == b"{"

    @property
    def data(self) -> dict[str, Any]:
        """The envelope's ``data`` (``{}`` for a form callback)."""
        body = self.json()
        return body.get("data", {}) if isinstance(body, dict) else {}

    @property
    def event_type(self) -> str | None:
        return self.data.get("event_type")

    @property
    def id(self) -> str | None:
        return self.data.get("id")

    @property
    def payload(self) -> dict[str, Any]:
        return self.data.get("payload") or {}

    def form(self) -> dict[str, str]:
        """A TeXML-style callback's fields (form body, or query string for GET)."""
        raw = self.body.decode() if self.body else self.query
        return dict(parse_qsl(raw, keep_blank_values=True))

    def get(self, name: str) -> Any:
        """A field by name: the payload's, else the envelope data's, else a form field."""
        if self.is_json:
            payload = self.payload
            return payload[name] if name in payload else self.data.get(name)
        return self.form().get(name)


def verify(public_key: str, headers: dict[str, str], signed: bytes) -> str | None:
    """None when the Telnyx signature over ``"{timestamp}|{signed}"`` verifies, else why not."""
    signature, timestamp = headers.get("telnyx-signature-ed25519"), headers.get("telnyx-timestamp")
    if not signature or not timestamp:
        return "missing telnyx-signature-ed25519 / telnyx-timestamp headers"
    try:
        VerifyKey(base64.b64decode(public_key)).verify(timestamp.encode() + b"|" + signed, base64.b64decode(signature))
    except (BadSignatureError, binascii.Error, ValueError) as exc:
        return f"signature does not verify with the emulator's public key ({exc.__class__.__name__})"
    return None


class WebhookReceiver:
    """The session's receiver. ``bind`` is where it listens; ``host`` is how the emulator reaches
    it (``127.0.0.1`` in-process; e.g. ``host.docker.internal`` for an emulator in Docker)."""

    def __init__(self, public_key: str, *, bind: str = "127.0.0.1", host: str | None = None) -> None:
        self.public_key = public_key
        self.host = host or bind
        self._by_path: dict[str, list[Webhook]] = {}
        self._replies: dict[str, deque[int]] = {}
        self.cond = threading.Condition()
        self.server, self.thread = serve_http(self._handle, bind, name="telnyx-webhooks")

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.server.server_port}{path}"

    def view(self, api_key: str) -> Webhooks:
        return Webhooks(self, f"/t/{quote(api_key, safe='')}")

    def received(self, path: str) -> list[Webhook]:
        with self.cond:
            return list(self._by_path.get(path, ()))

    def reply_with(self, path: str, status: int, times: int) -> None:
        with self.cond:
            self._replies.setdefault(path, deque()).extend([status] * times)

    def forget(self, path: str) -> None:
        with self.cond:
            self._by_path.pop(path, None)
            self._replies.pop(path, None)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        split = urlsplit(h.path)
        n = int(h.headers.get("content-length") or 0)
        body = h.rfile.read(n) if n else b""
        headers = {k.lower(): v for k, v in h.headers.items()}
        problem = verify(self.public_key, headers, body if body or h.command != "GET" else split.query.encode())
        hook = Webhook(h.command, split.path, split.query, headers, body, verified=problem is None, problem=problem)
        with self.cond:
            self._by_path.setdefault(split.path, []).append(hook)
            replies = self._replies.get(split.path)
            status = replies.popleft() if replies else 200
            self.cond.notify_all()
        try:
            h.send_response(status)
            h.send_header("content-length", "2")
            h.end_headers()
            h.wfile.write(b"ok")
        except OSError:
            h.close_connection = True  # the emulator gave up (timeout) and hung up first


class Webhooks:
    """What one test's receiver path got, in arrival order (the ``webhooks`` fixture).

    Events of one call arrive in the order the emulator emitted them: it sends a call's events
    one after another, each only once the previous one has finished.
    """

    def __init__(self, receiver: WebhookReceiver, path: str) -> None:
        self.receiver = receiver
        self.path = path
        self.url = receiver.url(path)
        """The URL to give the emulator (already this test's key's default webhook URL)."""

    @property
    def received(self) -> list[Webhook]:
        """Every request so far, JSON events and form callbacks, in arrival order."""
        return self.receiver.received(self.path)

    @property
    def events(self) -> list[Webhook]:
        """The JSON events so far, in arrival order."""
        return [w for w in self.received if w.is_json]

    @property
    def bad_signatures(self) -> list[Webhook]:
        return [w for w in self.received if not w.verified]

    def check_signatures(self) -> None:
        """Raise :class:`BadSignature` if any request so far failed verification."""
        bad = self.bad_signatures
        if bad:
            first = bad[0]
            raise BadSignature(f"{len(bad)} webhook(s) with a bad signature at {self.path}; first: {first.event_type or first.method} — {first.problem}")

    def events_for(self, call_control_id: str) -> list[Webhook]:
        """This call's events in order (matched on the payload's call_control_id)."""
        return [w for w in self.events if w.payload.get("call_control_id") == call_control_id]

    def types(self, call_control_id: str | None = None) -> list[str]:
        """Event types in arrival order (of one call, when given)."""
        hooks = self.events if call_control_id is None else self.events_for(call_control_id)
        return [str(w.event_type) for w in hooks]

    def find(self, event_type: str | None = None, **match: Any) -> list[Webhook]:
        """Requests so far of ``event_type`` (any when None) whose fields equal ``match``
        (payload fields first, then the envelope's ``data``, then form fields)."""
        return [w for w in self.received if (event_type is None or w.event_type == event_type) and all(w.get(k) == v for k, v in match.items())]

    def wait_for(self, event_type: str | None = None, *, timeout: float = 5.0, **match: Any) -> Webhook:
        """The first request of ``event_type`` matching ``match`` (e.g. ``call_control_id=...``),
        waiting up to ``timeout`` seconds for it. Fails with what did arrive, or at once when a
        request with a bad signature came in."""
        deadline = time.monotonic() + timeout
        with self.receiver.cond:
            while True:
                self.check_signatures()
                found = self.find(event_type, **match)
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [w.event_type or f"{w.method} form" for w in self.received]
                    wanted = event_type or "any event"
                    where = f" with {match}" if match else ""
                    raise AssertionError(f"no {wanted}{where} within {timeout:g} s at {self.url}; received: {seen}")
                self.receiver.cond.wait(left)

    def respond_with(self, status: int, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``status`` (e.g. 500, to see the emulator retry)."""
        self.receiver.reply_with(self.path, status, times)

    def clear(self) -> None:
        self.receiver.forget(self.path)
