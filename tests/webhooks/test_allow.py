"""``--webhook-allow``: deliveries go only to the hosts listed (others are logged as blocked, never
sent), and the delivery log keeps at most 1 KB of each reply, marked truncated."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from emulator.app import create_app
from emulator.core.settings import Settings
from emulator.runtime.emulator import Emulator
from emulator.webhooks.allow import HostAllowList
from emulator.webhooks.dispatcher import WebhookDispatcher
from emulator.webhooks.outbox import dump_events, load_events
from tests.support.webhooks import Receiver

FAST = {"webhook_timeout": 0.5, "webhook_attempts": 3, "webhook_backoff": 0.01}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def make(tmp_path: Path, **overrides: Any) -> tuple[Emulator, WebhookDispatcher]:
    app = create_app(Settings(state_dir=tmp_path, **{**FAST, **overrides}))
    emulator: Emulator = app.state.emulator
    return emulator, emulator.services.webhooks


def deliver(d: WebhookDispatcher, **kw: Any) -> Any:
    async def go() -> Any:
        await d.start()
        ev = d.emit(tenant="k1", event_type="call.initiated", payload={"call_control_id": "v3:a"}, **kw)
        await d.drain()
        await d.stop()
        return ev

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("patterns", "url", "allowed"),
    [
        ("", "http://anything.internal:9/x", True),
        ("*", "https://anything.internal/x", True),
        ("receiver", "http://Receiver:8080/hook", True),
        ("receiver", "http://receiver.evil.com/hook", False),
        ("127.0.0.1:8080", "http://127.0.0.1:8080/hook", True),
        ("127.0.0.1:8080", "http://127.0.0.1:8081/hook", False),
        ("hooks.example.com:443", "https://hooks.example.com/x", True),  # the scheme's port
        ("hooks.example.com:443", "http://hooks.example.com/x", False),
        ("*.example.com", "https://a.b.example.com/x", True),
        ("*.example.com", "https://example.com/x", False),  # not the apex: list it too
        ("*.example.com", "https://badexample.com/x", False),
        ("[::1]:9000", "http://[::1]:9000/x", True),
        ("localhost, *.ngrok.app", "https://abc.ngrok.app/x", True),
        ("localhost, *.ngrok.app", "http://169.254.169.254/latest/meta-data", False),
    ],
)
def test_patterns(patterns: str, url: str, allowed: bool) -> None:
    assert (HostAllowList.parse(patterns).why_blocked(url) is None) is allowed


@pytest.mark.parametrize("bad", ["http://x.com", "a.*.com", "host:", "host:99999", "::1", "user@host", "*x.com"])
def test_a_bad_pattern_stops_start_up_naming_it(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="webhook_allow"):
        create_app(Settings(state_dir=tmp_path, webhook_allow=bad))


def test_a_host_not_allowed_is_never_contacted_and_logged_blocked_with_the_reason(tmp_path: Path, receiver: Receiver) -> None:
    _, d = make(tmp_path, webhook_allow="hooks.example.com")
    ev = deliver(d, urls=[receiver.url()])
    assert receiver.requests == []
    assert ev.status == "blocked"
    [attempt] = ev.attempts  # no retries: trying again cannot help
    assert attempt.status_code is None and attempt.latency_ms == 0.0
    assert attempt.error.startswith("blocked: host 127.0.0.1:") and "--webhook-allow (hooks.example.com)" in attempt.error
    assert attempt.body  # the bytes that would have gone are still shown
    assert ev.summary()["status"] == "blocked" and ev.summary()["last_error"] == attempt.error


def test_a_blocked_url_falls_over_to_an_allowed_failover_url(tmp_path: Path, receiver: Receiver) -> None:
    port = receiver.server.server_port
    _, d = make(tmp_path, webhook_allow=f"127.0.0.1:{port}")
    ev = deliver(d, urls=["http://blocked.example.com/hook"], failover_url=receiver.url("/failover"))
    assert [r.path for r in receiver.requests] == ["/failover"]
    assert ev.status == "delivered"
    assert [(a.number, a.failover, a.blocked, a.status_code) for a in ev.attempts] == [(1, False, True, None), (2, True, False, 200)]
    assert receiver.requests[0].json()["meta"] == {"attempt": 2, "delivered_to": receiver.url("/failover")}


def test_allowed_hosts_are_delivered_as_before(tmp_path: Path, receiver: Receiver) -> None:
    _, d = make(tmp_path, webhook_allow=f"localhost, 127.0.0.1:{receiver.server.server_port}")
    ev = deliver(d, urls=[receiver.url()])
    assert ev.status == "delivered" and len(receiver.requests) == 1


class _LongReplies:
    """A receiver answering 200 with a 5 KB body: chunked (no length) on /chunked."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                body = ("é" + "x" * 99) * 50  # 5,050 bytes of UTF-8, a 2-byte character every 101
                raw = body.encode()
                self.send_response(200)
                if self.path == "/chunked":
                    self.send_header("transfer-encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(raw), 700):
                        piece = raw[i : i + 700]
                        self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("content-length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("path", ["/sized", "/chunked"])
def test_the_log_keeps_1_kb_of_a_reply_and_says_it_was_cut(tmp_path: Path, path: str) -> None:
    replies = _LongReplies()
    try:
        _, d = make(tmp_path)
        ev = deliver(d, urls=[replies.url(path)])
    finally:
        replies.close()
    [attempt] = ev.attempts
    assert ev.status == "delivered"
    assert attempt.response_truncated is True
    assert len(attempt.response_body.encode("utf-8", errors="replace")) <= 1024 + 3  # a cut character becomes U+FFFD
    assert attempt.response_body.startswith("éxxx")
    shown = ev.detail()["deliveries"][0]["attempts"][0]
    assert shown["response_truncated"] is True and shown["response_body"] == attempt.response_body
    # Snapshots and persistence keep the mark; an oversized reply from elsewhere is cut on load.
    [back] = load_events(dump_events([ev]))
    assert back.attempts[0].response_truncated is True and back.attempts[0].response_body == attempt.response_body
    raw = dump_events([ev])
    raw["events"][0]["deliveries"][0]["attempts"][0].update(response_body="y" * 5000, response_truncated=False)
    [cut] = load_events(raw)
    assert cut.attempts[0].response_body == "y" * 1024 and cut.attempts[0].response_truncated is True


def test_short_replies_are_kept_whole(tmp_path: Path, receiver: Receiver) -> None:
    _, d = make(tmp_path)
    ev = deliver(d, urls=[receiver.url()])
    [attempt] = ev.attempts
    assert attempt.response_body == "ok" and attempt.response_truncated is False
