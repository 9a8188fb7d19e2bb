"""The other party's script, step by step: the steps after an input step run once a listener has
taken it (``press 9`` then ``hangup``), a ``wait`` pauses the party on the emulator clock, steps
scripted on a live call reach a gather that is already listening, a scripted party with nothing
left to do stays silent (only an unscripted callee answers by default) — and a triggered
``call.recording.saved`` names a recording the emulator serves.

Official SDK against a real server on a frozen clock; every webhook's signature verified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from emulator.families.calls.model import Step
from emulator.families.calls.store import CallStore
from tests.support.calls import API_KEY, SdkSession, sdk_session

TO = "+13125550700"


def script(s: SdkSession, *steps: str, to: str = TO) -> None:
    r = httpx.post(f"{s.server.url}/_emulator/calls/scripts", json={"to": to, "steps": list(steps), "api_key": API_KEY})
    assert r.status_code == 201, r.text


def control(s: SdkSession, path: str, body: dict[str, Any] | None = None, *, expect: int = 200) -> Any:
    r = httpx.post(f"{s.server.url}/_emulator{path}", json=body or {})
    assert r.status_code == expect, r.text
    return r.json()


def advance(s: SdkSession, seconds: float) -> None:
    control(s, "/clock", {"advance": seconds})


def answered_call(s: SdkSession, to: str = TO) -> str:
    data = s.client.calls.dial(connection_id="conn-1", from_="+13125550001", to=to, webhook_url=s.rx.url()).data
    assert data is not None
    s.rx.wait(2)
    return data.call_control_id


def events(s: SdkSession) -> list[tuple[str, dict[str, Any]]]:
    """Every webhook so far, in order, each signature checked by the SDK's ``unwrap``."""
    hits = s.rx.settle()
    for hit in hits:
        s.verifier.webhooks.unwrap(hit.body.decode(), headers=hit.headers)
    return [(h.event_type, h.payload) for h in hits]


def types(s: SdkSession) -> list[str]:
    return [t for t, _ in events(s)]


