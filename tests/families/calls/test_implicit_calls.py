"""Implicit calls (lenient mode): a command naming a call_control_id the emulator never saw finds
an answered call with that id, runs with its normal webhooks, and the call then lives on like
any other — hung up, it stays ended (90018). Strict mode keeps 404 / 90015."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
import telnyx
from starlette.testclient import TestClient

from emulator.app import create_app
from tests.conftest import LiveServer, make_settings
from tests.support.webhooks import Receiver

API_KEY = "implicit-calls-key"
CCID = "v3:550e8400-e29b-41d4-a716-446655440000_gRU1OGRkYQ"


class Session(NamedTuple):
    url: str
    client: telnyx.Telnyx
    verifier: telnyx.Telnyx
    rx: Receiver | None


@contextmanager
def session(tmp_path: Path, *, lenient: bool = True, default_url: bool = True) -> Iterator[Session]:
    rx = Receiver() if default_url else None
    settings = make_settings(
        tmp_path, lenient=lenient, clock_frozen=True, webhook_timestamp="wall", webhook_url=rx.url() if rx else None
    )
    app = create_app(settings)
    try:
        with LiveServer(app) as server:
            client = telnyx.Telnyx(api_key=API_KEY, base_url=f"{server.url}/v2", _strict_response_validation=True, max_retries=0)
            key = httpx.get(f"{server.url}/_emulator/public-key").json()["public_key"]
            yield Session(server.url, client, telnyx.Telnyx(api_key="k", public_key=key), rx)
    finally:
        if rx is not None:
            rx.close()


def advance(s: Session, seconds: float) -> None:
    assert httpx.post(f"{s.url}/_emulator/clock", json={"advance": seconds}).status_code == 200


def deliveries(s: Session, ccid: str = CCID) -> list[dict[str, Any]]:
    r = httpx.get(f"{s.url}/_emulator/webhooks/deliveries", params={"api_key": API_KEY, "call": ccid})
    assert r.status_code == 200, r.text
    data: list[dict[str, Any]] = r.json()["data"]
    return data


def test_speak_on_an_unknown_call_id_runs_on_an_implicit_answered_call(tmp_path: Path) -> None:
    with session(tmp_path) as s:
        raw = s.client.calls.actions.with_raw_response.speak(CCID, payload="hi", voice="female")
        assert raw.status_code == 200 and raw.headers["x-emulator-implicit"] == "call"
        parsed = raw.parse().data
        assert parsed is not None and parsed.result == "ok"
        advance(s, 2)
        assert s.rx is not None
        hits = s.rx.wait_for(2)
        for hit in hits:  # delivered to the settings' default URL, signed
            s.verifier.webhooks.unwrap(hit.body.decode(), headers=hit.headers)
        assert [h.json()["data"]["event_type"] for h in hits] == ["call.speak.started", "call.speak.ended"]
        assert hits[1].json()["data"]["payload"]["call_control_id"] == CCID
        assert [d["event_type"] for d in deliveries(s)] == ["call.speak.started", "call.speak.ended"]
        assert all(d["status"] == "delivered" and d["urls"] == [s.rx.url()] for d in deliveries(s))

        # the call now exists: the next command names it, not a new one
        again = s.client.calls.actions.with_raw_response.speak(CCID, payload="again", voice="female")
        assert again.status_code == 200 and "x-emulator-implicit" not in again.headers
        status = s.client.calls.retrieve_status(CCID).data
        assert status is not None and status.is_alive is True and status.call_control_id == CCID

        s.client.calls.actions.hangup(CCID)
        with pytest.raises(telnyx.UnprocessableEntityError) as ended:
            s.client.calls.actions.speak(CCID, payload="too late", voice="female")
        assert ended.value.status_code == 422 and ended.value.body["errors"][0]["code"] == "90018"  # type: ignore[index]
        assert s.client.calls.retrieve_status(CCID).data.is_alive is False  # type: ignore[union-attr]


def test_without_a_default_url_events_are_only_logged(tmp_path: Path) -> None:
    with session(tmp_path, default_url=False) as s:
        s.client.calls.actions.speak(CCID, payload="hi", voice="female")
        advance(s, 2)
        logged = deliveries(s)
        assert [d["event_type"] for d in logged] == ["call.speak.started", "call.speak.ended"]
        assert all(d["status"] == "no_url" and d["urls"] == [] for d in logged)


def test_a_first_answer_answers_the_implicit_incoming_call(tmp_path: Path) -> None:
    with session(tmp_path) as s:
        s.client.calls.actions.answer(CCID)
        s.client.calls.actions.answer("v3:other-call")  # answered once: a second answer is a 90033 ...
        raw = s.client.calls.actions.with_raw_response.answer("v3:other-call")
        assert raw.headers["x-emulator-warning"] == "calls.command_state"  # ... let through in lenient mode
        s.client.calls.actions.reject("v3:rejected-call", cause="USER_BUSY")
        assert s.rx is not None
        hits = s.rx.wait_for(3)
        got = sorted((h.json()["data"]["event_type"], h.json()["data"]["payload"]["call_control_id"]) for h in hits)
        assert got == [("call.answered", CCID), ("call.answered", "v3:other-call"), ("call.hangup", "v3:rejected-call")]
        hangup = next(h.json()["data"]["payload"] for h in hits if h.json()["data"]["event_type"] == "call.hangup")
        assert hangup["hangup_cause"] == "user_busy" and hangup["sip_hangup_cause"] == "486"


def test_implicit_calls_are_deterministic_per_id(tmp_path: Path) -> None:
    def parties(path: Path) -> tuple[str, str, str]:
        with session(path) as s:
            s.client.calls.actions.answer(CCID)
            assert s.rx is not None
            payload = s.rx.wait_for(1)[0].json()["data"]["payload"]
            return payload["from"], payload["to"], payload["call_leg_id"]

    first, second = parties(tmp_path / "a"), parties(tmp_path / "b")
    assert first == second and first[0].startswith("+1") and first[0] != first[1]


def test_strict_mode_still_answers_404_90015(tmp_path: Path) -> None:
    with session(tmp_path, lenient=False, default_url=False) as s:
        with pytest.raises(telnyx.NotFoundError) as missing:
            s.client.calls.actions.speak(CCID, payload="hi", voice="female")
        assert missing.value.body["errors"][0]["code"] == "90015"  # type: ignore[index]
        assert deliveries(s) == []


def test_bridge_with_an_unknown_leg_bridges_two_implicit_calls(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, lenient=True, clock_frozen=True))
    with TestClient(app) as c:
        auth = {"Authorization": f"Bearer {API_KEY}"}
        r = c.post(f"/v2/calls/{CCID}/actions/bridge", json={"call_control_id": "v3:agent-leg"}, headers=auth)
        assert r.status_code == 200 and r.headers["x-emulator-implicit"] == "call"
        events = c.get("/_emulator/webhooks/deliveries", params={"api_key": API_KEY}).json()["data"]
        assert [e["event_type"] for e in events] == ["call.bridged", "call.bridged"]
        assert c.get("/v2/calls/v3:agent-leg", headers=auth).json()["data"]["is_alive"] is True
