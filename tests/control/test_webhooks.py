"""The webhook outbox control API (/_emulator/webhooks/...) over HTTP, with a real receiver."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import telnyx
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.settings import Settings
from emulator.webhooks.dispatcher import WebhookDispatcher
from tests.conftest import LiveServer
from tests.support.webhooks import Receiver

FAST = {"webhook_timeout": 0.25, "webhook_attempts": 2, "webhook_backoff": 0.01}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[TestClient, WebhookDispatcher]]:
    app = create_app(Settings(state_dir=tmp_path, **FAST))
    with TestClient(app) as c:  # lifespan starts the dispatcher on the app's loop
        yield c, app.state.emulator.services.webhooks


def emit(c: TestClient, d: WebhookDispatcher, **kw: Any) -> Any:
    """Emit on the app's own loop (as a handler would) and wait for the delivery to finish."""
    async def go() -> Any:
        ev = d.emit(**kw)
        await d.drain()
        return ev

    return c.portal.call(go)  # type: ignore[union-attr]


def test_list_filter_get_and_exact_attempts(setup: tuple[TestClient, WebhookDispatcher], receiver: Receiver) -> None:
    c, d = setup
    receiver.script("/hook", ("status", 500))
    a = emit(c, d, tenant="k1", event_type="call.initiated", payload={"call_control_id": "cc-1"}, urls=[receiver.url()], ordering_key="cc-1")
    b = emit(c, d, tenant="k2", event_type="call.answered", payload={"call_control_id": "cc-2"}, urls=[receiver.url()], ordering_key="cc-2")
    n = emit(c, d, tenant="k1", event_type="call.hangup", payload={"call_session_id": "s-1"})

    rows = c.get("/_emulator/webhooks/deliveries").json()
    assert [r["id"] for r in rows["data"]] == [a.id, b.id, n.id] and rows["meta"]["total"] == 3  # newest last
    assert [r["status"] for r in rows["data"]] == ["delivered", "delivered", "no_url"]
    assert rows["data"][0]["attempts"] == 2

    def ids(**q: str) -> list[str]:
        r = c.get("/_emulator/webhooks/deliveries", params=q)
        assert r.status_code == 200
        return [x["id"] for x in r.json()["data"]]

    assert ids(api_key="k1") == [a.id, n.id]
    assert ids(call="cc-2") == [b.id]
    assert ids(call="s-1") == [n.id]  # matched through the payload's call_session_id
    assert ids(ordering_key="cc-1") == [a.id]
    assert ids(event_type="call.hangup") == [n.id]
    assert ids(status="no_url") == [n.id]
    assert ids(status="delivered", api_key="k1") == [a.id]
    bad = c.get("/_emulator/webhooks/deliveries", params={"status": "lost"})
    assert bad.status_code == 400 and "status must be one of" in bad.json()["errors"][0]["detail"]

    detail = c.get(f"/_emulator/webhooks/deliveries/{a.id}").json()["data"]
    assert detail["data"]["event_type"] == "call.initiated" and detail["status"] == "delivered"
    [delivery] = detail["deliveries"]
    first, second = delivery["attempts"]
    assert (first["status_code"], first["ok"], second["status_code"], second["ok"]) == (500, False, 200, True)
    received = receiver.at("/hook")
    assert first["body"].encode() == received[0].body and second["body"].encode() == received[1].body
    assert second["headers"]["telnyx-signature-ed25519"] == received[1].headers["telnyx-signature-ed25519"]
    assert second["headers"]["telnyx-timestamp"] == received[1].headers["telnyx-timestamp"]

    missing = c.get("/_emulator/webhooks/deliveries/nope")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "10005"


def test_replay_resends_same_event_and_can_redirect(setup: tuple[TestClient, WebhookDispatcher], receiver: Receiver) -> None:
    c, d = setup
    ev = emit(c, d, tenant="k", event_type="call.answered", payload={"x": 1}, urls=[receiver.url()])
    r = c.post(f"/_emulator/webhooks/deliveries/{ev.id}/replay")
    assert r.status_code == 202
    c.portal.call(d.drain)  # type: ignore[union-attr]
    first, again = receiver.at("/hook")
    assert again.json()["data"] == first.json()["data"]  # same id, same data

    r = c.post(f"/_emulator/webhooks/deliveries/{ev.id}/replay", json={"url": receiver.url("/elsewhere")})
    assert r.status_code == 202
    c.portal.call(d.drain)  # type: ignore[union-attr]
    assert receiver.at("/elsewhere")[0].json()["data"]["id"] == ev.id
    detail = c.get(f"/_emulator/webhooks/deliveries/{ev.id}").json()["data"]
    assert [x["round"] for x in detail["deliveries"]] == [1, 2, 3]
    assert detail["delivered_to"] == [receiver.url("/elsewhere")]

    orphan = emit(c, d, tenant="k", event_type="e", payload={})
    r = c.post(f"/_emulator/webhooks/deliveries/{orphan.id}/replay")
    assert r.status_code == 422 and "no URL" in r.json()["errors"][0]["detail"]
    r = c.post(f"/_emulator/webhooks/deliveries/{orphan.id}/replay", json={"url": "ftp://x"})
    assert r.status_code == 422
    assert c.post("/_emulator/webhooks/deliveries/nope/replay").status_code == 404


