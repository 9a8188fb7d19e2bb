"""The dashboard's server side over plain HTTP (no browser needed): the page and its modules ship
as package data, the admin token guards it (with a sign-in cookie for browsers), lists come in
bounded pages even with 10,000 deliveries, signatures are checked, a call's timeline merges its
commands and webhooks, and the live stream pushes new rows scoped by API key."""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from nacl.signing import VerifyKey
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.dashboard.views import verify_attempt
from tests.conftest import LiveServer, make_settings
from tests.support.calls import Receiver

KEY = "views-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def rx() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path, webhook_timestamp="wall")), raise_server_exceptions=False) as c:
        yield c


def dial(client: TestClient, rx: Receiver) -> str:
    r = client.post("/v2/calls", json={"connection_id": "conn-1", "from": "+13125550001", "to": "+13125550100", "webhook_url": rx.url()}, headers=AUTH)
    assert r.status_code == 200, r.text
    return str(r.json()["data"]["call_control_id"])


def test_the_page_and_every_module_it_imports_are_served_from_package_data(client: TestClient) -> None:
    page = client.get("/_emulator/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/_emulator/ui/static/js/app.js" in page.text
    static = resources.files("emulator.dashboard").joinpath("static")
    modules = ["app.js"]
    seen: set[str] = set()
    while modules:  # follow the import graph: every module the browser will ask for exists
        name = modules.pop()
        if name in seen:
            continue
        seen.add(name)
        r = client.get(f"/_emulator/ui/static/js/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript"), name
        assert r.text == static.joinpath("js", name).read_text()
        modules += re.findall(r'from "\./([\w-]+\.js)"', r.text)
    assert {"app.js", "api.js", "dom.js", "calls.js", "outbox.js", "requests.js", "ai.js", "scenario.js"} <= seen
    assert client.get("/_emulator/ui/static/style.css").headers["content-type"].startswith("text/css")
    for bad in ("js/nope.js", ".hidden", "js/%2e%2e/index.html"):
        assert client.get(f"/_emulator/ui/static/{bad}").status_code == 404
    assert client.get("/_emulator").json()["dashboard"].endswith("/_emulator/ui")


def test_with_an_admin_token_the_dashboard_needs_it_and_a_browser_signs_in_once(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, admin_token="s3cret")), follow_redirects=False) as c:
        for path in ("/_emulator/ui", "/_emulator/ui/api/keys", "/_emulator/ui/events", "/_emulator/ui/static/js/app.js"):
            assert c.get(path).status_code == 401, path
        assert c.get("/_emulator/ui/static/style.css").status_code == 200  # the sign-in page's look, nothing else
        assert "admin token" in c.get("/_emulator/ui/login").text
        wrong = c.post("/_emulator/ui/login", data={"token": "guess"})
        assert wrong.status_code == 401 and "not the admin token" in wrong.text
        assert c.get("/_emulator/ui").status_code == 401
        ok = c.post("/_emulator/ui/login", data={"token": "s3cret"})
        assert ok.status_code == 303 and ok.headers["location"] == "/_emulator/ui"
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/_emulator" in cookie
        assert c.get("/_emulator/ui").status_code == 200
        assert c.get("/_emulator/ui/api/keys").json()["meta"] == {"admin_token": True}
        assert c.get("/_emulator/faults").status_code == 200  # the page drives the control API with the same cookie
        # A header beats the cookie: a wrong bearer is an API key, a tenant, refused the all-tenant view.
        assert c.get("/_emulator/snapshot", headers={"Authorization": "Bearer wrong"}).status_code == 403
        c.post("/_emulator/ui/logout")
        assert c.get("/_emulator/ui").status_code == 401


def test_deliveries_come_in_bounded_pages_even_with_ten_thousand(client: TestClient) -> None:
    webhooks = client.app.state.emulator.services.webhooks  # type: ignore[attr-defined]
    for i in range(10_000):
        webhooks.emit(tenant=KEY if i % 2 else "other", event_type="call.dtmf.received", payload={"call_control_id": f"v3:call-{i % 200}", "digit": "1"})
    started = time.perf_counter()
    first = client.get("/_emulator/ui/api/deliveries")
    elapsed = time.perf_counter() - started
    body = first.json()
    assert len(body["data"]) == 50 and body["meta"]["total"] == 10_000 and len(first.content) < 60_000
    assert elapsed < 2.0  # generous on two busy cores; the point is one page, not 10,000 rows
    seqs = [row["seq"] for row in body["data"]]
    assert seqs == sorted(seqs, reverse=True)  # newest first
    second = client.get("/_emulator/ui/api/deliveries", params={"before": body["meta"]["next_before"], "limit": 200}).json()
    assert len(second["data"]) == 200 and second["data"][0]["seq"] == seqs[-1] - 1
    scoped = client.get("/_emulator/ui/api/deliveries", params={"api_key": KEY, "call": "v3:call-7", "status": "no_url"}).json()
    assert scoped["meta"]["total"] == 50 and {(r["api_key"], r["call"], r["status"]) for r in scoped["data"]} == {(KEY, "v3:call-7", "no_url")}
    assert client.get("/_emulator/ui/api/deliveries", params={"limit": 201}).status_code == 400
    assert client.get("/_emulator/ui/api/deliveries", params={"status": "lost"}).json()["errors"][0]["detail"].startswith("status must be one of")


