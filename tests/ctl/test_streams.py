"""deliveries list|show|replay|tail and journal tail [--follow] against a live emulator."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from tests.ctl.conftest import API_KEY, Live, Run, lines_json, out_json

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@contextmanager
def soon(action: Callable[[], object], delay: float = 0.3) -> Iterator[None]:
    """Run ``action`` in a thread shortly after the block starts (while a tail is polling)."""
    thread = threading.Thread(target=lambda: (time.sleep(delay), action()))
    thread.start()
    try:
        yield
    finally:
        thread.join(timeout=10)


def test_deliveries_list_and_show(live: Live, ctl: Run) -> None:
    call = live.inbound()
    live.rx.wait(1)
    [event] = live.events(call)
    table = ctl("deliveries", "list", "--call", call).stdout
    assert event["id"] in table and "call.initiated" in table and "delivered" in table
    assert out_json(ctl("deliveries", "list", "--json", "--event-type", "call.hangup"))["data"] == []
    shown = ctl("deliveries", "show", event["id"]).stdout
    assert f'"call_control_id": "{call}"' in shown and live.rx.url() in shown and "200" in shown
    detail = out_json(ctl("deliveries", "show", event["id"], "--json"))["data"]
    assert detail["deliveries"][0]["attempts"][0]["status_code"] == 200
    assert "404" in ctl("deliveries", "show", "nope", code=1).stderr
    assert "400" in ctl("deliveries", "list", "--status", "lost", code=1).stderr


def test_deliveries_replay_sends_the_same_event_again(live: Live, ctl: Run) -> None:
    call = live.inbound()
    first = live.rx.wait(1)[0]
    event_id = first.data["id"]
    assert f"replaying call.initiated {event_id}" in ctl("deliveries", "replay", event_id).stdout
    again = live.rx.wait(2)[1]
    assert again.data["id"] == event_id and again.payload == first.payload
    ctl("deliveries", "replay", event_id, "--url", live.rx.url("/elsewhere"))
    assert live.rx.wait(1, path="/elsewhere")[0].data["id"] == event_id
    assert live.admin("GET", f"/calls/{call}")["data"]["state"] == "parked"  # a replay changes no state


def test_deliveries_tail_prints_new_events_until_count(live: Live, ctl: Run) -> None:
    old = live.inbound()
    live.rx.wait(1)
    holder: dict[str, str] = {}

    def two_events() -> None:
        holder["call"] = live.inbound()
        live.admin("POST", f"/calls/{holder['call']}/events/call.hold")

    with soon(two_events):
        out = ctl("deliveries", "tail", "--count", "2", "--interval", "0.05", "--for", "10").stdout
    lines = out.strip().splitlines()
    assert len(lines) == 2 and "call.initiated" in lines[0] and "call.hold" in lines[1]
    assert holder["call"] in out and old not in out  # only what happened after it started
    existing = lines_json(ctl("--json", "deliveries", "tail", "--existing", "--count", "3", "--interval", "0.05", "--for", "5"))
    assert [e["event_type"] for e in existing] == ["call.initiated", "call.initiated", "call.hold"]
    assert all(e["status"] == "delivered" for e in existing)
    assert ctl("deliveries", "tail", "--interval", "0.05", "--for", "0.2").stdout == ""  # nothing new: stops on --for


def _requests(live: Live) -> None:
    with httpx.Client(base_url=live.url, headers=AUTH) as http:
        assert http.get("/v2/ai/assistants").status_code == 200
        assert http.get("/v2/ai/assistants/missing-one").status_code == 404


def test_journal_tail_shows_method_path_status_latency_operation(live: Live, ctl: Run) -> None:
    _requests(live)
    out = ctl("journal", "tail").stdout
    lines = [line for line in out.splitlines() if "/v2/ai/assistants" in line]
    assert len(lines) == 2 and "GET" in lines[0] and "200" in lines[0] and "get_assistants_public_assistants_get" in lines[0]
    assert "404" in lines[1] and "/v2/ai/assistants/missing-one" in lines[1]
    entries = lines_json(ctl("journal", "tail", "--json", "--status", "404"))
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [("GET", "/v2/ai/assistants/missing-one", 404)]
    assert entries[0]["latency_ms"] >= 0 and entries[0]["api_key"] == API_KEY
    assert len(lines_json(ctl("journal", "tail", "--json", "-n", "1"))) == 1
    assert "no requests recorded" in ctl("journal", "tail", "--method", "DELETE").stdout


def test_journal_tail_follow_prints_new_requests(live: Live, ctl: Run) -> None:
    _requests(live)  # already there: --follow -n 0 starts after them
    with soon(lambda: _requests(live)):
        entries = lines_json(ctl("--json", "journal", "tail", "--follow", "-n", "0", "--count", "2", "--interval", "0.05", "--for", "10"))
    assert [e["status"] for e in entries] == [200, 404]
    assert entries[0]["seq"] > 2
    with soon(lambda: _requests(live)):
        out = ctl("journal", "tail", "-f", "-n", "0", "--status", "404", "--count", "1", "--interval", "0.05", "--for", "10").stdout
    assert out.count("/v2/ai/assistants/missing-one") == 1 and "404" in out
