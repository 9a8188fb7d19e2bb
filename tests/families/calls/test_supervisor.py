"""Supervisor legs through the official SDK: a dialled leg that supervises a call joins it
(``call.bridged`` on both legs), switches roles, and its role decides who hears it — barge both
ends, whisper the supervised (agent) leg only, monitor nobody — as the legs' transcriptions show."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import telnyx

from tests.support.calls import API_KEY, Hit, SdkSession, sdk_session


def call_events(s: SdkSession, *ccids: str) -> list[tuple[str, str]]:
    """(event_type, leg) of every event for ``ccids`` in the order the emulator sent them (the
    delivery log: each leg's events reach the receiver in order, but legs race each other); and
    every one of them reached the receiver, its signature verifying."""
    hits = [h for h in s.rx.settle() if h.payload.get("call_control_id") in ccids]
    for hit in hits:
        s.verifier.webhooks.unwrap(hit.body.decode(), headers=hit.headers)
    log = httpx.get(f"{s.server.url}/_emulator/webhooks/deliveries", params={"api_key": API_KEY}).json()["data"]
    sent = {h.data["id"]: (h.event_type, h.payload["call_control_id"]) for h in hits}
    assert len(sent) == len([e for e in log if e["id"] in sent])
    for leg in ccids:  # per leg, the receiver saw the log's order
        assert [sent[e["id"]] for e in log if e["id"] in sent and sent[e["id"]][1] == leg] == [
            (h.event_type, leg) for h in hits if h.payload["call_control_id"] == leg
        ]
    return [sent[e["id"]] for e in log if e["id"] in sent]


def say(s: SdkSession, ccid: str, text: str) -> list[str]:
    r = httpx.post(f"{s.server.url}/_emulator/calls/{ccid}/say", json={"text": text})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["outcome"] == "supervised"
    return list(data["heard_by"])


def heard(s: SdkSession, text: str) -> list[str]:
    """The legs whose transcription reported ``text``."""
    hits: list[Hit] = [h for h in s.rx.settle() if h.event_type == "call.transcription"]
    return [h.payload["call_control_id"] for h in hits if h.payload["transcription_data"]["transcript"] == text]


def dial(s: SdkSession, to: str, **extra: object) -> str:
    data = s.client.calls.dial(connection_id="conn-1", from_="+13125550001", to=to, webhook_url=s.rx.url(), **extra).data  # type: ignore[arg-type]
    assert data is not None
    return data.call_control_id


def test_supervisor_joins_switches_roles_and_is_heard_by_role(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        customer, agent = dial(s, "+13125550101"), dial(s, "+13125550102")
        s.rx.wait(4)
        s.client.calls.actions.bridge(customer, call_control_id_to_bridge_with=agent)
        s.rx.wait(6)

        supervisor = dial(s, "+13125550103", supervise_call_control_id=agent, supervisor_role="whisper")
        s.rx.wait(10)
        assert call_events(s, supervisor, agent)[-4:] == [
            ("call.initiated", supervisor),
            ("call.answered", supervisor),
            ("call.bridged", supervisor),
            ("call.bridged", agent),
        ]
        for leg in (customer, agent, supervisor):
            s.client.calls.actions.start_transcription(leg)

        assert say(s, supervisor, "psst, offer the discount") == [agent]  # whisper: the agent only
        assert sorted(heard(s, "psst, offer the discount")) == sorted([supervisor, agent])

        assert s.client.calls.actions.switch_supervisor_role(supervisor, role="barge").data.result == "ok"  # type: ignore[union-attr]
        assert say(s, supervisor, "hello both of you") == [agent, customer]
        assert sorted(heard(s, "hello both of you")) == sorted([supervisor, agent, customer])

        s.client.calls.actions.switch_supervisor_role(supervisor, role="monitor")
        assert say(s, supervisor, "just listening") == []  # monitor: nobody else hears it
        assert heard(s, "just listening") == [supervisor]

        # the supervised call ends: the supervisor's leg goes with it
        s.client.calls.actions.hangup(customer)
        tail = [e for e in call_events(s, customer, agent, supervisor) if e[0] == "call.hangup"]
        assert tail == [("call.hangup", customer), ("call.hangup", agent), ("call.hangup", supervisor)]


def test_a_supervisor_hanging_up_leaves_the_call_up(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        agent = dial(s, "+13125550201")
        s.rx.wait(2)
        supervisor = dial(s, "+13125550202", supervise_call_control_id=agent)  # role defaults to barge
        s.rx.wait(6)
        s.client.calls.actions.hangup(supervisor)
        assert s.client.calls.retrieve_status(agent).data.is_alive is True  # type: ignore[union-attr]
        assert [e for e in call_events(s, agent, supervisor) if e[0] in ("call.bridged", "call.hangup")] == [
            ("call.bridged", supervisor),
            ("call.bridged", agent),
            ("call.hangup", supervisor),
        ]


def test_switching_roles_needs_a_joined_call_and_a_live_supervised_call(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        alone = dial(s, "+13125550301")
        s.rx.wait(2)
        with pytest.raises(telnyx.UnprocessableEntityError) as lonely:
            s.client.calls.actions.switch_supervisor_role(alone, role="barge")
        assert lonely.value.body["errors"][0]["code"] == "90033"  # type: ignore[index]
        with pytest.raises(telnyx.UnprocessableEntityError) as unknown:
            dial(s, "+13125550302", supervise_call_control_id="v3:nobody")
        assert unknown.value.body["errors"][0]["code"] == "90015"  # type: ignore[index]
        s.client.calls.actions.hangup(alone)
        with pytest.raises(telnyx.UnprocessableEntityError) as ended:
            dial(s, "+13125550303", supervise_call_control_id=alone)
        assert ended.value.body["errors"][0]["code"] == "90018"  # type: ignore[index]
