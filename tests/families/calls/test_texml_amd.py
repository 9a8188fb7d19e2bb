"""TeXML AI calls with answering-machine detection: the AMD callback (async) and ``AnsweredBy`` in
the status callbacks (sync), driven by the callee's script, over real HTTP and signed."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
from nacl.signing import VerifyKey

from tests.support.calls import API_KEY, Hit, sdk_session

FROM = "+13125550001"


def verify_forms(server_url: str, hits: list[Hit]) -> None:
    """Each form callback is signed like every TeXML callback: Ed25519 over
    ``"{telnyx-timestamp}|{form body (or query string)}"`` with the emulator's key."""
    key = VerifyKey(base64.b64decode(httpx.get(f"{server_url}/_emulator/public-key").json()["public_key"]))
    for hit in hits:
        assert hit.method == "GET" or hit.headers["content-type"].startswith("application/x-www-form-urlencoded")
        signed = hit.body.decode() if hit.body else hit.query
        key.verify(f"{hit.headers['telnyx-timestamp']}|{signed}".encode(), base64.b64decode(hit.headers["telnyx-signature-ed25519"]))


def script(server_url: str, to: str, *steps: Any) -> None:
    r = httpx.post(f"{server_url}/_emulator/calls/scripts", json={"to": to, "api_key": API_KEY, "steps": list(steps)})
    assert r.status_code == 201, r.text


def advance(server_url: str, seconds: float) -> None:
    assert httpx.post(f"{server_url}/_emulator/clock", json={"advance": seconds}).status_code == 200


def test_async_amd_voicemail_reports_machine_end_beep_to_its_callback(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as (server, client, _verifier, rx):
        to = "+13125559100"
        script(server.url, to, "voicemail", "say: Hi, you reached Ada. Leave a message after the beep.", {"action": "hangup", "after": 6})
        result = client.texml.initiate_ai_call(
            "texml-app-1", ai_assistant_id="assistant-7", from_=FROM, to=to,
            machine_detection="DetectMessageEnd", async_amd=True,
            async_amd_status_callback=rx.url("/amd"), async_amd_status_callback_method="POST",
            status_callback=rx.url("/status"), status_callback_event="initiated ringing answered completed",
        )
        rx.wait(3, path="/status")
        advance(server.url, 4)  # the greeting ends (beep) 4 s after the answer
        amd = rx.wait(1, path="/amd")
        advance(server.url, 5)  # the voicemail hangs up 6 s after the assistant heard the greeting
        statuses = rx.wait(4, path="/status")
        verify_forms(server.url, amd + statuses)
        order = [(h.path, h.form().get("StatusCallbackEvent")) for h in rx.settle(path=None)]

    form = amd[0].form()
    assert amd[0].method == "POST"
    assert form == {
        "AccountSid": statuses[0].form()["AccountSid"], "CallSid": result.call_sid, "CallSidLegacy": form["CallSidLegacy"],
        "ConnectionId": "texml-app-1", "AnsweredBy": "machine_end_beep", "MachineDetectionDuration": "4000",
    }
    # async: the assistant did not wait, and the status callbacks do not carry the result
    assert order == [("/status", "initiated"), ("/status", "ringing"), ("/status", "answered"), ("/amd", None), ("/status", "completed")]
    assert all("AnsweredBy" not in s.form() for s in statuses)


def test_sync_amd_holds_the_answered_callback_until_a_human_is_detected(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as (server, client, _verifier, rx):
        to = "+13125559101"
        script(server.url, to, "answer", "say: Hello, who is this?", {"action": "hangup", "after": 3})
        client.texml.initiate_ai_call(
            "texml-app-1", ai_assistant_id="assistant-7", from_=FROM, to=to, machine_detection="Enable",
            async_amd_status_callback=rx.url("/amd"),  # only used with AsyncAmd
            status_callback=rx.url("/status"), status_callback_event="initiated ringing answered completed analyzed",
            conversation_callback=rx.url("/conversation"),
        )
        rx.wait(2, path="/status")
        assert len(rx.settle(path="/status")) == 2 and not rx.settle(path="/conversation")  # detecting: nothing answered yet
        advance(server.url, 1)
        answered = rx.wait(3, path="/status")[2]
        rx.wait(1, path="/conversation")
        advance(server.url, 5)  # assistant listens at +1 s, hears at +2 s, the caller hangs up 3 s later
        advance(server.url, 1)
        statuses = rx.wait(5, path="/status")
        verify_forms(server.url, statuses)
        amd_hits = rx.settle(path="/amd")

    forms = [s.form() for s in statuses]
    assert [f["StatusCallbackEvent"] for f in forms] == ["initiated", "ringing", "answered", "completed", "analyzed"]
    assert [f.get("AnsweredBy") for f in forms] == [None, None, "human", "human", "human"]
    assert answered.form()["CallStatus"] == "in-progress"
    assert forms[3]["CallDuration"] == "6"
    assert amd_hits == []


@pytest.mark.parametrize(
    ("steps", "mode", "timeout_ms", "answered_by", "duration_ms"),
    [
        (["voicemail"], "Enable", None, "machine_start", "1000"),
        (["answer", "amd fax"], "Enable", None, "fax", "1000"),
        (["answer", "amd not_sure"], "DetectMessageEnd", None, "unknown", "1000"),
        (["voicemail", "amd machine_end_silence"], "DetectMessageEnd", None, "machine_end_silence", "4000"),
        (["voicemail"], "DetectMessageEnd", 2000, "unknown", "2000"),  # the greeting outlasts MachineDetectionTimeout
    ],
)
def test_answered_by_follows_the_callee_script(
    tmp_path: Path, steps: list[str], mode: str, timeout_ms: int | None, answered_by: str, duration_ms: str
) -> None:
    with sdk_session(tmp_path) as (server, client, _verifier, rx):
        to = "+13125559102"
        script(server.url, to, *steps)
        extra: dict[str, Any] = {"machine_detection_timeout": timeout_ms} if timeout_ms else {}
        client.texml.initiate_ai_call(
            "texml-app-1", ai_assistant_id="assistant-7", from_=FROM, to=to, machine_detection=mode,  # type: ignore[arg-type]
            async_amd=True, async_amd_status_callback=rx.url("/amd"), async_amd_status_callback_method="GET", **extra,
        )
        advance(server.url, 5)
        hits = rx.wait(1, path="/amd")
        verify_forms(server.url, hits)
    assert hits[0].method == "GET" and not hits[0].body
    assert (hits[0].form()["AnsweredBy"], hits[0].form()["MachineDetectionDuration"]) == (answered_by, duration_ms)


def test_hangup_before_detection_reports_unknown(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as (server, client, _verifier, rx):
        to = "+13125559103"
        script(server.url, to, "voicemail", {"action": "hangup", "after": 2})
        client.texml.initiate_ai_call(
            "texml-app-1", ai_assistant_id="assistant-7", from_=FROM, to=to, machine_detection="DetectMessageEnd",
            status_callback=rx.url("/status"), status_callback_event="answered completed",
        )
        advance(server.url, 3)
        statuses = rx.wait(2, path="/status")
        verify_forms(server.url, statuses)
    forms = [s.form() for s in statuses]
    assert [(f["StatusCallbackEvent"], f["AnsweredBy"]) for f in forms] == [("answered", "unknown"), ("completed", "unknown")]
