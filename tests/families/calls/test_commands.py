"""The rest of call control: media, recording, streaming, SIPREC, transfer, bridge, refer,
answering-machine detection, errors in the call-control envelope, and on-demand events."""

from __future__ import annotations

from pathlib import Path

from tests.support.calls import AUTH, CLIENT_STATE, Calls, calls_env


def answered(h: Calls, to: str = "+15550003000", *steps: object) -> str:
    if steps:
        h.script(to, "answer", *steps)
    ccid = h.dial(to)
    h.rx.wait(2)
    return ccid


def of(h: Calls, ccid: str) -> list:
    return [x for x in h.rx.settle() if x.payload.get("call_control_id") == ccid]


def test_playback_record_stream_fork_siprec_then_hangup(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h)
        h.action(ccid, "playback_start", {"audio_url": "https://example.com/a.mp3", "loop": 2})
        h.action(ccid, "record_start", {"format": "wav", "channels": "dual"})
        h.action(ccid, "streaming_start", {"stream_url": "wss://example.com/media"})
        h.action(ccid, "fork_start", {"target": "udp:192.0.2.1:9000"})
        h.action(ccid, "siprec_start", {"connector_name": "srs"})
        h.action(ccid, "suppression_start", {"direction": "both"})
        h.action(ccid, "suppression_stop", {})
        assert h.action(ccid, "transcription_start", {})["data"]["result"] == "ok"
        assert h.action(ccid, "transcription_start", {}, expect=422)["errors"][0]["code"] == "90054"
        h.advance(4)  # two loops of a 2 s file
        h.action(ccid, "hangup", {})
        hits = of(h, ccid)
        h.verify(hits)
        assert h.types(hits) == [
            "call.initiated",
            "call.answered",
            "call.playback.started",
            "streaming.started",
            "call.fork.started",
            "siprec.started",
            "call.playback.ended",
            "call.hangup",
            "streaming.stopped",
            "call.fork.stopped",
            "siprec.stopped",
            "call.recording.saved",
        ]
        assert hits[6].payload["status"] == "completed"
        saved = hits[11].payload
        assert saved["channels"] == "dual" and list(saved["recording_urls"]) == ["wav"]
        assert saved["recording_ended_at"] > saved["recording_started_at"]


def test_stops_report_cancelled_and_wrong_state(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h)
        h.action(ccid, "playback_start", {"audio_url": "https://example.com/a.mp3", "loop": "infinity"})
        h.action(ccid, "playback_stop", {})
        h.action(ccid, "record_start", {"format": "mp3", "channels": "single"})
        h.action(ccid, "record_stop", {})
        assert h.action(ccid, "record_stop", {}, expect=422)["errors"][0]["code"] == "90033"
        assert h.action(ccid, "fork_stop", {}, expect=422)["errors"][0]["code"] == "90031"
        h.action(ccid, "siprec_start", {})
        h.action(ccid, "siprec_stop", {})
        hits = of(h, ccid)
        assert h.types(hits)[2:] == ["call.playback.started", "call.playback.ended", "call.recording.saved", "siprec.started", "siprec.stopped"]
        assert hits[3].payload["status"] == "cancelled"


