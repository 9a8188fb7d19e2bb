"""Call recordings: TeXML ``Record`` callbacks (in-progress → completed / absent) and call
control's ``call.recording.saved``, both linking to audio the emulator serves — a WAV that says
what was said on the call (our own speech-to-text hears it back)."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

import httpx

from tests.families.calls.test_texml_amd import advance, script, verify_forms
from tests.support.calls import sdk_session

FROM = "+13125550001"
STT = "distil-whisper/distil-large-v2"


def fetch_wav(url: str) -> tuple[wave.Wave_read, bytes]:
    r = httpx.get(url)  # no Authorization, no admin token: the unguessable URL is the key
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav"
    return wave.open(io.BytesIO(r.content)), r.content


def test_texml_record_sends_in_progress_then_completed_and_serves_the_conversation(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as (server, client, _verifier, rx):
        to = "+13125559200"
        script(server.url, to, "answer", "say: I'd like to book a table for two", {"action": "hangup", "after": 3})
        result = client.texml.initiate_ai_call(
            "texml-app-1", ai_assistant_id="assistant-7", from_=FROM, to=to,
            record=True, recording_channels="dual", recording_status_callback=rx.url("/rec"),
            recording_status_callback_event="in-progress completed absent",
            conversation_callback=rx.url("/conversation"),
        )
        started = rx.wait(1, path="/rec")
        advance(server.url, 6)
        hits = rx.wait(2, path="/rec")
        verify_forms(server.url, hits)
        assert len(rx.settle(path="/rec")) == 2  # no absent: something was said
        forms = [h.form() for h in hits]
        audio, data = fetch_wav(forms[1]["RecordingUrl"])
        heard = client.ai.audio.transcribe(model=STT, file=("call.wav", data, "audio/wav"))
        conversation_id = rx.wait(1, path="/conversation")[0].form()["ConversationId"]
        messages: Any = client.get(f"/ai/conversations/{conversation_id}/messages", cast_to=object)

    assert started[0].form()["RecordingStatus"] == "in-progress"
    sid = forms[0]["RecordingSid"]
    assert [f["RecordingStatus"] for f in forms] == ["in-progress", "completed"]
    assert forms[0] == {
        "AccountSid": forms[0]["AccountSid"], "CallSid": result.call_sid, "CallSidLegacy": forms[0]["CallSidLegacy"],
        "ConnectionId": "texml-app-1", "RecordingChannels": "2", "RecordingSource": "OutboundAPI",
        "RecordingStatus": "in-progress", "RecordingSid": sid,
    }
    assert forms[1] == {**forms[0], "RecordingStatus": "completed", "RecordingDuration": "5", "RecordingUrl": forms[1]["RecordingUrl"]}
    url = forms[1]["RecordingUrl"]
    assert url.startswith(f"{server.url}/_emulator/recordings/") and url.endswith(".wav")  # as the client addressed us
    assert sid not in url  # the token, not the (guessable, seeded) id, names the file
    assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (2, 2, 8000) and audio.getnframes() > 8000
    said = [m["text"] for m in messages["data"] if m["role"] in ("user", "assistant")]
    assert "I'd like to book a table for two" in heard.text
    assert all(text in heard.text for text in said)  # the caller and the assistant, both on the recording


def test_texml_record_reports_absent_when_nothing_was_said(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as (server, client, _verifier, rx):
        to = "+13125559201"
        script(server.url, to, "answer", {"action": "hangup", "after": 3})
        client.texml.initiate_ai_call(
            "texml-app-1", ai_assistant_id="assistant-7", from_=FROM, to=to, record=True,
            recording_status_callback=rx.url("/rec"), recording_status_callback_method="GET",
            recording_status_callback_event="in-progress completed absent",
        )
        advance(server.url, 4)
        hits = rx.wait(2, path="/rec")
        verify_forms(server.url, hits)
        assert len(rx.settle(path="/rec")) == 2
    forms = [h.form() for h in hits]
    assert all(h.method == "GET" for h in hits)
    assert [f["RecordingStatus"] for f in forms] == ["in-progress", "absent"]
    assert forms[1]["RecordingChannels"] == "1" and forms[1]["RecordingDuration"] == "3" and "RecordingUrl" not in forms[1]


def test_texml_record_default_event_is_completed_only(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as (server, client, _verifier, rx):
        to = "+13125559202"
        script(server.url, to, "answer", "say: hello there", {"action": "hangup", "after": 2})
        client.texml.initiate_ai_call(
            "texml-app-1", ai_assistant_id="assistant-7", from_=FROM, to=to, record=True,
            recording_track="inbound", recording_status_callback=rx.url("/rec"),
        )
        advance(server.url, 5)
        hits = rx.wait(1, path="/rec")
        verify_forms(server.url, hits)
        assert len(rx.settle(path="/rec")) == 1
        form = hits[0].form()
        audio, data = fetch_wav(form["RecordingUrl"])
        heard = client.ai.audio.transcribe(model=STT, file=("call.wav", data, "audio/wav"))
    assert form["RecordingStatus"] == "completed" and audio.getnchannels() == 1
    assert heard.text == "hello there"  # RecordingTrack inbound: only the other party


def test_record_start_stop_saved_webhook_links_to_served_audio(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as (server, client, verifier, rx):
        to = "+13125559203"
        script(server.url, to, "answer")
        call = client.calls.dial(connection_id="conn-1", from_=FROM, to=to, webhook_url=rx.url())
        ccid = call.data.call_control_id  # type: ignore[union-attr]
        rx.wait(2)  # initiated, answered
        client.calls.actions.start_recording(ccid, format="mp3", channels="single")
        client.calls.actions.speak(ccid, payload="Your order has shipped.", voice="female")
        advance(server.url, 3)
        client.calls.actions.stop_recording(ccid)
        hits = rx.wait(5)
        events = [verifier.webhooks.unwrap(h.body.decode(), headers=h.headers) for h in hits]
        saved = next(h.payload for h in hits if h.event_type == "call.recording.saved")
        audio, data = fetch_wav(saved["recording_urls"]["mp3"])
        heard = client.ai.audio.transcribe(model=STT, file=("call.wav", data, "audio/wav"))
        missing = httpx.get(f"{server.url}/_emulator/recordings/not-a-recording.wav")
        wrong_ext = httpx.get(saved["recording_urls"]["mp3"].removesuffix(".mp3") + ".wav")

    assert [e.data.event_type for e in events] == [  # type: ignore[union-attr]
        "call.initiated", "call.answered", "call.speak.started", "call.speak.ended", "call.recording.saved"]
    assert saved["channels"] == "single"
    assert list(saved["recording_urls"]) == ["mp3"] and saved["public_recording_urls"] == saved["recording_urls"]
    assert saved["recording_urls"]["mp3"].startswith(f"{server.url}/_emulator/recordings/")
    assert audio.getnchannels() == 1 and audio.getframerate() == 8000  # an .mp3 URL serves honest WAV
    assert heard.text == "Your order has shipped."
    assert missing.status_code == 404 and wrong_ext.status_code == 404