def test_clear_all_or_one_api_key_and_tenant_reset(setup: tuple[TestClient, WebhookDispatcher]) -> None:
    c, d = setup
    for key in ("k1", "k1", "k2", "k3"):
        emit(c, d, tenant=key, event_type="e", payload={})
    assert c.delete("/_emulator/webhooks/deliveries", params={"api_key": "k1"}).json() == {"cleared": 2}
    assert [x["api_key"] for x in c.get("/_emulator/webhooks/deliveries").json()["data"]] == ["k2", "k3"]
    assert c.post("/_emulator/reset", json={"api_key": "k2"}).status_code == 200
    assert [x["api_key"] for x in c.get("/_emulator/webhooks/deliveries").json()["data"]] == ["k3"]
    assert c.delete("/_emulator/webhooks/deliveries").json() == {"cleared": 1}
    assert c.get("/_emulator/webhooks/deliveries").json()["data"] == []


def test_send_test_event_verifies_with_the_sdk(setup: tuple[TestClient, WebhookDispatcher], receiver: Receiver) -> None:
    c, _ = setup
    public_key = c.get("/_emulator/public-key").json()["public_key"]
    r = c.post("/_emulator/webhooks/test", json={"url": receiver.url(), "payload": {"hello": "world"}})
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["status"] == "delivered" and data["event_type"] == "webhook.test"
    [got] = receiver.requests
    assert data["deliveries"][0]["attempts"][0]["body"].encode() == got.body
    event = telnyx.Telnyx(api_key="k", public_key=public_key).webhooks.unwrap(got.body.decode(), headers=got.headers)
    assert event.data.id == data["id"]  # type: ignore[union-attr]

    r = c.post("/_emulator/webhooks/test", json={"url": "not a url"})
    assert r.status_code == 422 and "url must be" in r.json()["errors"][0]["detail"]
    assert c.post("/_emulator/webhooks/test", json={"url": receiver.url(), "payload": [1]}).status_code == 422
    assert c.post("/_emulator/webhooks/test", content=b"{oops").status_code == 400


def test_control_document_lists_the_webhook_routes(setup: tuple[TestClient, WebhookDispatcher]) -> None:
    c, _ = setup
    paths = c.get("/_emulator/openapi.json").json()["paths"]
    assert {"get", "delete"} <= set(paths["/_emulator/webhooks/deliveries"])
    assert "post" in paths["/_emulator/webhooks/deliveries/{event_id}/replay"]
    assert "post" in paths["/_emulator/webhooks/test"]


def test_api_stays_responsive_while_a_receiver_is_slow(tmp_path: Path, receiver: Receiver) -> None:
    app = create_app(Settings(state_dir=tmp_path, webhook_timeout=2.0, webhook_attempts=1))
    receiver.script("/slow", *[("sleep", 0.45)] * 20)
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        for _ in range(20):  # 20 slow deliveries in flight at once
            r = http.post("/_emulator/webhooks/test", json={"url": receiver.url("/slow"), "wait": False})
            assert r.status_code == 202
        receiver.wait_for(1, path="/slow")
        started = time.perf_counter()
        health = http.get("/_emulator/health")
        elapsed = time.perf_counter() - started
        assert health.status_code == 200 and elapsed < 0.3  # each delivery blocks its receiver 0.45 s
        pending = http.get("/_emulator/webhooks/deliveries", params={"status": "pending"}).json()
        assert pending["meta"]["total"] >= 1
        receiver.wait_for(20, path="/slow")
        deadline = time.monotonic() + 3
        while http.get("/_emulator/webhooks/deliveries", params={"status": "delivered"}).json()["meta"]["total"] < 20:
            assert time.monotonic() < deadline
            time.sleep(0.02)


