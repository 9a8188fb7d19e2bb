"""status, reset, trigger: the top-level commands against a live emulator."""

from __future__ import annotations

import pytest

from tests.ctl.conftest import API_KEY, Live, Run, out_json


def test_status_reads_the_running_emulator(live: Live, ctl: Run) -> None:
    live.inbound()
    live.admin("PUT", f"/modes/{API_KEY}", {"lenient": True})
    table = ctl("status").stdout
    assert live.url in table and "embedded (219 operations)" in table
    assert f"strict; own mode: {API_KEY}=lenient" in table
    assert "1 (1 alive)" in table and "1 logged" in table
    raw = out_json(ctl("status", "--json"))
    assert raw["health"]["status"] == "ok" and raw["calls"] == {"total": 1}
    assert raw["clock"]["frozen"] is True and raw["modes"]["keys"][API_KEY]["mode"] == "lenient"


def test_reset_one_key_keeps_the_others(live: Live, ctl: Run) -> None:
    live.inbound()
    live.admin("POST", "/calls/inbound", {"from": "+1312555", "to": "+1312556", "connection_id": "c", "api_key": "other-key"})
    assert "reset: ctl-key" in ctl("reset", "--key", API_KEY).stdout
    assert {c["api_key"] for c in live.admin("GET", "/calls")["data"]} == {"other-key"}
    assert out_json(ctl("reset", "--json")) == {"reset": "all"}
    assert live.admin("GET", "/calls")["data"] == []


def test_trigger_list_comes_from_the_emulator(ctl: Run) -> None:
    listed = out_json(ctl("trigger", "--list", "--json"))["data"]
    assert {"call.hangup", "call.answered", "call.dtmf.received", "call.recording.saved", "streaming.failed"} <= set(listed)
    assert "call.machine.premium.detection.ended" in ctl("trigger", "--list").stdout


def test_trigger_sends_the_event_with_overrides_to_the_webhook(live: Live, ctl: Run) -> None:
    call = live.inbound()
    out = ctl("trigger", "call.playback.started", "--call", call, "--set", "media_url=https://cdn.example.com/a.mp3", "--set", "overlay=true").stdout
    assert "triggered call.playback.started" in out and '"media_url": "https://cdn.example.com/a.mp3"' in out
    hit = live.rx.wait(2)[-1]  # call.initiated, then ours
    assert hit.event_type == "call.playback.started"
    assert hit.payload["call_control_id"] == call and hit.payload["overlay"] is True and hit.payload["media_url"] == "https://cdn.example.com/a.mp3"


def test_trigger_drives_state_changing_events(live: Live, ctl: Run) -> None:
    call = live.inbound()
    answered = out_json(ctl("--json", "trigger", "call.answered", "--call", call))
    assert answered["data"]["state"] == "answered" and answered["event"]["event_type"] == "call.answered"
    ctl("trigger", "call.dtmf.received", "--call", call, "--set", "digit=7")
    assert "triggered call.hangup" in ctl("trigger", "call.hangup", "--call", call).stdout
    assert live.admin("GET", f"/calls/{call}")["data"]["state"] == "ended"
    types = [e["event_type"] for e in live.events(call)]
    assert types[:3] == ["call.initiated", "call.answered", "call.dtmf.received"] and types[-1] == "call.hangup"
    dtmf = next(e for e in live.events(call) if e["event_type"] == "call.dtmf.received")
    assert live.admin("GET", f"/webhooks/deliveries/{dtmf['id']}")["data"]["data"]["payload"]["digit"] == "7"


def test_every_listed_event_can_be_triggered(live: Live, ctl: Run) -> None:
    """What `trigger --list` offers works: each non-driving event reaches the receiver, for the call."""
    call = live.inbound()
    live.admin("POST", f"/calls/{call}/events/call.answered")
    driving = {"call.answered", "call.hangup", "call.dtmf.received", "call.initiated"}
    events = [e for e in out_json(ctl("--json", "trigger", "--list"))["data"] if e not in driving]
    for event in events:
        sent = out_json(ctl("--json", "trigger", event, "--call", call))["event"]
        assert sent["event_type"] == event and sent["data"]["payload"]["call_control_id"] == call
    got = [h.event_type for h in live.rx.wait(2 + len(events))][2:]
    assert got == events


@pytest.mark.parametrize(("args", "message"), [
    (("trigger", "call.nope", "--call", "CALL"), "404 Resource not found: Unsupported event 'call.nope'"),
    (("trigger", "call.hold", "--call", "v3:missing"), "No call with call_control_id 'v3:missing'"),
    (("trigger", "call.playback.started", "--call", "CALL", "--set", "colour=red"), "Unknown field 'colour' for call.playback.started"),
    (("trigger", "call.hold"), "trigger EVENT --call CALL_CONTROL_ID"),
])
def test_trigger_errors_are_one_line(live: Live, ctl: Run, args: tuple[str, ...], message: str) -> None:
    call = live.inbound()
    result = ctl(*(call if a == "CALL" else a for a in args), code=1 if "--call" in args else 2)
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
