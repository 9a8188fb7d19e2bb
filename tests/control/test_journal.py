"""Assertions without polling: the journal's bodies and filters, its count endpoint, the outbox's
idle wait, and a per-key default webhook URL — over HTTP, with a real receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.control.journal import JournalPage
from emulator.core.journal import BODY_LIMIT
from emulator.core.settings import Settings
from tests.support.webhooks import Receiver

FAST = {"webhook_timeout": 0.5, "webhook_attempts": 3, "webhook_backoff": 0.01}
KEY = "journal-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
DIAL = {"connection_id": "conn-1", "from": "+13125550001", "to": "+13125550100"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def c(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(state_dir=tmp_path, clock_start="2025-01-01T00:00:00Z", clock_frozen=True, **FAST))  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_entries_keep_headers_and_bodies_with_the_key_redacted(c: TestClient) -> None:
    dial = c.post("/v2/calls", json=DIAL, headers={**AUTH, "X-Trace": "t-1"})
    entry = c.get("/_emulator/journal").json()["data"][0]
    assert entry["request"]["headers"]["authorization"] == "[redacted]" and entry["request"]["headers"]["x-trace"] == "t-1"
    assert KEY not in str(entry["request"]) and entry["api_key"] == KEY
    assert entry["request"]["body"] == dial.request.content.decode() and entry["request"]["truncated"] is False
    assert entry["response"]["body"] == dial.text and entry["response"]["headers"]["x-request-id"] == dial.headers["x-request-id"]
    assert "request" not in c.get("/_emulator/journal", params={"bodies": "false"}).json()["data"][0]
    JournalPage.model_validate(c.get("/_emulator/journal").json())  # the answer is the documented model


def test_every_field_of_an_entry_reads_back_as_the_exchange_left_it(c: TestClient) -> None:
    """The request path stores an entry as a positional tuple (core/journal.py ``Journal.keep``):
    each field must come back in its own place."""
    listed = c.get("/v2/ai/assistants", params={"name": "ava"}, headers={**AUTH, "X-Request-Id": "req-listed"})
    forced = c.post("/v2/calls", json=DIAL, headers={**AUTH, "Prefer": "code=429"})
    newest, older = c.get("/_emulator/journal").json()["data"][:2]
    assert older["seq"] + 1 == newest["seq"]
    assert {k: older[k] for k in ("at", "method", "path", "query", "api_key", "status", "operation_id", "request_id")} == {
        "at": "2025-01-01T00:00:00.000Z",  # the frozen emulator clock
        "method": "GET", "path": "/v2/ai/assistants", "query": "name=ava", "api_key": KEY, "status": 200,
        "operation_id": "get_assistants_public_assistants_get", "request_id": "req-listed",
    }
    assert older["fault_rule"] is None and older["transport_fault"] is None and older["implicit"] is None and older["warnings"] is None
    assert older["response"]["body"] == listed.text and older["response"]["size"] == len(listed.content)
    assert newest["status"] == forced.status_code == 429 and newest["fault_rule"] and newest["operation_id"] == "DialCall"
    assert newest["request_id"] == forced.headers["x-request-id"] and newest["request"]["body"] == forced.request.content.decode()
    for entry in (newest, older):  # milliseconds, rounded to the microsecond when read
        assert isinstance(entry["latency_ms"], float) and entry["latency_ms"] >= 0 and round(entry["latency_ms"], 3) == entry["latency_ms"]


def test_large_bodies_are_cut_and_marked(c: TestClient) -> None:
    big = {**DIAL, "client_state": "x" * (BODY_LIMIT * 2)}
    c.post("/v2/calls", json=big, headers=AUTH)
    req = c.get("/_emulator/journal").json()["data"][0]["request"]
    assert req["truncated"] is True and len(req["body"]) == BODY_LIMIT and req["size"] > BODY_LIMIT * 2


def test_filters_by_status_class_glob_and_time(c: TestClient) -> None:
    ccid = c.post("/v2/calls", json=DIAL, headers=AUTH).json()["data"]["call_control_id"]
    c.post("/_emulator/clock", json={"advance": 60})
    c.post("/v2/calls/nope/actions/hangup", json={}, headers=AUTH)
    c.post(f"/v2/calls/{ccid}/actions/hangup", json={}, headers=AUTH)

    def seqs(**params: str) -> list[int]:
        r = c.get("/_emulator/journal", params=params)
        assert r.status_code == 200, r.text
        return [e["seq"] for e in r.json()["data"]]

    assert seqs(status="4xx") == [2] and seqs(status="2xx") == [3, 1]
    assert seqs(path="/v2/calls/*/actions/hangup") == [3, 2]
    assert seqs(since="2025-01-01T00:01:00Z") == [3, 2] and seqs(until="1735689600") == [1]
    assert seqs(operation_id="HangupCall", status="200") == [3]
    r = c.get("/_emulator/journal", params={"operationId": "HangupCall"})  # misspelt: never "match everything"
    assert r.status_code == 422 and r.json()["errors"][0]["source"] == {"parameter": "operationId"}
    assert c.get("/_emulator/journal", params={"since": "yesterday"}).status_code == 422


def test_count_matches_body_pointers_and_refuses_unknown_keys(c: TestClient) -> None:
    c.post("/v2/calls", json=DIAL, headers=AUTH)
    c.post("/v2/calls", json={**DIAL, "to": "+13125550199"}, headers=AUTH)
    c.post("/v2/calls", json=DIAL, headers={"Authorization": "Bearer someone-else"})
    count = c.post("/_emulator/journal/count", json={"operation_id": "DialCall", "api_key": KEY, "body": {"/to": "+13125550100"}})
    assert count.status_code == 200 and count.json() == {"count": 1, "stored": 3, "last_seq": 3}
    assert c.post("/_emulator/journal/count", json={"status": 200}).json()["count"] == 3
    assert c.post("/_emulator/journal/count", json={}).json()["count"] == 3
    assert c.post("/_emulator/journal/count", json={"after": 1}).json()["count"] == 2
    bad = c.post("/_emulator/journal/count", json={"operation": "DialCall", "status": "oops", "body": {"to": 1}})
    assert bad.status_code == 422
    pointers = sorted(e["source"]["pointer"] for e in bad.json()["errors"])
    assert pointers == ["/body", "/operation", "/status"]


def test_wait_returns_once_every_attempt_is_done(c: TestClient, receiver: Receiver) -> None:
    receiver.script("/hook", ("status", 500), ("status", 500))  # delivered at the third attempt
    sent = c.post("/_emulator/webhooks/test", json={"url": receiver.url(), "api_key": KEY, "wait": False})
    assert sent.status_code == 202
    done = c.post("/_emulator/webhooks/wait", json={"api_key": KEY, "timeout": 5})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["idle"] is True and body["pending"] == 0
    assert [(e["id"], e["status"], e["attempts"]) for e in body["data"]] == [(sent.json()["data"]["id"], "delivered", 3)]
    assert len(receiver.at("/hook")) == 3
    assert c.post("/_emulator/webhooks/wait", json={"api_key": "nobody"}).json()["data"] == []


def test_wait_times_out_with_a_408_naming_what_is_pending(c: TestClient, receiver: Receiver) -> None:
    receiver.script("/hook", ("sleep", 0.4))
    c.post("/_emulator/webhooks/test", json={"url": receiver.url(), "api_key": KEY, "wait": False})
    r = c.post("/_emulator/webhooks/wait", json={"timeout": 0.05})
    assert r.status_code == 408 and "1 webhook delivery still pending" in r.json()["errors"][0]["detail"]
    assert c.post("/_emulator/webhooks/wait", json={"timeout": 5}).status_code == 200
    assert c.post("/_emulator/webhooks/wait", json={"timeout": 600}).status_code == 422
    assert c.post("/_emulator/webhooks/wait", json={"timeout": "5"}).status_code == 422


def test_a_keys_default_url_receives_its_url_less_events(c: TestClient, receiver: Receiver) -> None:
    put = c.put(f"/_emulator/webhooks/default-url/{KEY}", json={"url": receiver.url("/mine")})
    assert put.status_code == 200 and put.json() == {"api_key": KEY, "url": receiver.url("/mine")}
    assert c.get("/_emulator/webhooks/default-url").json() == {"default": None, "keys": {KEY: receiver.url("/mine")}}
    c.post("/v2/calls", json=DIAL, headers=AUTH)
    c.post("/v2/calls", json=DIAL, headers={"Authorization": "Bearer other"})  # no URL anywhere: logged only
    c.post("/_emulator/webhooks/wait", json={})
    assert [r.json()["data"]["event_type"] for r in receiver.at("/mine")] == ["call.initiated", "call.answered"]
    assert [e["status"] for e in c.get("/_emulator/webhooks/deliveries", params={"api_key": "other"}).json()["data"]] == ["no_url", "no_url"]
    assert c.put(f"/_emulator/webhooks/default-url/{KEY}", json={"url": "ftp://x"}).status_code == 422
    assert c.delete(f"/_emulator/webhooks/default-url/{KEY}").status_code == 204
    assert c.delete(f"/_emulator/webhooks/default-url/{KEY}").status_code == 404


def test_the_control_document_describes_the_new_routes(c: TestClient) -> None:
    doc = c.get("/_emulator/openapi.json").json()
    paths, schemas = doc["paths"], doc["components"]["schemas"]
    assert paths["/_emulator/journal/count"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/JournalFilter"}
    assert schemas["JournalFilter"]["additionalProperties"] is False and "body" in schemas["JournalFilter"]["properties"]
    assert paths["/_emulator/webhooks/wait"]["post"]["operationId"] == "waitWebhooks"
    params = {p["name"] for p in paths["/_emulator/journal"]["get"]["parameters"]}
    assert {"method", "path", "operation_id", "api_key", "status", "since", "until", "limit", "bodies"} <= params