def test_emit_and_drain_from_the_test_thread_while_testclient_runs_the_loop(
    setup: tuple[TestClient, WebhookDispatcher], receiver: Receiver
) -> None:
    c, d = setup
    # The app's loop lives in TestClient's portal thread; emitting here must hand the job over,
    # and both drain flavours must wait on that loop (not start a rival one).
    first = d.emit(tenant="k", event_type="e1", payload={}, urls=[receiver.url()], ordering_key="c")
    second = d.emit(tenant="k", event_type="e2", payload={}, urls=[receiver.url()], ordering_key="c")
    d.drain_sync()
    assert (first.status, second.status) == ("delivered", "delivered")
    third = d.emit(tenant="k", event_type="e3", payload={}, urls=[receiver.url()], ordering_key="c")
    asyncio.run(d.drain())
    assert third.status == "delivered"
    assert [r.json()["data"]["event_type"] for r in receiver.requests] == ["e1", "e2", "e3"]
    assert c.get("/_emulator/webhooks/deliveries", params={"status": "delivered"}).json()["meta"]["total"] == 3


def test_outbox_survives_snapshot_and_restore(setup: tuple[TestClient, WebhookDispatcher], receiver: Receiver) -> None:
    """The webhook outbox is part of ``/_emulator/snapshot``: attempts come back byte for byte,
    the event id stream continues, and deliveries pending at snapshot time are sent again."""
    c, d = setup
    sent = c.post("/_emulator/webhooks/test", json={"url": receiver.url(), "payload": {"n": 1}}).json()["data"]
    snap = c.get("/_emulator/snapshot").json()
    assert [e["id"] for e in snap["services"]["webhooks"]["events"]] == [sent["id"]]
    c.post("/_emulator/reset")
    assert c.get("/_emulator/webhooks/deliveries").json()["data"] == []
    assert c.post("/_emulator/restore", json=snap).status_code == 200
    restored = c.get(f"/_emulator/webhooks/deliveries/{sent['id']}").json()["data"]
    assert restored["deliveries"] == sent["deliveries"]  # exact bytes, headers, statuses
    newer = c.post("/_emulator/webhooks/test", json={"url": receiver.url(), "payload": {"n": 2}}).json()["data"]
    assert newer["id"] != sent["id"]
    # A delivery still pending when the snapshot was taken is delivered after the restore.
    pending = snap["services"]["webhooks"]["events"][0]
    pending["deliveries"][0].update(state="pending", attempts=[])
    assert c.post("/_emulator/restore", json=snap).status_code == 200
    d.drain_sync()
    assert len(receiver.requests) == 3
    assert c.get(f"/_emulator/webhooks/deliveries/{sent['id']}").json()["data"]["status"] == "delivered"
    bad = {**snap, "services": {"webhooks": {"events": [{"id": "x"}]}}}
    assert c.post("/_emulator/restore", json=bad).status_code == 422
    assert c.get(f"/_emulator/webhooks/deliveries/{sent['id']}").status_code == 200  # unchanged


def test_send_test_and_replay_obey_webhook_allow(tmp_path: Path, receiver: Receiver) -> None:
    """``--webhook-allow`` keeps the control API from fetching arbitrary hosts: the test event to
    a host not listed is logged as blocked with the reason and never sent; allowed ones go."""
    allowed = f"127.0.0.1:{receiver.server.server_port}"
    app = create_app(Settings(state_dir=tmp_path, webhook_allow=allowed, **FAST))
    with TestClient(app) as c:
        r = c.post("/_emulator/webhooks/test", json={"url": "http://169.254.169.254/latest/meta-data"})
        assert r.status_code == 200
        blocked = r.json()["data"]
        assert blocked["status"] == "blocked" and blocked["attempts"] == 1
        [attempt] = blocked["deliveries"][0]["attempts"]
        assert attempt["error"] == f"blocked: host 169.254.169.254:80 is not allowed by --webhook-allow ({allowed})"
        assert attempt["response_body"] is None and attempt["status_code"] is None
        listed = c.get("/_emulator/webhooks/deliveries", params={"status": "blocked"}).json()["data"]
        assert [e["id"] for e in listed] == [blocked["id"]]
        # Replaying it to an allowed URL delivers it; a replay to a listed-out host stays blocked.
        assert c.post(f"/_emulator/webhooks/deliveries/{blocked['id']}/replay", json={"url": receiver.url()}).status_code == 202
        app.state.emulator.services.webhooks.drain_sync()
        assert c.get(f"/_emulator/webhooks/deliveries/{blocked['id']}").json()["data"]["status"] == "delivered"
        ok = c.post("/_emulator/webhooks/test", json={"url": receiver.url()}).json()["data"]
        assert ok["status"] == "delivered"
    assert len(receiver.requests) == 2
