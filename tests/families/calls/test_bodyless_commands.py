"""The call-control commands Telnyx's own examples send with no body at all (``curl -X POST`` with
a JSON content type and nothing else) work as written in strict mode on a real answered call,
with their webhooks."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.calls import API_KEY, SdkSession, sdk_session

CURL_HEADERS = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}


def bodyless(s: SdkSession, ccid: str, command: str) -> dict[str, object]:
    """``curl -X POST -H "Authorization: ..." -H "Content-Type: application/json" .../actions/<command>``"""
    r = httpx.post(f"{s.server.url}/v2/calls/{ccid}/actions/{command}", headers=CURL_HEADERS)
    assert r.status_code == 200, (command, r.text)
    data: dict[str, object] = r.json()["data"]
    assert data["result"] == "ok"
    return data


def answered_call(s: SdkSession, to: str) -> str:
    data = s.client.calls.dial(connection_id="conn-1", from_="+13125550001", to=to, webhook_url=s.rx.url()).data
    assert data is not None
    s.rx.wait(2)
    return data.call_control_id


def events(s: SdkSession, ccid: str) -> list[str]:
    hits = [h for h in s.rx.settle() if h.payload.get("call_control_id") == ccid]
    for hit in hits:
        s.verifier.webhooks.unwrap(hit.body.decode(), headers=hit.headers)
    return [h.event_type for h in hits]


def test_siprec_and_noise_suppression_without_a_body(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        ccid = answered_call(s, "+13125550401")
        for command in ("siprec_start", "siprec_stop", "suppression_start", "suppression_stop"):
            bodyless(s, ccid, command)
        assert events(s, ccid) == ["call.initiated", "call.answered", "siprec.started", "siprec.stopped"]


def test_ai_assistant_start_add_messages_stop_without_a_body(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        ccid = answered_call(s, "+13125550402")
        started = bodyless(s, ccid, "ai_assistant_start")
        assert isinstance(started["conversation_id"], str) and len(started["conversation_id"]) == 36
        bodyless(s, ccid, "ai_assistant_add_messages")
        bodyless(s, ccid, "ai_assistant_stop")
        assert events(s, ccid) == ["call.initiated", "call.answered", "call.conversation.ended", "call.conversation_insights.generated"]
        ended = next(h.payload for h in s.rx.settle() if h.event_type == "call.conversation.ended")
        assert ended["conversation_id"] == started["conversation_id"] and ended["reason"] == "assistant_stopped"


def silent_party(s: SdkSession, to: str) -> None:
    """The other party will press nothing (so a gather waits until it is stopped)."""
    r = httpx.post(f"{s.server.url}/_emulator/calls/scripts", json={"to": to, "steps": ["answer"], "auto": False, "api_key": API_KEY})
    assert r.status_code == 201, r.text


def test_gather_stop_without_a_body_ends_the_gather(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        silent_party(s, "+13125550403")
        ccid = answered_call(s, "+13125550403")
        r = httpx.post(f"{s.server.url}/v2/calls/{ccid}/actions/gather", headers=CURL_HEADERS, content=b'{"minimum_digits": 1, "maximum_digits": 4}')
        assert r.status_code == 200, r.text
        bodyless(s, ccid, "gather_stop")
        assert events(s, ccid) == ["call.initiated", "call.answered", "call.gather.ended"]
        assert next(h.payload for h in s.rx.settle() if h.event_type == "call.gather.ended")["status"] == "cancelled"


def test_gather_using_audio_without_a_body(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        silent_party(s, "+13125550404")
        ccid = answered_call(s, "+13125550404")
        bodyless(s, ccid, "gather_using_audio")
        bodyless(s, ccid, "gather_stop")
        assert events(s, ccid)[:2] == ["call.initiated", "call.answered"]
        assert "call.gather.ended" in events(s, ccid)