def test_a_delivery_shows_exact_bytes_and_whether_its_signature_verifies(client: TestClient, rx: Receiver) -> None:
    sent = client.post("/_emulator/webhooks/test", json={"url": rx.url(), "api_key": KEY}).json()["data"]
    detail = client.get(f"/_emulator/ui/api/deliveries/{sent['id']}").json()
    attempt = detail["data"]["deliveries"][0]["attempts"][0]
    received = rx.wait(1)[0]
    assert attempt["body"].encode() == received.body and attempt["bytes"] == len(received.body)
    assert attempt["signature_verified"] is True and attempt["status_code"] == 200
    assert detail["meta"]["public_key"] == client.get("/_emulator/public-key").json()["public_key"]
    # A body that differs from what was signed does not verify.
    event = client.app.state.emulator.services.webhooks.log.get(sent["id"])  # type: ignore[attr-defined]
    key = VerifyKey(base64.b64decode(detail["meta"]["public_key"]))
    real = event.attempts[0]
    assert verify_attempt(key, real) is True
    real.body = real.body.replace(b"test webhook", b"evil webhook")
    assert verify_attempt(key, real) is False
    assert client.get("/_emulator/ui/api/deliveries/nope").status_code == 404


def test_requests_page_hides_the_dashboards_own_reads_and_a_request_links_to_its_call(client: TestClient, rx: Receiver) -> None:
    ccid = dial(client, rx)
    client.get("/v2/ai/assistants", headers={**AUTH, "x-emulator-dashboard": "1"})
    rows = client.get("/_emulator/ui/api/requests", params={"api_key": KEY}).json()["data"]
    assert [r["operation_id"] for r in rows] == ["DialCall"]
    mine = client.get("/_emulator/ui/api/requests", params={"api_key": KEY, "dashboard": "1"}).json()["data"]
    assert [r["dashboard"] for r in mine] == [True, False]
    assert "request" not in rows[0]  # lists carry no bodies; the request's page does
    one = client.get(f"/_emulator/ui/api/requests/{rows[0]['seq']}").json()["data"]
    assert orjson.loads(one["request"]["body"])["to"] == "+13125550100"
    assert orjson.loads(one["response"]["body"])["data"]["call_control_id"] == ccid
    assert one["links"] == [{"kind": "call", "id": ccid}]
    assert client.get("/_emulator/ui/api/requests/99999").status_code == 404


def test_a_calls_timeline_merges_commands_and_webhooks_in_order(client: TestClient, rx: Receiver) -> None:
    client.post("/_emulator/calls/scripts", json={"to": "+13125550100", "steps": ["answer"], "auto": False, "api_key": KEY})
    ccid = dial(client, rx)
    assert client.post(f"/v2/calls/{ccid}/actions/gather", json={"minimum_digits": 1, "maximum_digits": 2}, headers=AUTH).status_code == 200
    assert client.post(f"/_emulator/calls/{ccid}/dtmf", json={"digits": "12"}).status_code == 200
    rows = client.get(f"/_emulator/ui/api/calls/{ccid}/timeline").json()["data"]
    seen = [r.get("operation_id") if r["entry"] == "command" else r["event_type"] for r in rows]
    assert seen[0] == "DialCall"
    assert seen.index("GatherCall") > seen.index("call.answered")
    assert seen[-1] == "call.gather.ended" and rows[-1]["payload"]["digits"] == "12"
    assert rows[0]["request_body"]["webhook_url"] == rx.url()


def _read_events(url: str, until: Any, out: list[tuple[str, dict[str, Any]]]) -> None:
    with httpx.stream("GET", url, timeout=20) as r:
        name = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                out.append((name, orjson.loads(line[6:])))
                if until(out):
                    return


def test_the_live_stream_pushes_new_requests_and_deliveries_for_its_api_key(tmp_path: Path, rx: Receiver) -> None:
    with LiveServer(create_app(make_settings(tmp_path, webhook_timestamp="wall"))) as server:
        got: list[tuple[str, dict[str, Any]]] = []
        done = lambda seen: any(n == "delivery" and p["event_type"] == "webhook.test" and p["status"] == "delivered" for n, p in seen)  # noqa: E731
        reader = threading.Thread(target=_read_events, args=(f"{server.url}/_emulator/ui/events?api_key={KEY}", done, got), daemon=True)
        reader.start()
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:  # wait for "hello"
            time.sleep(0.02)
        httpx.get(f"{server.url}/v2/ai/assistants", headers={"Authorization": "Bearer someone-else"})
        httpx.get(f"{server.url}/v2/ai/assistants", headers=AUTH)
        httpx.post(f"{server.url}/_emulator/webhooks/test", json={"url": rx.url(), "api_key": "someone-else"})
        httpx.post(f"{server.url}/_emulator/webhooks/test", json={"url": rx.url(), "api_key": KEY, "wait": False})
        reader.join(timeout=10)
    names = [n for n, _ in got]
    assert names[0] == "hello"
    requests = [p for n, p in got if n == "request"]
    assert [(r["api_key"], r["path"]) for r in requests] == [(KEY, "/v2/ai/assistants")]
    deliveries = [p for n, p in got if n == "delivery"]
    assert {d["api_key"] for d in deliveries} == {KEY}
    assert deliveries[-1]["status"] == "delivered"  # the pending row was followed by its update