def test_hangup_after_a_press_runs_once_the_digit_is_pressed(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        script(s, "answer", "press 9", "hangup")
        ccid = answered_call(s)
        s.client.calls.actions.gather(ccid, maximum_digits=4)  # 9 alone does not end it
        got = events(s)
        assert [t for t, _ in got] == ["call.initiated", "call.answered", "call.dtmf.received", "call.gather.ended", "call.hangup"]
        assert got[2][1]["digit"] == "9"
        assert (got[3][1]["digits"], got[3][1]["status"]) == ("9", "call_hangup")
        assert (got[4][1]["hangup_source"], got[4][1]["hangup_cause"]) == ("callee", "normal_clearing")


def test_hangup_after_a_press_on_a_retrying_prompt(tmp_path: Path) -> None:
    """An invalid press makes the gather prompt again; the party has hung up meanwhile."""
    with sdk_session(tmp_path) as s:
        script(s, "answer", "press 9", "hangup")
        ccid = answered_call(s)
        s.client.calls.actions.gather_using_speak(ccid, payload="Press one or two", voice="female", valid_digits="12", maximum_digits=1)
        advance(s, 1.6)  # the prompt (four words) ends, the gather listens
        got = events(s)
        assert [t for t, _ in got] == [
            "call.initiated", "call.answered",
            "call.speak.started", "call.speak.ended", "call.dtmf.received",
            "call.speak.started",  # the retry's prompt, cut short by the hangup
            "call.speak.ended", "call.gather.ended", "call.hangup",
        ]
        assert got[7][1]["status"] == "call_hangup"


def test_wait_pauses_the_party_on_the_emulator_clock(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        script(s, "answer", "press 9", "press 4", "hangup")
        # ``wait`` steps: inserted as the script holds them (the short form "wait 2" is parsed
        # by control_models.py); the runner treats them the same either way.
        app = s.server.app
        queued = app.state.emulator.state.tenant(API_KEY).store(CallStore).scripts[TO][0]
        queued.steps.insert(1, Step(action="wait", after=2.0))
        queued.steps.insert(3, Step(action="wait", after=3.0))
        ccid = answered_call(s)
        s.client.calls.actions.gather(ccid, maximum_digits=1)
        s.rx.wait(4)  # the press arrives (a timer due now) before the next gather starts
        s.client.calls.actions.gather(ccid, maximum_digits=1, initial_timeout_millis=60000, timeout_millis=60000)
        assert types(s)[2:] == ["call.dtmf.received", "call.gather.ended"]
        advance(s, 1.9)
        assert types(s)[4:] == []  # still pausing: the second gather hears nothing yet
        advance(s, 0.1)
        assert types(s)[4:] == ["call.dtmf.received", "call.gather.ended"]
        got = events(s)
        assert (got[5][1]["digits"], got[5][1]["status"]) == ("4", "valid")
        advance(s, 2.9)
        assert types(s)[6:] == []
        advance(s, 0.1)
        assert types(s)[6:] == ["call.hangup"]


def test_a_live_script_reaches_a_gather_already_listening(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        script(s, "answer")  # scripted, nothing to press yet
        ccid = answered_call(s)
        s.client.calls.actions.gather(ccid, maximum_digits=1, initial_timeout_millis=10000)
        advance(s, 3)
        assert types(s) == ["call.initiated", "call.answered"]  # no default digit
        control(s, f"/calls/{ccid}/script", {"steps": ["press 7", "hangup"]})
        got = events(s)
        assert [t for t, _ in got] == ["call.initiated", "call.answered", "call.dtmf.received", "call.gather.ended", "call.hangup"]
        assert (got[3][1]["digits"], got[3][1]["status"]) == ("7", "valid")


def test_an_empty_script_lets_the_gather_time_out(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        script(s, "answer")
        ccid = answered_call(s)
        s.client.calls.actions.gather(ccid, initial_timeout_millis=3000)
        advance(s, 2.9)
        assert types(s) == ["call.initiated", "call.answered"]
        advance(s, 0.1)
        got = events(s)
        assert [t for t, _ in got] == ["call.initiated", "call.answered", "call.gather.ended"]
        assert (got[2][1]["digits"], got[2][1]["status"]) == ("", "timeout")


def test_a_script_that_ran_out_says_nothing_more(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        script(s, "answer", "press 5")
        ccid = answered_call(s)
        s.client.calls.actions.gather(ccid, maximum_digits=1)
        s.rx.wait(4)
        s.client.calls.actions.gather(ccid, maximum_digits=1, initial_timeout_millis=2000)
        advance(s, 2)
        got = events(s)
        assert [t for t, _ in got][2:] == ["call.dtmf.received", "call.gather.ended", "call.gather.ended"]
        assert [(p["digits"], p["status"]) for t, p in got if t == "call.gather.ended"] == [("5", "valid"), ("", "timeout")]


def test_the_unscripted_callee_still_answers_by_default(tmp_path: Path) -> None:
    """The documented default: a call nobody scripted completes every gather on its own."""
    with sdk_session(tmp_path) as s:
        ccid = answered_call(s, "+13125550799")
        s.client.calls.actions.gather(ccid, minimum_digits=2, maximum_digits=2, valid_digits="0123456789")
        got = events(s)
        assert [t for t, _ in got][2:] == ["call.dtmf.received"] * 2 + ["call.gather.ended"]
        assert (got[4][1]["digits"], got[4][1]["status"]) == ("12", "valid")


def test_triggered_recording_saved_links_to_a_served_recording(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        ccid = answered_call(s)
        s.client.calls.actions.start_recording(ccid, format="wav", channels="dual")
        r = httpx.post(f"{s.server.url}/_emulator/calls/{ccid}/events/call.recording.saved", json={})
        assert r.status_code == 202, r.text
        s.client.calls.actions.stop_recording(ccid)  # the running recording was left running
        got = events(s)
        assert [t for t, _ in got] == ["call.initiated", "call.answered", "call.recording.saved", "call.recording.saved"]
        triggered, real = got[2][1], got[3][1]
        assert triggered["call_control_id"] == ccid and triggered["channels"] == "single"
        assert list(triggered["recording_urls"]) == ["mp3"] and triggered["public_recording_urls"] == triggered["recording_urls"]
        url = triggered["recording_urls"]["mp3"]
        assert url.startswith(f"{s.server.url}/_emulator/recordings/")  # as the app addressed the emulator
        audio = httpx.get(url)
        assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
        assert audio.content[:4] == b"RIFF" and len(audio.content) > 44  # a WAV of silence
        assert real["recording_id"] != triggered["recording_id"] and list(real["recording_urls"]) == ["wav"]
        assert httpx.get(real["recording_urls"]["wav"]).status_code == 200


def test_triggered_recording_saved_keeps_given_urls(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        ccid = answered_call(s)
        given = {"mp3": "https://files.example.com/r.mp3"}
        r = httpx.post(f"{s.server.url}/_emulator/calls/{ccid}/events/call.recording.saved", json={"recording_urls": given})
        assert r.status_code == 202, r.text
        saved = events(s)[2][1]
        assert saved["recording_urls"] == given
        assert saved["public_recording_urls"]["mp3"].startswith(f"{s.server.url}/_emulator/recordings/")


def test_the_wait_short_form_parses_through_the_control_api(client: TestClient) -> None:
    ok = client.post("/_emulator/calls/scripts", json={"to": "+13125550999", "steps": ["answer", "wait 2", "hangup"]})
    assert ok.status_code in (200, 201), ok.text
    steps = ok.json().get("steps") or ok.json().get("data", {}).get("steps")
    assert {"action": "wait", "after": 2.0}.items() <= next(s for s in steps if s["action"] == "wait").items()
    bad = client.post("/_emulator/calls/scripts", json={"to": "+13125550999", "steps": ["wait soon"]})
    assert bad.status_code == 422 and "/steps/0/after" in bad.text
