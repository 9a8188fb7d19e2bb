"""Fault rules and the Prefer override, seen through the official telnyx SDK and plain HTTP."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import telnyx
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.faults.latency import DelaySpec, LatencyProfiles
from tests.conftest import AUTH, LiveServer, make_settings

DIAL = {"connection_id": "conn-1", "to": "+15555550100", "from": "+15555550101"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(create_app(make_settings(tmp_path))) as s:
        yield s


def sdk(server: LiveServer, **kw: Any) -> telnyx.Telnyx:
    kw.setdefault("max_retries", 0)
    return telnyx.Telnyx(api_key="test-key", base_url=server.url + "/v2", _strict_response_validation=True, **kw)


def add_rule(base: str, rule: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(f"{base}/_emulator/faults", json=rule)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def journal(base: str, **params: Any) -> list[dict[str, Any]]:
    return httpx.get(f"{base}/_emulator/journal", params=params).json()["data"]


def test_one_shot_429_is_retried_through_by_the_sdk(server: LiveServer) -> None:
    rule = add_rule(server.url, {"match": {"operation_id": "DialCall"}, "status": 429, "retry_after": 0.05, "times": 1})
    client = sdk(server, max_retries=2)
    call = client.calls.dial(connection_id="conn-1", to="+15555550100", from_="+15555550101")
    assert call.data is not None and call.data.call_control_id
    seen = journal(server.url, operation_id="DialCall")
    assert [e["status"] for e in reversed(seen)] == [429, 200]
    assert seen[-1]["fault_rule"] == rule["id"]
    rules = httpx.get(f"{server.url}/_emulator/faults").json()["data"]
    assert rules[0]["fired"] == 1 and rules[0]["remaining"] == 0 and rules[0]["active"] is False


def test_forced_429_carries_rate_limit_headers_and_telnyx_body(server: LiveServer) -> None:
    add_rule(server.url, {"match": {"operation_id": "DialCall"}, "status": 429, "times": None})
    with pytest.raises(telnyx.RateLimitError) as info:
        sdk(server).calls.dial(connection_id="conn-1", to="+15555550100", from_="+15555550101")
    response = info.value.response
    assert response.headers["retry-after"] == "1"
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert {"x-ratelimit-limit", "x-ratelimit-reset"} <= set(response.headers)
    error = response.json()["errors"][0]
    assert error["code"] == "10011" and error["title"] == "Too many requests"


def test_422_90018_forced_on_one_calls_speak_command(server: LiveServer) -> None:
    add_rule(
        server.url,
        {"match": {"method": "POST", "path": "/calls/*/actions/speak", "call_id": "v3:ended-call"}, "status": 422, "code": "90018", "times": None},
    )
    client = sdk(server)
    with pytest.raises(telnyx.UnprocessableEntityError) as info:
        client.calls.actions.speak(call_control_id="v3:ended-call", payload="hello", voice="female")
    error = info.value.response.json()["errors"][0]
    assert error["code"] == "90018"
    assert error["title"] == "Call has already ended"
    # Another call id is not matched: whatever the calls handler answers, it is not our fault.
    try:
        client.calls.actions.speak(call_control_id="v3:other-call", payload="hello", voice="female")
    except telnyx.APIStatusError as exc:
        assert exc.response.json()["errors"][0]["code"] != "90018"
    assert journal(server.url, path="ended-call")[0]["fault_rule"] is not None
    assert journal(server.url, path="other-call")[0]["fault_rule"] is None


def test_delay_rule_is_observed_and_journalled(server: LiveServer) -> None:
    add_rule(server.url, {"match": {"operation_id": "DialCall"}, "delay": 250})
    client = sdk(server)
    started = time.perf_counter()
    client.calls.dial(connection_id="conn-1", to="+15555550100", from_="+15555550101")
    assert time.perf_counter() - started >= 0.25
    entry = journal(server.url, operation_id="DialCall", limit=1)[0]
    assert entry["latency_ms"] >= 250 and entry["status"] == 200 and entry["fault_rule"]
    # One-shot by default: the next dial is fast again.
    started = time.perf_counter()
    client.calls.dial(connection_id="conn-1", to="+15555550100", from_="+15555550101")
    assert time.perf_counter() - started < 0.25


def test_connection_reset_surfaces_as_sdk_connection_error(server: LiveServer) -> None:
    add_rule(server.url, {"match": {"operation_id": "DialCall"}, "transport": "reset", "times": None})
    with pytest.raises(telnyx.APIConnectionError):
        sdk(server, max_retries=1).calls.dial(connection_id="conn-1", to="+15555550100", from_="+15555550101")
    entries = journal(server.url, operation_id="DialCall")
    assert len(entries) == 2  # the SDK retried once, and was reset again
    assert all(e["status"] is None and e["transport_fault"] == "reset" for e in entries)
    # The emulator is fine afterwards, and the rule can be removed.
    assert httpx.delete(f"{server.url}/_emulator/faults").json() == {"deleted": 1}
    assert sdk(server).calls.dial(connection_id="conn-1", to="+15555550100", from_="+15555550101").data


@pytest.mark.parametrize("transport", ["empty", "truncate"])
def test_empty_reply_and_truncated_body_fail_the_request(server: LiveServer, transport: str) -> None:
    add_rule(server.url, {"match": {"operation_id": "DialCall"}, "transport": transport})
    with pytest.raises(telnyx.APIConnectionError):
        sdk(server).calls.dial(connection_id="conn-1", to="+15555550100", from_="+15555550101")


def test_truncated_body_declares_more_than_it_sends(server: LiveServer) -> None:
    add_rule(server.url, {"match": {"operation_id": "DialCall"}, "transport": "truncate", "cut_after_bytes": 10})
    received = bytearray()
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream("POST", f"{server.url}/v2/calls", json=DIAL, headers=AUTH) as r:
        assert r.status_code == 200
        declared = int(r.headers["content-length"])
        for chunk in r.iter_raw():
            received.extend(chunk)
    assert len(received) == 10 < declared


def test_sse_stream_is_cut_midway(server: LiveServer) -> None:
    add_rule(server.url, {"match": {"path": "/ai/chat/completions"}, "transport": "stream_cut", "cut_after_chunks": 1})
    body = {"model": "meta-llama/Meta-Llama-3.1-8B-Instruct", "stream": True, "messages": [{"role": "user", "content": "Tell me a long story"}]}
    chunks: list[bytes] = []
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream("POST", f"{server.url}/v2/ai/chat/completions", json=body, headers=AUTH) as r:
        assert r.status_code == 200 and "event-stream" in r.headers["content-type"]
        for chunk in r.iter_raw():
            chunks.append(chunk)
    assert len(chunks) == 1 and b"data:" in chunks[0]
    assert b"[DONE]" not in b"".join(chunks)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path)), raise_server_exceptions=False) as c:
        yield c


def test_invalid_rules_are_refused_with_the_field_named(client: TestClient) -> None:
    cases = [
        ({"match": {"operation_id": "NoSuchOperation"}, "status": 500}, "/match/operation_id"),
        ({"match": {"operation_idd": "DialCall"}, "status": 500}, "/match/operation_idd"),
        ({"status": 200}, "/status"),
        ({"status": 429, "times": 0}, "/times"),
        ({"status": 429, "probability": 2}, "/probability"),
        ({"match": {"path_regex": "("}, "status": 500}, "/match/path_regex"),
        ({"match": {"body": {"no-slash": 1}}, "status": 500}, "/match/body"),
        ({"transport": "explode"}, "/transport"),
        ({"delay": {"distribution": "uniform", "min_ms": 5}}, "/delay"),
        ({}, "/"),
    ]
    for rule, pointer in cases:
        r = client.post("/_emulator/faults", json=rule)
        assert r.status_code == 422, (rule, r.text)
        sources = [e["source"]["pointer"] for e in r.json()["errors"]]
        assert any(s.startswith(pointer) for s in sources), (rule, sources)
    r = client.post("/_emulator/faults", content=b"{not json")
    assert r.status_code == 400
    # A list is all-or-nothing: the valid first rule is not kept when the second is bad.
    r = client.post("/_emulator/faults", json=[{"status": 500}, {"status": 9}])
    assert r.status_code == 422 and r.json()["errors"][0]["source"]["pointer"] == "/1/status"
    assert client.get("/_emulator/faults").json()["data"] == []
    assert client.post("/v2/calls", json=DIAL, headers=AUTH).status_code == 200


def test_times_n_then_rule_goes_quiet_and_delete_by_id(client: TestClient) -> None:
    rule = client.post("/_emulator/faults", json={"id": "flaky", "match": {"operation_id": "DialCall"}, "status": 503, "times": 2}).json()["data"]
    statuses = [client.post("/v2/calls", json=DIAL, headers=AUTH).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert client.post("/_emulator/faults", json={"id": "flaky", "status": 500}).status_code == 422  # duplicate id
    assert client.delete(f"/_emulator/faults/{rule['id']}").json() == {"deleted": 1, "id": "flaky"}
    assert client.delete("/_emulator/faults/flaky").status_code == 404


def test_match_by_api_key_and_body_field(client: TestClient) -> None:
    client.post("/_emulator/faults", json={"match": {"api_key": "other-key"}, "status": 401, "times": None})
    client.post("/_emulator/faults", json={"match": {"body": {"/to": "+15555550199"}}, "status": 409, "times": None})
    assert client.post("/v2/calls", json=DIAL, headers=AUTH).status_code == 200
    r = client.post("/v2/calls", json=DIAL, headers={"Authorization": "Bearer other-key"})
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "10009"
    r = client.post("/v2/calls", json={**DIAL, "to": "+15555550199"}, headers=AUTH)
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "40901"


def test_default_error_per_status(client: TestClient) -> None:
    expected = {403: "10010", 404: "10005", 500: "10007", 502: "10502", 503: "10016"}
    for status, code in expected.items():
        client.post("/_emulator/faults", json={"match": {"operation_id": "DialCall"}, "status": status})
        r = client.post("/v2/calls", json=DIAL, headers=AUTH)
        assert r.status_code == status and r.json()["errors"][0]["code"] == code


def test_probability_is_repeatable_with_a_seed(tmp_path: Path) -> None:
    def pattern(sub: str) -> list[int]:
        with TestClient(create_app(make_settings(tmp_path / sub))) as c:
            c.post("/_emulator/faults", json={"match": {"operation_id": "DialCall"}, "status": 500, "times": None, "probability": 0.5, "seed": 7})
            return [c.post("/v2/calls", json=DIAL, headers=AUTH).status_code for _ in range(20)]

    first = pattern("a")
    assert first == pattern("b")
    assert 3 <= first.count(500) <= 17


def test_prefer_header_forces_one_response(client: TestClient) -> None:
    r = client.post("/v2/calls", json=DIAL, headers={**AUTH, "Prefer": "code=429"})
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    r = client.post("/v2/calls", json=DIAL, headers={**AUTH, "Prefer": "code=422, error_code=90018"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "90018"
    started = time.perf_counter()
    assert client.post("/v2/calls", json=DIAL, headers={**AUTH, "Prefer": "delay=120"}).status_code == 200
    assert time.perf_counter() - started >= 0.12
    assert client.post("/v2/calls", json=DIAL, headers={**AUTH, "Prefer": "return=minimal"}).status_code == 200
    r = client.post("/v2/calls", json=DIAL, headers={**AUTH, "Prefer": "code=abc"})
    assert r.status_code == 400 and r.json()["errors"][0]["source"] == {"parameter": "Prefer"}
    assert client.get("/_emulator/journal", params={"status": 429}).json()["data"][0]["fault_rule"] == "prefer-header"


def test_full_reset_clears_rules(client: TestClient) -> None:
    client.post("/_emulator/faults", json={"status": 500, "times": None})
    assert client.post("/v2/calls", json=DIAL, headers=AUTH).status_code == 500
    client.post("/_emulator/reset")
    assert client.get("/_emulator/faults").json()["data"] == []
    assert client.post("/v2/calls", json=DIAL, headers=AUTH).status_code == 200


# -- latency profiles -------------------------------------------------------------------------
def test_latency_profiles_follow_the_document_category(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    index = app.state.emulator.index
    dial = index.by_id["DialCall"]
    assert dial.extensions.get("x-latency-category") in ("responsive", "interactive")
    off = LatencyProfiles(enabled=False, scale=1.0, seed=1)
    assert off.delay_seconds(dial) == 0.0
    a, b = LatencyProfiles(enabled=True, scale=1.0, seed=1), LatencyProfiles(enabled=True, scale=1.0, seed=1)
    draws = [a.delay_seconds(dial) for _ in range(20)]
    assert draws == [b.delay_seconds(dial) for _ in range(20)]  # seeded
    cap = a.spec_for(dial).max_ms
    assert cap is not None and all(0 < d <= cap / 1000 for d in draws)
    rng = random.Random(3)
    assert DelaySpec(ms=5).draw_ms(rng) == 5
    assert all(10 <= DelaySpec(distribution="uniform", min_ms=10, max_ms=20).draw_ms(rng) <= 20 for _ in range(50))
    assert all(0 < DelaySpec(distribution="lognormal", median_ms=50, max_ms=80).draw_ms(rng) <= 80 for _ in range(50))


def test_latency_switched_on_through_the_control_api(client: TestClient) -> None:
    assert client.get("/_emulator/latency").json()["enabled"] is False
    r = client.post("/_emulator/latency", json={"enabled": True, "categories": {"responsive": {"ms": 60}, "interactive": {"ms": 60}}})
    assert r.status_code == 200 and r.json()["categories"]["responsive"] == {"distribution": "fixed", "ms": 60.0, "sigma": 0.5}
    started = time.perf_counter()
    client.post("/v2/calls", json=DIAL, headers=AUTH)
    assert time.perf_counter() - started >= 0.06
    client.post("/_emulator/latency", json={"enabled": False})
    r = client.post("/_emulator/latency", json={"scale": -1})
    assert r.status_code == 422 and r.json()["errors"][0]["source"]["pointer"] == "/scale"
