"""Call lifecycle end to end: the official SDK drives a call, a real receiver gets the events,
and every signature verifies with the emulator's public key."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.calls import API_KEY, AUTH, CLIENT_STATE, calls_env, sdk_session

OTHER_STATE = "c2Vjb25kIHN0YXRl"  # "second state"


def test_sdk_dial_answer_speak_gather_hangup(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as (server, client, verifier, rx):
        httpx.post(f"{server.url}/_emulator/calls/scripts", json={"to": "+13125550123", "steps": ["answer", "press 42#"], "api_key": API_KEY})

        dialled = client.calls.dial(
            connection_id="conn-1", from_="+13125550001", to="+13125550123", webhook_url=rx.url(), client_state=CLIENT_STATE
        )
        ccid = dialled.data.call_control_id
        assert ccid.startswith("v3:") and dialled.data.is_alive is True
        assert [h.event_type for h in rx.wait(2)] == ["call.initiated", "call.answered"]

        assert client.calls.actions.speak(ccid, payload="Please enter your code", voice="female").data.result == "ok"
        rx.wait(3)
        httpx.post(f"{server.url}/_emulator/clock", json={"advance": 2})  # 4 words = 1.6 s of speech
        rx.wait(4)
        client.calls.actions.gather(ccid, minimum_digits=1, maximum_digits=5, client_state=OTHER_STATE)
        rx.wait(8)
        status = client.calls.retrieve_status(ccid)
        assert status.data.is_alive is True and status.data.call_duration == 2
        client.calls.actions.hangup(ccid)
        hits = rx.wait(9)
        assert client.calls.retrieve_status(ccid).data.is_alive is False

    assert [h.event_type for h in hits] == [
        "call.initiated",
        "call.answered",
        "call.speak.started",
        "call.speak.ended",
        "call.dtmf.received",
        "call.dtmf.received",
        "call.dtmf.received",
        "call.gather.ended",
        "call.hangup",
    ]
    for hit in hits:
        verifier.webhooks.unwrap(hit.body.decode(), headers=hit.headers)
        assert hit.payload["call_control_id"] == ccid
        assert hit.payload["call_session_id"] == hits[0].payload["call_session_id"]
        assert hit.json()["meta"] == {"attempt": 1, "delivered_to": rx.url()}
    # client_state: the dial's, until the gather command replaced it
    assert [h.payload["client_state"] for h in hits] == [CLIENT_STATE] * 4 + [OTHER_STATE] * 5
    assert hits[0].payload["direction"] == "outgoing" and hits[0].payload["state"] == "bridging"
    assert [h.payload["digit"] for h in hits[4:7]] == ["4", "2", "#"]
    assert hits[3].payload["status"] == "completed"
    assert hits[7].payload["digits"] == "42" and hits[7].payload["status"] == "valid"
    hangup = hits[8].payload
    assert (hangup["hangup_cause"], hangup["hangup_source"], hangup["sip_hangup_cause"]) == ("normal_clearing", "caller", "200")


def test_answer_delay_busy_no_answer_reject_on_the_clock(tmp_path: Path) -> None:
    with calls_env(tmp_path, answer_delay=3.0) as h:
        h.script("+15550000002", "busy")
        h.script("+15550000003", "no_answer")
        h.script("+15550000004", {"action": "reject", "after": 1})
        slow = h.dial("+15550000001")
        busy = h.dial("+15550000002")
        silent = h.dial("+15550000003", timeout_secs=20)
        rejected = h.dial("+15550000004")
        assert {h_.event_type for h_ in h.rx.wait(4)} == {"call.initiated"}
        h.advance(2.9)
        early = h.rx.settle()
        # only the scripted reject (after 1 s) has happened: the default answer delay is 3 s
        assert len(early) == 5 and early[4].event_type == "call.hangup"
        assert early[4].payload["call_control_id"] == rejected
        h.advance(0.1)
        h.advance(20)
        hits = h.rx.wait(8)
        h.verify(hits)
        by_call = {cc: [x for x in hits if x.payload["call_control_id"] == cc] for cc in (slow, busy, silent, rejected)}
        assert h.types(by_call[slow]) == ["call.initiated", "call.answered"]
        assert h.types(by_call[busy]) == ["call.initiated", "call.hangup"]
        assert by_call[busy][1].payload["hangup_cause"] == "user_busy" and by_call[busy][1].payload["sip_hangup_cause"] == "486"
        assert by_call[silent][1].payload["hangup_cause"] == "timeout"
        assert by_call[rejected][1].payload["hangup_cause"] == "call_rejected"
        assert by_call[rejected][1].payload["hangup_source"] == "callee"
        # the answer came at +3 s on the emulator clock, not when the clock jump was processed
        status = h.c.get(f"/v2/calls/{busy}", headers=AUTH).json()["data"]
        assert status["is_alive"] is False and status["call_duration"] == 3


def test_remote_hangs_up_after_script(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        h.script("+15550000009", "answer", {"action": "hangup", "after": 10})
        ccid = h.dial("+15550000009", client_state=CLIENT_STATE)
        h.rx.wait(2)
        h.advance(10)
        hits = h.rx.wait(3)
        assert h.types(hits) == ["call.initiated", "call.answered", "call.hangup"]
        assert hits[2].payload["hangup_source"] == "callee" and hits[2].payload["client_state"] == CLIENT_STATE
        assert h.c.get(f"/v2/calls/{ccid}", headers=AUTH).json()["data"]["call_duration"] == 10


def test_inbound_call_must_be_answered(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        started = h.admin(
            "/calls/inbound",
            {"from": "+15551112222", "to": "+15553334444", "connection_id": "conn-9", "webhook_url": h.rx.url(), "api_key": API_KEY},
            expect=201,
        )
        ccid = started["data"]["call_control_id"]
        first = h.rx.wait(1)[0]
        assert first.payload["direction"] == "incoming" and first.payload["state"] == "parked"
        # nothing can be done before the answer
        err = h.action(ccid, "speak", {"payload": "hi", "voice": "female"}, expect=422)
        assert err["errors"][0]["code"] == "90034"
        h.action(ccid, "answer", {"client_state": CLIENT_STATE})
        h.action(ccid, "answer", expect=422)
        h.admin(f"/calls/{ccid}/hangup")
        hits = h.rx.wait(3)
        h.verify(hits)
        assert h.types(hits) == ["call.initiated", "call.answered", "call.hangup"]
        assert hits[1].payload["client_state"] == CLIENT_STATE
        assert hits[2].payload["hangup_source"] == "caller"


def test_inbound_reject_and_caller_cancel(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        body = {"from": "+15551112222", "to": "+15553334444", "connection_id": "c", "webhook_url": h.rx.url(), "api_key": API_KEY}
        one = h.admin("/calls/inbound", body, expect=201)["data"]["call_control_id"]
        two = h.admin("/calls/inbound", body, expect=201)["data"]["call_control_id"]
        h.action(one, "reject", {"cause": "USER_BUSY"})
        h.admin(f"/calls/{two}/hangup")
        hits = h.rx.wait(4)
        ends = {x.payload["call_control_id"]: x.payload for x in hits if x.event_type == "call.hangup"}
        assert ends[one]["hangup_cause"] == "user_busy" and ends[one]["hangup_source"] == "callee"
        assert ends[two]["hangup_cause"] == "originator_cancel" and ends[two]["hangup_source"] == "caller"
        assert h.action(one, "hangup", expect=422)["errors"][0]["code"] == "90018"


def test_webhook_targets_per_event_and_connection(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        app = h.post(
            "/call_control_applications",
            {"application_name": "voice-bot", "webhook_event_url": h.rx.url("/conn"), "webhook_event_failover_url": h.rx.url("/failover")},
            expect=201,
        )["data"]
        h.post("/calls", {"connection_id": app["id"], "from": "+1312", "to": "+1313"})
        assert [x.event_type for x in h.rx.wait(2, path="/conn")] == ["call.initiated", "call.answered"]
        # the dial's webhook_url wins over the connection, and webhook_urls per event over both
        h.post("/calls", {"connection_id": app["id"], "from": "+1312", "to": "+1314", "webhook_url": h.rx.url(), "webhook_urls": {"call.answered": h.rx.url("/answers")}})
        assert [x.event_type for x in h.rx.wait(1)] == ["call.initiated"]
        assert [x.event_type for x in h.rx.wait(1, path="/answers")] == ["call.answered"]
        assert h.rx.settle(path="/failover") == []


def test_client_state_update_and_command_id_idempotency(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = h.dial()
        h.rx.wait(2)
        h.c.put(f"/v2/calls/{ccid}/actions/client_state_update", json={"client_state": OTHER_STATE}, headers=AUTH).raise_for_status()
        first = h.action(ccid, "speak", {"payload": "one", "voice": "female", "command_id": "cmd-1"})
        again = h.action(ccid, "speak", {"payload": "one", "voice": "female", "command_id": "cmd-1"})
        assert first == again == {"data": {"result": "ok"}}
        h.advance(1)
        hits = h.rx.settle()
        assert h.types(hits) == ["call.initiated", "call.answered", "call.speak.started", "call.speak.ended"]
        assert hits[2].payload["client_state"] == OTHER_STATE
        h.advance(61)  # the id is forgotten after 60 s
        h.action(ccid, "speak", {"payload": "one", "voice": "female", "command_id": "cmd-1"})
        assert h.types(h.rx.wait(5))[-1] == "call.speak.started"
