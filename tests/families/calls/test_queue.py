"""Call queues, SIP INFO and Conversation Relay: real state behind the commands, the exact
webhook sequences (signature-checked and validated against the document's ``webhooks``
schemas), and the call-control errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import telnyx

from emulator.core.paths import embedded_spec_path
from tests.support.calls import CLIENT_STATE, Calls, Hit, calls_env, sdk_session, webhook_validators

VALIDATORS = webhook_validators(json.loads(Path(embedded_spec_path()).read_text()))
RELAY_URL = "wss://example.com/relay"


def answered(h: Calls, to: str, **extra: object) -> str:
    ccid = h.dial(to, **extra)
    return ccid


def of(h: Calls, ccid: str) -> list[Hit]:
    hits = [x for x in h.rx.settle() if x.payload.get("call_control_id") == ccid]
    h.verify(hits)
    for hit in hits:
        errors = [e.message for e in VALIDATORS[hit.event_type].iter_errors(hit.data)]
        assert not errors, (hit.event_type, errors)
    return hits


def code(body: dict) -> str:
    return body["errors"][0]["code"]


def test_enqueue_positions_leave_and_hangup_while_queued(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        a, b = answered(h, "+15550007001"), answered(h, "+15550007002", client_state=CLIENT_STATE)
        h.rx.wait(4)
        h.action(a, "enqueue", {"queue_name": "support"})
        h.advance(10)
        h.action(b, "enqueue", {"queue_name": "support", "max_size": 5})
        assert code(h.action(b, "enqueue", {"queue_name": "support"}, expect=422)) == "90038"
        assert code(h.action(b, "enqueue", {"queue_name": "sales"}, expect=422)) == "90038"  # one queue at a time
        h.advance(20)
        h.action(a, "leave_queue", {})
        left = h.action(a, "leave_queue", {}, expect=422)["errors"][0]
        assert left["code"] == "90033" and "not in a queue" in left["detail"]
        h.advance(5)
        h.action(b, "hangup", {})
        a_hits, b_hits = of(h, a), of(h, b)

    assert h.types(a_hits) == ["call.initiated", "call.answered", "call.enqueued", "call.dequeued"]
    assert a_hits[2].payload.items() >= {"queue": "support", "current_position": 1, "queue_avg_wait_time_secs": 0}.items()
    assert a_hits[3].payload.items() >= {"queue": "support", "queue_position": 1, "reason": "leave", "wait_time_secs": 30}.items()
    assert h.types(b_hits) == ["call.initiated", "call.answered", "call.enqueued", "call.dequeued", "call.hangup"]
    enq, deq = b_hits[2].payload, b_hits[3].payload
    assert (enq["current_position"], enq["queue_avg_wait_time_secs"], enq["client_state"]) == (2, 0, CLIENT_STATE)
    # a left after 30 s, so b (now first) leaves from position 1 after waiting 25 s
    assert (deq["reason"], deq["queue_position"], deq["wait_time_secs"]) == ("hangup", 1, 25)
    assert all(x.payload["call_control_id"] == b and x.payload["call_leg_id"] == b_hits[0].payload["call_leg_id"] for x in b_hits)


def test_max_wait_timeout_average_wait_and_full_queue(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        a, b, c = (answered(h, f"+1555000710{i}") for i in range(3))
        h.rx.wait(6)
        h.action(a, "enqueue", {"queue_name": "tiny", "max_size": 2, "max_wait_time_secs": 40})
        h.action(b, "enqueue", {"queue_name": "tiny", "max_size": 50})  # max_size is fixed at creation
        full = h.action(c, "enqueue", {"queue_name": "tiny"}, expect=422)
        assert code(full) == "90033" and "full" in full["errors"][0]["detail"]
        h.advance(39)
        assert h.types(of(h, a))[-1] == "call.enqueued"
        h.advance(1)
        a_hits = of(h, a)
        assert h.types(a_hits)[-1] == "call.dequeued"
        assert (a_hits[-1].payload["reason"], a_hits[-1].payload["wait_time_secs"]) == ("timeout", 40)
        h.action(c, "enqueue", {"queue_name": "tiny"})  # room again; a waited 40 s on average
        c_enq = of(h, c)[-1].payload
        assert (c_enq["current_position"], c_enq["queue_avg_wait_time_secs"]) == (2, 40)
        bad = h.action(c, "leave_queue", {"client_state": "not base64!"}, expect=422)
        assert bad["errors"][0]["source"] == {"pointer": "/client_state"}
        assert h.types(of(h, c))[-1] == "call.enqueued"  # the failed command changed nothing


def test_bridging_an_agent_takes_the_caller_out_of_the_queue(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        caller, agent = answered(h, "+15550007201"), answered(h, "+15550007202")
        h.rx.wait(4)
        h.action(caller, "enqueue", {"queue_name": "support"})
        h.advance(7)
        h.action(agent, "bridge", {"call_control_id": caller})
        caller_hits = of(h, caller)
        assert h.types(caller_hits) == ["call.initiated", "call.answered", "call.enqueued", "call.dequeued", "call.bridged"]
        assert (caller_hits[3].payload["reason"], caller_hits[3].payload["wait_time_secs"]) == ("bridged", 7)
        assert h.types(of(h, agent))[2:] == ["call.bridged"]
        assert code(h.action(caller, "leave_queue", {}, expect=422)) == "90033"


def test_keep_after_hangup_stays_queued_until_max_wait(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "+15550007301")
        agent = answered(h, "+15550007302")
        h.rx.wait(4)
        h.action(ccid, "enqueue", {"queue_name": "vip", "keep_after_hangup": True, "max_wait_time_secs": 60})
        h.action(ccid, "hangup", {})
        assert h.types(of(h, ccid))[-2:] == ["call.enqueued", "call.hangup"]
        assert code(h.action(agent, "bridge", {"call_control_id": ccid}, expect=422)) == "90018"
        h.advance(60)
        hits = of(h, ccid)
        assert h.types(hits)[-1] == "call.dequeued" and hits[-1].payload["reason"] == "timeout"


def test_queue_errors_command_id_and_wrong_state(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        for action, body in [
            ("enqueue", {"queue_name": "q"}),
            ("leave_queue", {}),
            ("send_sip_info", {"content_type": "text/plain", "body": "hi"}),
            ("conversation_relay_start", {"url": RELAY_URL}),
            ("conversation_relay_stop", {}),
        ]:
            missing = h.action("v3:nope", action, body, expect=404)["errors"][0]
            assert (missing["code"], missing["source"]) == ("90015", {"parameter": "call_control_id"}), action
        h.script("+15550007401", "manual")
        ringing = h.dial("+15550007401")
        assert code(h.action(ringing, "enqueue", {"queue_name": "q"}, expect=422)) == "90034"
        assert code(h.action(ringing, "send_sip_info", {"content_type": "text/plain", "body": "x"}, expect=422)) == "90034"
        ccid = answered(h, "+15550007402")
        h.rx.wait(3)
        first = h.action(ccid, "enqueue", {"queue_name": "q", "command_id": "cmd-1"})
        assert h.action(ccid, "enqueue", {"queue_name": "q", "command_id": "cmd-1"}) == first  # answered again, not re-run
        assert h.types(of(h, ccid)).count("call.enqueued") == 1
        h.action(ccid, "hangup", {})
        assert code(h.action(ccid, "enqueue", {"queue_name": "q"}, expect=422)) == "90018"
        assert code(h.action(ccid, "leave_queue", {}, expect=422)) == "90018"


def test_send_sip_info_reaches_the_bridged_leg_without_webhooks(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        a, b = answered(h, "+15550007501"), answered(h, "+15550007502")
        h.rx.wait(4)
        h.action(a, "bridge", {"call_control_id": b})
        before = len(h.rx.settle())
        h.action(a, "send_sip_info", {"content_type": "application/json", "body": '{"k": 1}'})
        assert len(h.rx.settle()) == before  # the document publishes no webhook for SIP INFO
        sent = h.c.get(f"/_emulator/calls/{a}").json()["data"]["sip_info_sent"]
        got = h.c.get(f"/_emulator/calls/{b}").json()["data"]["sip_info_received"]
        assert sent == got and sent[0]["content_type"] == "application/json" and sent[0]["body"] == '{"k": 1}'
        bad = h.action(a, "send_sip_info", {"content_type": "text/plain"}, expect=422)["errors"][0]
        assert bad["source"]["pointer"] == "/body"


def test_conversation_relay_one_session_and_its_end(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "+15550007601", client_state=CLIENT_STATE)
        h.rx.wait(2)
        bad = h.action(ccid, "conversation_relay_start", {"url": "https://example.com"}, expect=422)
        assert bad["errors"][0]["source"]["pointer"] == "/url"
        started = h.action(ccid, "conversation_relay_start", {"url": RELAY_URL, "voice": "Telnyx.KokoroTTS.af", "transcription_engine": "Deepgram"})
        relay_id = started["data"]["conversation_relay_id"]
        assert started["data"]["result"] == "ok" and len(relay_id) == 36
        assert code(h.action(ccid, "conversation_relay_start", {"url": RELAY_URL}, expect=422)) == "90061"
        assert code(h.action(ccid, "ai_assistant_start", {}, expect=422)) == "90061"
        h.advance(12)
        h.action(ccid, "conversation_relay_stop", {})
        assert code(h.action(ccid, "conversation_relay_stop", {}, expect=422)) == "90033"
        second = h.action(ccid, "conversation_relay_start", {"conversation_relay_settings": {"url": RELAY_URL}})["data"]
        h.advance(3)
        h.action(ccid, "hangup", {})
        hits = of(h, ccid)
    assert h.types(hits) == ["call.initiated", "call.answered", "call.conversation.ended", "call.hangup", "call.conversation.ended"]
    first_end, last_end = hits[2].payload, hits[4].payload
    assert (first_end["conversation_id"], first_end["reason"], first_end["duration_sec"]) == (relay_id, "relay_stopped", 12)
    assert first_end["stt_model"] == "deepgram/nova-3" and first_end["client_state"] == CLIENT_STATE
    assert first_end["llm_model"] == ""  # the relay's LLM is the customer's: declared, sent empty
    assert (last_end["conversation_id"], last_end["reason"], last_end["duration_sec"]) == (second["conversation_relay_id"], "call_hangup", 3)


def test_official_sdk_drives_queue_sip_info_and_relay(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as (server, client, verifier, rx):
        ccid = client.calls.dial(connection_id="c", from_="+13125550001", to="+13125550777", webhook_url=rx.url()).data.call_control_id
        rx.wait(2)
        assert client.calls.actions.enqueue(ccid, queue_name="support", client_state=CLIENT_STATE).data.result == "ok"
        with pytest.raises(telnyx.UnprocessableEntityError) as again:
            client.calls.actions.enqueue(ccid, queue_name="support")
        assert again.value.status_code == 422 and again.value.body["errors"][0]["code"] == "90038"  # type: ignore[index]
        assert client.calls.actions.leave_queue(ccid).data.result == "ok"
        assert client.calls.actions.send_sip_info(ccid, body="ping", content_type="text/plain").data.result == "ok"
        relay = client.calls.actions.start_conversation_relay(ccid, url=RELAY_URL, greeting="Hi!")
        assert relay.data.conversation_relay_id and relay.data.result == "ok"
        assert client.calls.actions.stop_conversation_relay(ccid).data.result == "ok"
        with pytest.raises(telnyx.NotFoundError):
            client.calls.actions.leave_queue("v3:unknown")
        hits = rx.wait(5)
    assert [h.event_type for h in hits] == ["call.initiated", "call.answered", "call.enqueued", "call.dequeued", "call.conversation.ended"]
    for hit in hits:
        event = verifier.webhooks.unwrap(hit.body.decode(), headers=hit.headers)
        assert event.data.payload.call_control_id == ccid  # type: ignore[union-attr]
    assert hits[3].payload["client_state"] == CLIENT_STATE and hits[3].payload["reason"] == "leave"
