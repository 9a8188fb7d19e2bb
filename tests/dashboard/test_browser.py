"""The dashboard in a real headless Chromium, against a real uvicorn emulator driven by the
official SDK: a dialled call shows up live, its timeline fills in, digits pressed from the page
end the gather (``call.gather.ended`` appears without a reload), a delivery is replayed, a fault
rule added from the page fails the next request. Screenshots go to the test's tmp dir (and to
``$DASHBOARD_SCREENSHOT`` when set — how ``docs/dashboard.png`` is made)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import telnyx

from emulator.app import create_app
from emulator.core.settings import Settings
from tests.conftest import LiveServer
from tests.support.calls import Receiver

API_KEY = "dashboard-key"
CALLER, CALLEE = "+13125550001", "+13125550100"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[tuple[LiveServer, telnyx.Telnyx, Receiver]]:
    rx = Receiver()
    app = create_app(Settings(state_dir=tmp_path / "state", webhook_timestamp="wall"))  # type: ignore[call-arg]
    try:
        with LiveServer(app) as server:
            client = telnyx.Telnyx(api_key=API_KEY, base_url=f"{server.url}/v2", _strict_response_validation=True, max_retries=0)
            yield server, client, rx
    finally:
        rx.close()


def shot(page: Any, tmp_path: Path, name: str) -> Path:
    out = tmp_path / "screenshots" / f"{name}.png"
    out.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 10_000  # a real rendering, not a blank page
    return out


def test_call_timeline_digits_replay_and_fault_live(page: Any, emulator: tuple[LiveServer, telnyx.Telnyx, Receiver], tmp_path: Path) -> None:
    server, client, rx = emulator
    page.goto(f"{server.url}/_emulator/ui#/calls")
    page.get_by_text("0 calls").wait_for()
    page.locator("#live.on").wait_for()  # the event stream is open before anything happens

    # A call dialled through the SDK appears in the list without a reload. The callee answers and
    # then waits for the page (no automatic answers to gathers).
    queued = httpx.post(f"{server.url}/_emulator/calls/scripts", json={"to": CALLEE, "steps": ["answer"], "auto": False, "api_key": API_KEY})
    assert queued.status_code == 201, queued.text
    ccid = client.calls.dial(connection_id="conn-1", from_=CALLER, to=CALLEE, webhook_url=rx.url()).data.call_control_id
    assert ccid is not None
    row = page.locator(f'tr[data-call="{ccid}"]')
    row.wait_for()
    assert "answered" in row.inner_text()

    # Its timeline: the dial command, then the state changes as webhooks with their delivery status.
    row.click()
    page.wait_for_url(re.compile(r"#/calls/"))
    timeline = page.locator("#timeline")
    timeline.locator('li[data-event="call.answered"]').wait_for()
    assert "POST /v2/calls" in timeline.locator("li.command").first.inner_text()
    page.locator('li[data-event="call.initiated"] .badge', has_text="delivered").wait_for()

    # The app starts a gather (SDK); the other party presses digits from the page; the gather's end
    # arrives over the live stream.
    client.calls.actions.gather(ccid, minimum_digits=1, maximum_digits=3, terminating_digit="#")
    page.fill("#digits", "42#")
    page.click("#press")
    ended = timeline.locator('li[data-event="call.gather.ended"]')
    ended.wait_for()
    assert "42" in ended.inner_text()
    shot(page, tmp_path, "call-timeline")
    if target := os.environ.get("DASHBOARD_SCREENSHOT"):
        page.screenshot(path=target, full_page=False)

    # Replay the gather's webhook from its delivery page: the receiver gets the same event again.
    ended.get_by_text("delivery details").click()
    page.wait_for_url(re.compile(r"#/outbox/"))
    event_id = page.url.rsplit("/", 1)[-1]
    page.get_by_text("signature verified").first.wait_for()
    page.click("#replay")
    page.get_by_text("Round 2").wait_for()
    copies = [h for h in rx.settle() if h.body.startswith(b"{") and h.data["id"] == event_id]
    assert len(copies) == 2
    shot(page, tmp_path, "delivery")

    # The outbox list shows the replayed delivery with its attempts.
    page.goto(f"{server.url}/_emulator/ui#/outbox")
    page.locator(f'tr[data-id="{event_id}"]', has_text="round 2").wait_for()

    # A fault rule added from the scenario page fails the SDK's next request, and the requests view
    # shows which rule answered it.
    page.goto(f"{server.url}/_emulator/ui#/scenario")
    page.select_option("select[name=method]", "POST")
    page.fill("input[name=path]", "/calls")
    page.fill("input[name=status]", "503")
    page.click("#add-fault")
    page.get_by_text("fault_1").wait_for()
    with pytest.raises(telnyx.APIStatusError) as failed:
        client.calls.dial(connection_id="conn-1", from_=CALLER, to=CALLEE, webhook_url=rx.url())
    assert failed.value.status_code == 503
    page.goto(f"{server.url}/_emulator/ui#/requests")
    faulted = page.locator("tr", has_text="fault_1")
    faulted.wait_for()
    assert "503" in faulted.inner_text()
    shot(page, tmp_path, "requests")
    # The rule fired once (times: 1): the next dial goes through.
    assert client.calls.dial(connection_id="conn-1", from_=CALLER, to=CALLEE, webhook_url=rx.url()).data.call_control_id


def test_outbox_pages_ten_thousand_deliveries(page: Any, emulator: tuple[LiveServer, telnyx.Telnyx, Receiver], tmp_path: Path) -> None:
    server, _client, _rx = emulator
    webhooks = server.app.state.emulator.services.webhooks
    for i in range(10_000):
        webhooks.emit(tenant=API_KEY, event_type="call.dtmf.received", payload={"call_control_id": f"v3:call-{i % 200}", "digit": str(i % 10)})
    page.goto(f"{server.url}/_emulator/ui#/outbox")
    page.get_by_text("10000 matching of 10000 logged · showing 50").wait_for()
    assert page.locator("tbody tr").count() == 50
    page.get_by_text("Older ›").click()
    page.get_by_text("page 2").wait_for()
    assert page.locator("tbody tr").count() == 50
    # A new delivery arrives live on the first page; the page keeps its bound.
    page.get_by_text("‹ Newer").click()
    page.get_by_text("page 1").wait_for()
    httpx.post(f"{server.url}/_emulator/webhooks/test", json={"url": "http://127.0.0.1:9/none", "api_key": API_KEY, "wait": False})
    page.locator("tbody tr", has_text="webhook.test").wait_for()
    assert page.locator("tbody tr").count() == 50
    shot(page, tmp_path, "outbox")