def test_transfer_creates_a_bridged_leg(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        h.script("+15550003999", {"action": "answer", "after": 2})
        inbound = h.admin("/calls/inbound", {"from": "+1555", "to": "+1666", "connection_id": "c", "webhook_url": h.rx.url(), "api_key": "calls-test-key"}, expect=201)
        ccid = inbound["data"]["call_control_id"]
        h.action(ccid, "answer", {})
        h.action(ccid, "transfer", {"to": "+15550003999", "target_leg_client_state": CLIENT_STATE})
        h.advance(2)
        hits = h.rx.settle()
        h.verify(hits)
        new_leg = next(x.payload for x in hits if x.event_type == "call.initiated" and x.payload["call_control_id"] != ccid)
        assert new_leg["call_session_id"] == hits[0].payload["call_session_id"]  # same session, new leg
        assert new_leg["client_state"] == CLIENT_STATE and new_leg["to"] == "+15550003999"
        # each call's own events arrive in order (different calls are delivered in parallel)
        assert h.types([x for x in hits if x.payload["call_control_id"] == ccid]) == ["call.initiated", "call.answered", "call.bridged"]
        assert h.types([x for x in hits if x.payload["call_control_id"] == new_leg["call_control_id"]]) == [
            "call.initiated",
            "call.answered",
            "call.bridged",
        ]
        # one side hangs up: the bridged leg goes too
        h.admin(f"/calls/{new_leg['call_control_id']}/hangup")
        assert {x.payload["call_control_id"] for x in h.rx.wait(8) if x.event_type == "call.hangup"} == {ccid, new_leg["call_control_id"]}


def test_bridge_two_calls_and_switch_supervisor_role(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        a = answered(h, "+15550003001")
        b = h.dial("+15550003002")
        h.rx.wait(4)
        assert h.action(a, "switch_supervisor_role", {"role": "whisper"}, expect=422)["errors"][0]["code"] == "90033"
        h.action(a, "bridge", {"call_control_id": b})
        h.action(a, "switch_supervisor_role", {"role": "monitor"})
        hits = h.rx.wait(6)
        assert sorted((x.event_type, x.payload["call_control_id"]) for x in hits[4:]) == sorted([("call.bridged", a), ("call.bridged", b)])
        err = h.action(a, "bridge", {"call_control_id": "v3:nope"}, expect=422)
        assert err["errors"][0]["source"] == {"pointer": "/call_control_id"}


def test_refer_completes_then_the_leg_ends(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h)
        h.action(ccid, "refer", {"sip_address": "sip:agent@example.com"})
        h.advance(1)
        hits = of(h, ccid)
        assert h.types(hits)[2:] == ["call.refer.started", "call.refer.completed", "call.hangup"]
        assert [x.payload.get("sip_notify_response") for x in hits[2:4]] == [100, 200]


def test_answering_machine_detection(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        h.script("+15550004001", "voicemail")
        h.script("+15550004003", "answer", "amd machine")
        human = h.dial("+15550004000", answering_machine_detection="detect")
        machine = h.dial("+15550004001", answering_machine_detection="detect_beep")
        premium = h.dial("+15550004003", answering_machine_detection="premium")
        h.advance(4)
        hits = h.rx.settle()
        h.verify(hits)

        def amd(cc: str) -> list[tuple[str, str]]:
            return [(x.event_type, x.payload["result"]) for x in hits if x.payload["call_control_id"] == cc and ".machine." in x.event_type]

        assert amd(human) == [("call.machine.detection.ended", "human")]
        assert amd(machine) == [("call.machine.detection.ended", "machine"), ("call.machine.greeting.ended", "beep_detected")]
        assert amd(premium) == [
            ("call.machine.premium.detection.ended", "machine"),
            ("call.machine.premium.greeting.ended", "beep_detected"),
        ]


def test_errors_use_the_call_control_envelope(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        missing = h.action("v3:does-not-exist", "hangup", {}, expect=404)["errors"][0]
        assert missing["code"] == "90015" and missing["source"] == {"parameter": "call_control_id"}
        assert h.c.get("/v2/calls/v3:does-not-exist", headers=AUTH).status_code == 404
        ccid = answered(h)
        bad = h.action(ccid, "speak", {"payload": "x", "voice": "female", "client_state": "not base64!"}, expect=422)["errors"][0]
        assert bad["source"] == {"pointer": "/client_state"}
        bad_dial = h.post("/calls", {"connection_id": "c", "from": "+1", "to": "+2", "client_state": "%%%"}, expect=422)
        assert bad_dial["errors"][0]["source"] == {"pointer": "/client_state"}
        h.action(ccid, "hangup", {})
        gone = h.action(ccid, "speak", {"payload": "x", "voice": "female"}, expect=422)["errors"][0]
        assert (gone["code"], gone["title"]) == ("90018", "Call has already ended")
        # a failed command changed nothing: no events after the hangup
        assert h.types(h.rx.settle())[-1] == "call.hangup"
        # API keys partition calls
        other = h.c.post(f"/v2/calls/{ccid}/actions/hangup", json={}, headers={"Authorization": "Bearer someone-else"})
        assert other.status_code == 404


def test_trigger_events_on_demand_and_list_calls(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = h.dial("+15550005000", client_state=CLIENT_STATE)
        h.rx.wait(2)
        h.admin(f"/calls/{ccid}/events/call.machine.detection.ended", {"result": "not_sure"}, expect=202)
        h.admin(f"/calls/{ccid}/events/call.dtmf.received", {"digit": "5"}, expect=202)
        h.admin(f"/calls/{ccid}/events/call.hangup", expect=202)
        r = h.c.post(f"/_emulator/calls/{ccid}/events/call.nonsense", json={})
        assert r.status_code == 404
        hits = h.rx.wait(5)
        h.verify(hits)
        assert h.types(hits)[2:] == ["call.machine.detection.ended", "call.dtmf.received", "call.hangup"]
        assert hits[2].payload["result"] == "not_sure" and hits[2].payload["client_state"] == CLIENT_STATE
        listed = h.c.get("/_emulator/calls", params={"api_key": "calls-test-key"}).json()["data"]
        assert [(c["call_control_id"], c["state"], c["is_alive"]) for c in listed] == [(ccid, "ended", False)]
        assert h.c.get(f"/_emulator/calls/{ccid}").json()["data"]["hangup_cause"] == "normal_clearing"


def test_script_validation(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        r = h.c.post("/_emulator/calls/scripts", json={"to": "+1", "steps": ["dance"]})
        assert r.status_code == 422 and r.json()["errors"][0]["source"] == {"pointer": "/steps/0/action"}
        r = h.c.post("/_emulator/calls/scripts", json={"to": "+1", "steps": ["press xyz"]})
        assert r.status_code == 422
        h.admin("/calls/scripts", {"to": "+1777", "steps": ["busy"]}, expect=201)  # no api_key: any tenant
        assert list(h.c.get("/_emulator/calls/scripts").json()["data"]["shared"]) == ["+1777"]
        ccid = h.dial("+1777")
        assert h.types(h.rx.wait(2)) == ["call.initiated", "call.hangup"]
        assert h.c.get(f"/_emulator/calls/{ccid}").json()["data"]["hangup_cause"] == "user_busy"


def test_time_limit_siprec_failure_and_dtmf_to_bridged_leg(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        h.script("+15550007001", "answer", "siprec_fail")
        h.script("+15550007002", "answer", "silence")  # b's party presses nothing itself
        a = h.dial("+15550007001", time_limit_secs=30)
        b = h.dial("+15550007002")
        h.rx.wait(4)
        h.action(a, "siprec_start", {})
        h.action(a, "bridge", {"call_control_id": b})
        h.action(b, "gather", {"maximum_digits": 2})
        h.action(a, "send_dtmf", {"digits": "4w2"})
        h.action(a, "record_start", {"format": "mp3", "channels": "single"})
        h.action(a, "record_pause", {})
        h.action(a, "record_resume", {})
        assert h.action(a, "suppression_stop", {}, expect=422)["errors"][0]["code"] == "90033"
        h.advance(30)
        hits = h.rx.settle()
        h.verify(hits)
        on_a = [x for x in hits if x.payload["call_control_id"] == a]
        on_b = [x for x in hits if x.payload["call_control_id"] == b]
        assert h.types(on_a)[2:] == ["siprec.failed", "call.bridged", "call.hangup", "call.recording.saved"]
        assert on_a[4].payload["hangup_cause"] == "time_limit"
        assert h.types(on_b)[2:] == ["call.bridged", "call.dtmf.received", "call.dtmf.received", "call.gather.ended", "call.hangup"]
        assert on_b[5].payload["digits"] == "42"
