"""Bad input is refused at the boundary (``http/storable.py``, ``http/bodies.py``,
``openapi/params.py``): a value we could never serialize again must not be stored, or every later
read of that tenant, snapshots and persistence would fail."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.http.server import http_protocol
from tests.conftest import AUTH, free_port, make_settings


def test_a_body_nested_too_deep_is_refused_and_state_stays_readable(client: TestClient) -> None:
    deep = client.post("/v2/ai/assistants", headers=AUTH, content=b'{"name":"a","model":"openai/gpt-4o","instructions":"i","dynamic_variables":' + b'{"x":' * 260 + b'1' + b'}' * 261)
    assert deep.status_code == 422, deep.text
    assert "Nested deeper than 64 levels" in deep.text
    assert client.get("/v2/ai/assistants", headers=AUTH).status_code == 200
    assert client.get("/_emulator/snapshot").status_code == 200
    assert client.get("/_emulator/state").status_code == 200


def test_numbers_beyond_64_bits_are_refused_in_bodies_and_queries(client: TestClient) -> None:
    big = client.post("/v2/ai/clusters", headers=AUTH, content=b'{"bucket": "b", "min_cluster_size": 100000000000000000000}')
    assert big.status_code == 422, big.text
    assert "min_cluster_size" in big.text  # the field is named
    assert client.get("/v2/ai/clusters", headers=AUTH).status_code == 200
    for path in ("/v2/ai/clusters", "/v2/ai/assistants/tests", "/v2/ai/conversations"):
        r = client.get(path, headers=AUTH, params={"page[number]": str(2**70)})
        assert r.status_code in (200, 422), (path, r.status_code, r.text)
        assert r.status_code != 500


def test_page_size_zero_is_never_a_server_error(client: TestClient) -> None:
    for path in ("/v2/ai/clusters", "/v2/ai/assistants/tests", "/v2/ai/missions", "/v2/ai/mcp_servers", "/v2/ai/fine_tuning/jobs"):
        r = client.get(path, headers=AUTH, params={"page[size]": "0"})
        assert r.status_code < 500, (path, r.text)


def test_the_clock_cannot_be_sent_past_what_a_timestamp_can_say(client: TestClient) -> None:
    for body in ({"advance": 1e308}, {"set": 1e308}, {"advance": -1}):
        r = client.post("/_emulator/clock", json=body)
        assert r.status_code == 422, (body, r.text)
    assert client.get("/v2/ai/assistants", headers=AUTH).status_code == 200
    assert client.get("/_emulator/journal").status_code == 200


def test_a_content_type_that_is_not_a_media_type_gets_415(client: TestClient) -> None:
    r = client.post("/v2/ai/assistants", headers={**AUTH, "Content-Type": ";;;/"}, content=b'{"name":"a"}')
    assert r.status_code == 415 and "not a media type" in r.text


@pytest.mark.parametrize("what", ["headers", "body"])
def test_a_byte_at_a_time_client_is_timed_out(tmp_path: Path, what: str) -> None:
    app = create_app(make_settings(tmp_path, body_timeout=0.5, header_timeout=0.5))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", http=http_protocol(0.5)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            if what == "headers":
                s.sendall(b"POST /v2/ai/assistants HTTP/1.1\r\nHost: x\r\n")  # and never the rest
            else:
                s.sendall(b"POST /v2/ai/assistants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
                          b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            started = time.monotonic()
            reply = b""
            while chunk := s.recv(4096):
                reply += chunk
                if b"\r\n\r\n" in reply and what == "headers":
                    break
                if b"}" in reply.split(b"\r\n\r\n", 1)[-1]:
                    break
            assert time.monotonic() - started < 4
            assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    finally:
        server.should_exit = True
        thread.join(5)


def test_curl_d_json_without_a_content_type_header_is_read_as_json(client: TestClient) -> None:
    """``curl -d '{...}'`` sends ``application/x-www-form-urlencoded``; the README promises JSON."""
    r = client.post("/v2/ai/assistants", headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
                    content=b'{"name":"curl","model":"openai/gpt-4o","instructions":"hi"}')
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "curl"


def test_a_client_that_leaves_mid_body_is_journaled_as_499_without_a_traceback(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(make_settings(tmp_path))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", http=http_protocol(5)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"POST /v2/ai/assistants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na")
        deadline = time.monotonic() + 5
        entries: list[dict[str, object]] = []
        while time.monotonic() < deadline and not entries:
            entries = httpx.get(f"http://127.0.0.1:{port}/_emulator/journal").json()["data"]
            time.sleep(0.05)
    finally:
        server.should_exit = True
        thread.join(5)
    assert [e["status"] for e in entries] == [499]
    assert "Traceback" not in caplog.text and "unhandled error" not in caplog.text
