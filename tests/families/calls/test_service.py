"""Calls in snapshots: snapshot → reset → restore keeps calls (state, queues, AI sessions,
scripts) and re-arms their timers, so commands and the clock keep driving them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.settings import Settings
from emulator.families.calls.store import CallStore
from tests.support.calls import AUTH, CLIENT_STATE, Calls, Receiver, calls_env


def _round_trip(h: Calls) -> dict[str, Any]:
    snap = h.c.get("/_emulator/snapshot").json()
    assert not [s for s in snap["skipped"] if "calls" in s["store"]], snap["skipped"]
    h.admin("/reset")
    return snap


def _restore(h: Calls, snap: dict[str, Any]) -> None:
    h.admin("/restore", snap)


def _status(h: Calls, ccid: str) -> Any:
    return h.c.get(f"/v2/calls/{ccid}", headers=AUTH)


def test_answered_call_survives_snapshot_reset_restore(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = h.dial("+15550008001", client_state=CLIENT_STATE)
        h.rx.wait(2)
        h.action(ccid, "enqueue", {"queue_name": "support"})
        h.advance(4)
        before = _status(h, ccid).json()
        snap = _round_trip(h)
        assert _status(h, ccid).status_code == 404  # really gone after the reset
        _restore(h, snap)
        assert _status(h, ccid).json() == before
        assert before["data"]["is_alive"] is True and before["data"]["client_state"] == CLIENT_STATE
        # queue membership came back: enqueueing again is still refused, leaving works
        assert h.action(ccid, "enqueue", {"queue_name": "support"}, expect=422)["errors"][0]["code"] == "90038"
        h.action(ccid, "leave_queue", {})
        h.action(ccid, "speak", {"payload": "still here", "voice": "female"})
        h.advance(2)
        h.action(ccid, "hangup", {})
        hits = [x for x in h.rx.settle() if x.payload["call_control_id"] == ccid]
        h.verify(hits)
        assert h.types(hits) == [
            "call.initiated", "call.answered", "call.enqueued", "call.dequeued",
            "call.speak.started", "call.speak.ended", "call.hangup",
        ]  # fmt: skip
        assert hits[3].payload["wait_time_secs"] == 4 and all(x.payload["client_state"] == CLIENT_STATE for x in hits)
        assert _status(h, ccid).json()["data"]["is_alive"] is False


def test_restore_rearms_ringing_queue_and_time_limit_timers(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        h.script("+15550008101", {"action": "answer", "after": 5})
        ringing = h.dial("+15550008101")
        limited = h.dial("+15550008102", time_limit_secs=30)
        h.rx.wait(3)
        h.action(limited, "enqueue", {"queue_name": "q", "max_wait_time_secs": 20})
        h.advance(2)
        snap = _round_trip(h)
        _restore(h, snap)
        h.advance(3)  # the ringing call answers 5 s after the dial, as scheduled
        assert [x.event_type for x in h.rx.settle() if x.payload["call_control_id"] == ringing] == ["call.initiated", "call.answered"]
        h.advance(15)  # 20 s in the queue
        h.advance(10)  # 30 s after the answer
        hits = [x for x in h.rx.settle() if x.payload["call_control_id"] == limited]
        assert h.types(hits) == ["call.initiated", "call.answered", "call.enqueued", "call.dequeued", "call.hangup"]
        assert hits[3].payload["reason"] == "timeout" and hits[4].payload["hangup_cause"] == "time_limit"


def test_gather_and_ai_session_resume_after_restore(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        h.script("+15550008201", "answer", "press 12#")
        ccid = h.dial("+15550008201")
        h.rx.wait(2)
        h.action(ccid, "gather_using_speak", {"payload": "Enter your code now please", "voice": "female"})
        _restore(h, _round_trip(h))
        h.advance(1)
        other = h.dial("+15550008202")
        h.rx.wait(7)
        h.action(other, "ai_assistant_start", {"greeting": "Hello"})
        snap = _round_trip(h)
        _restore(h, snap)
        h.admin(f"/calls/{other}/say", {"text": "what are your hours?"})
        h.advance(5)
        h.action(other, "hangup", {})
        gathered = [x for x in h.rx.settle() if x.payload["call_control_id"] == ccid]
        talked = [x for x in h.rx.settle() if x.payload["call_control_id"] == other]
    # the prompt was cut short by the restore, then the gather listened again and got the digits
    assert h.types(gathered)[2:] == ["call.speak.started", "call.speak.ended", "call.dtmf.received", "call.dtmf.received", "call.dtmf.received", "call.gather.ended"]
    assert gathered[-1].payload["digits"] == "12" and gathered[-1].payload["status"] == "valid"
    assert "call.conversation.ended" in h.types(talked)


def test_store_dump_load_round_trip_keeps_everything(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        h.script("+15550008301", "answer", "say: hello there")
        a = h.dial("+15550008301", client_state=CLIENT_STATE)
        h.rx.wait(2)
        h.action(a, "gather", {"minimum_digits": 3, "command_id": "g-1"})
        h.action(a, "enqueue", {"queue_name": "round"})
        h.admin("/calls/scripts", {"to": "+15550008399", "steps": ["busy"]}, expect=201)  # shared (no api key)
        h.post("/texml/ai_calls/conn-9", {"From": "+1555", "To": "+1666", "AIAssistantId": "asst-1", "StatusCallback": h.rx.url("/status")})
        snap = h.c.get("/_emulator/snapshot").json()
        calls_dump = snap["tenants"]["calls-test-key"]["calls"]
        assert CallStore.load(calls_dump).dump() == calls_dump
        texml = next(c for c in calls_dump["calls"] if c["extra"].get("texml"))
        assert texml["hooks"] == {
            "on_answer": "emulator.families.calls.texml:_answered",
            "on_end": "emulator.families.calls.texml:_ended",
        }
        assert snap["services"]["calls"]["shared_scripts"]["+15550008399"][0]["outcome"] == "busy"
        h.admin("/reset")
        assert h.c.get("/_emulator/calls/scripts").json()["data"]["shared"] == {}
        _restore(h, snap)
        assert "+15550008399" in h.c.get("/_emulator/calls/scripts").json()["data"]["shared"]
        assert h.action(a, "gather", {"minimum_digits": 3, "command_id": "g-1"})["data"]["result"] == "ok"  # remembered id
        bad = {**snap, "tenants": {"calls-test-key": {"calls": {"calls": [{"nope": 1}]}}}}
        r = h.c.post("/_emulator/restore", json=bad)
        assert r.status_code == 422 and "'calls' could not load" in r.text
        assert _status(h, a).status_code == 200  # a bad snapshot changed nothing


def test_persisted_calls_come_back_after_a_restart(tmp_path: Path) -> None:
    """With ``persist`` on, a restart restores the calls from SQLite and the calls service
    re-arms a ringing call's answer without any request touching it."""
    rx = Receiver()
    opts: dict[str, Any] = {"state_dir": tmp_path / "state", "clock_frozen": True, "webhook_timestamp": "wall", "persist": True}
    try:
        with TestClient(create_app(Settings(**opts))) as client:
            h = Calls(client, rx)
            h.script("+15550008401", {"action": "answer", "after": 5})
            ccid = h.dial("+15550008401")
            rx.wait(1)
            h.advance(2)
        with TestClient(create_app(Settings(**opts))) as client:
            h = Calls(client, rx)
            h.advance(3)
            hits = rx.wait(2)
            assert h.types(hits) == ["call.initiated", "call.answered"]
            assert hits[1].payload["call_control_id"] == ccid
            status = client.get(f"/v2/calls/{ccid}", headers=AUTH).json()["data"]
            assert status["is_alive"] is True and status["call_duration"] == 5
    finally:
        rx.close()


