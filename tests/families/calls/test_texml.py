"""TeXML AI calls: the outbound AI call, its form-encoded status and conversation callbacks."""

from __future__ import annotations

from pathlib import Path

import httpx
import telnyx

from tests.support.calls import API_KEY, AUTH, Calls, calls_env, sdk_session

ALL_EVENTS = "initiated ringing answered completed no-answer busy canceled failed analyzed"


def test_sdk_ai_call_sends_status_and_conversation_callbacks(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as (server, client, verifier, rx):
        httpx.post(
            f"{server.url}/_emulator/calls/scripts",
            json={"to": "+13125559000", "api_key": API_KEY, "steps": ["answer", "say: I'd like to book a table", {"action": "hangup", "after": 3}]},
        )
        result = client.texml.initiate_ai_call(
            "texml-app-1",
            ai_assistant_id="assistant-7",
            from_="+13125550001",
            to="+13125559000",
            status_callback=rx.url("/status"),
            status_callback_event="initiated ringing answered completed analyzed",
            conversation_callback=rx.url("/conversation"),
        )
        assert result.status == "queued" and result.to == "+13125559000" and result.call_sid
        rx.wait(3, path="/status")
        httpx.post(f"{server.url}/_emulator/clock", json={"advance": 5})
        statuses = rx.wait(4, path="/status")
        httpx.post(f"{server.url}/_emulator/clock", json={"advance": 1})
        statuses = rx.wait(5, path="/status")
        conversation = rx.wait(2, path="/conversation")
        h = Calls.__new__(Calls)
        h.public_key = httpx.get(f"{server.url}/_emulator/public-key").json()["public_key"]
        h.sdk = telnyx.Telnyx(api_key="k", public_key=h.public_key)
        h.verify(statuses + conversation)
        conversation_id = conversation[0].form()["ConversationId"]
        messages = client.get(f"/ai/conversations/{conversation_id}/messages", cast_to=object)

    forms = [s.form() for s in statuses]
    assert [f["StatusCallbackEvent"] for f in forms] == ["initiated", "ringing", "answered", "completed", "analyzed"]
    assert [f["CallStatus"] for f in forms] == ["initiated", "ringing", "in-progress", "completed", "completed"]
    assert {f["CallSid"] for f in forms} == {result.call_sid}
    assert [f["SequenceNumber"] for f in forms] == ["0", "1", "2", "3", "4"]
    assert forms[3]["CallDuration"] == "5"  # assistant listens at 1 s, hears at 2 s, party hangs up 3 s later
    assert all(s.headers["content-type"].startswith("application/x-www-form-urlencoded") for s in statuses)
    events = [c.form() for c in conversation]
    assert [e["ConversationEvent"] for e in events] == ["conversation_created", "conversation_ended"]
    assert events[0]["AIAssistantId"] == "assistant-7" and events[1]["ConversationId"] == conversation_id
    texts = [m["text"] for m in messages["data"]]  # type: ignore[index]
    assert "I'd like to book a table" in texts


def test_status_callback_filter_get_method_and_busy(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        h.script("+13125559001", "busy")
        h.post(
            "/texml/ai_calls/texml-app-1",
            {
                "From": "+13125550001",
                "To": "+13125559001",
                "AIAssistantId": "assistant-7",
                "StatusCallbacks": [h.rx.url("/a"), h.rx.url("/b")],
                "StatusCallbackEvent": ALL_EVENTS,
                "StatusCallbackMethod": "GET",
            },
        )
        h.advance(1)
        for path in ("/a", "/b"):
            hits = h.rx.wait(4, path=path)
            h.verify(hits)
            assert all(x.method == "GET" and not x.body for x in hits)
            assert [x.form()["StatusCallbackEvent"] for x in hits] == ["initiated", "ringing", "busy", "analyzed"]


def test_default_filter_sends_only_completed(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        sid = h.post("/texml/ai_calls/app", {"From": "+1", "To": "+2", "AIAssistantId": "a", "StatusCallback": h.rx.url("/s")})["call_sid"]
        h.advance(10)  # unscripted callee: says hello, hangs up after 5 s
        hits = h.rx.settle(path="/s")
        assert [x.form()["StatusCallbackEvent"] for x in hits] == ["completed"]
        assert hits[0].form()["CallSid"] == sid


def test_ai_call_rejects_texml_and_missing_fields(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        err = h.post("/texml/ai_calls/app", {"From": "+1", "To": "+2", "AIAssistantId": "a", "Twiml": "<Response/>"}, expect=422)
        assert err["errors"][0]["source"] == {"pointer": "/Twiml"}
        err = h.post("/texml/ai_calls/app", {"From": "+1", "To": "+2", "AIAssistantId": "a", "Url": "https://x", "Texml": "<Response/>"}, expect=422)
        assert [e["source"]["pointer"] for e in err["errors"]] == ["/Texml", "/Url"]
        err = h.post("/texml/ai_calls/app", {"From": "+1"}, expect=422)
        assert {e["source"]["pointer"] for e in err["errors"]} >= {"/To", "/AIAssistantId"}
        err = h.post("/texml/ai_calls/app", {"From": "+1", "To": "+2", "AIAssistantId": "a", "StatusCallbackEvent": "sometimes"}, expect=422)
        assert err["errors"][0]["source"] == {"pointer": "/StatusCallbackEvent"}
        assert h.c.get("/_emulator/calls", headers=AUTH).json()["meta"]["total"] == 0


def test_lenient_mode_drops_unknown_callback_events_with_a_warning(tmp_path: Path) -> None:
    with calls_env(tmp_path, lenient=True) as h:
        h.script("+13125559002", "answer", "say: hi", {"action": "hangup", "after": 2})
        body = {"From": "+1", "To": "+13125559002", "AIAssistantId": "a", "StatusCallback": h.rx.url("/s"),
                "StatusCallbackEvent": "string answered", "Record": True, "RecordingStatusCallback": h.rx.url("/r"),
                "RecordingStatusCallbackEvent": "string"}
        r = h.c.post("/v2/texml/ai_calls/app", json=body, headers=AUTH)
        assert r.status_code == 200 and r.headers["x-emulator-warning"] == "calls.texml_callback_events"
        h.advance(5)
        statuses, recording = h.rx.settle(path="/s"), h.rx.settle(path="/r")
        h.verify(statuses + recording)
        assert [x.form()["StatusCallbackEvent"] for x in statuses] == ["answered"]  # "string" ignored
        assert [x.form()["RecordingStatus"] for x in recording] == ["completed"]  # the default, no in-progress