def test_restore_keeps_transfer_bridge_and_scripted_hangup(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        h.script("+15550008501", "answer", {"action": "hangup", "after": 10})
        leaving = h.dial("+15550008501")
        origin = h.dial("+15550008502")
        h.rx.wait(4)
        h.script("+15550008503", {"action": "answer", "after": 2})
        h.action(origin, "transfer", {"to": "+15550008503"})
        h.advance(1)
        _restore(h, _round_trip(h))
        h.advance(1)  # the new leg answers 2 s after the transfer and is bridged to the origin
        h.advance(8)  # the scripted hangup, 10 s after the answer
        hits = h.rx.settle()
        leg = next(x.payload["call_control_id"] for x in hits if x.payload.get("to") == "+15550008503")
        by = {c: [x.event_type for x in hits if x.payload["call_control_id"] == c] for c in (leaving, origin, leg)}
    assert by[origin] == ["call.initiated", "call.answered", "call.bridged"]
    assert by[leg] == ["call.initiated", "call.answered", "call.bridged"]
    assert by[leaving] == ["call.initiated", "call.answered", "call.hangup"]
    hangup = next(x for x in hits if x.event_type == "call.hangup")
    assert (hangup.payload["hangup_source"], hangup.payload["hangup_cause"]) == ("callee", "normal_clearing")


def test_every_waiting_ai_gather_gets_its_own_timeout_back(tmp_path: Path) -> None:
    """Each restored AI gather that waits on the other party times out on its own turn, also
    when the gathers are at different turns (each timer checks its own session's turn)."""
    name = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    with calls_env(tmp_path) as h:
        ccids = []
        for to in ("+15550008501", "+15550008502"):
            h.script(to, "answer", auto=False)  # the other party never speaks
            ccids.append(h.dial(to))
        h.rx.wait(4)
        for ccid in ccids:
            h.action(ccid, "gather_using_ai", {"parameters": name, "user_response_timeout_ms": 5000})
        h.advance(1)  # both listen now
        snap = _round_trip(h)
        first = next(c for c in snap["tenants"]["calls-test-key"]["calls"]["calls"] if c["call_control_id"] == ccids[0])
        assert first["ai"]["waiting"] is True
        first["ai"]["generation"] += 5  # as if this gather had been through more turns
        _restore(h, snap)
        h.advance(6)
        ended = [x for x in h.rx.settle() if x.event_type == "call.ai_gather.ended"]
    assert sorted(x.payload["call_control_id"] for x in ended) == sorted(ccids)
    assert all(x.payload["status"] == "invalid" and x.payload["result"] == {} for x in ended)
