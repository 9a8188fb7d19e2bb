"""DTMF gathers: digits per webhook, every end status, retries with invalid prompts, timeouts on
the emulator clock."""

from __future__ import annotations

from pathlib import Path

from tests.support.calls import Calls, calls_env


def answered(h: Calls, *steps: object, to: str = "+15550001000") -> str:
    if steps:
        h.script(to, "answer", *steps)
    ccid = h.dial(to)
    h.rx.wait(2)
    return ccid


def ended(h: Calls, n: int) -> dict:
    hits = h.rx.wait(n)
    h.verify(hits)
    assert hits[n - 1].event_type == "call.gather.ended"
    return hits[n - 1].payload


def test_scripted_digits_with_terminator(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "press 1234#")
        h.action(ccid, "gather", {"maximum_digits": 10, "terminating_digit": "#"})
        hits = h.rx.wait(8)
        assert h.types(hits)[2:] == ["call.dtmf.received"] * 5 + ["call.gather.ended"]
        assert "".join(x.payload["digit"] for x in hits[2:7]) == "1234#"
        assert hits[7].payload["digits"] == "1234" and hits[7].payload["status"] == "valid"


def test_maximum_digits_ends_the_gather(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "press 98765")
        h.action(ccid, "gather", {"maximum_digits": 3})
        hits = h.rx.settle()
        # the party keeps pressing, but the gather ended at its third digit
        assert h.types(hits)[2:] == ["call.dtmf.received"] * 3 + ["call.gather.ended"] + ["call.dtmf.received"] * 2
        assert hits[5].payload["digits"] == "987" and hits[5].payload["status"] == "valid"


def test_invalid_digit_and_too_few_digits(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "press 19#", "press 1#")
        h.action(ccid, "gather", {"valid_digits": "123", "maximum_digits": 4})
        first = ended(h, 6)
        assert (first["digits"], first["status"]) == ("19", "invalid")
        h.action(ccid, "gather", {"minimum_digits": 2, "maximum_digits": 4})
        last = ended(h, 9)
        assert (last["digits"], last["status"]) == ("1", "invalid")


def test_timeouts_follow_the_emulator_clock(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "silence", {"action": "dtmf", "digits": "12", "after": 1})
        h.action(ccid, "gather", {"initial_timeout_millis": 3000})
        h.advance(2.9)
        assert len(h.rx.settle()) == 2
        h.advance(0.1)
        first = ended(h, 3)
        assert (first["digits"], first["status"]) == ("", "timeout")
        # digits then silence: the inter-digit timeout closes the gather with what came in
        h.action(ccid, "gather", {"inter_digit_timeout_millis": 2000, "maximum_digits": 5})
        h.advance(1)
        assert h.types(h.rx.settle())[3:] == ["call.dtmf.received"] * 2
        h.advance(2)
        second = ended(h, 6)
        assert (second["digits"], second["status"]) == ("12", "valid")


def test_gather_stop_and_hangup_end_the_gather(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "silence", "silence")
        h.action(ccid, "gather", {})
        h.action(ccid, "gather_stop", {})
        assert ended(h, 3)["status"] == "cancelled"
        h.action(ccid, "gather", {})
        h.action(ccid, "hangup", {})
        hits = h.rx.wait(5)
        assert h.types(hits)[3:] == ["call.gather.ended", "call.hangup"]
        assert hits[3].payload["status"] == "call_hangup"


def test_unscripted_party_satisfies_the_gather(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h)
        h.action(ccid, "gather", {"minimum_digits": 3, "maximum_digits": 3, "valid_digits": "0123456789"})
        payload = ended(h, 6)
        assert (payload["digits"], payload["status"]) == ("123", "valid")


def test_control_api_presses_digits_live(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "silence")
        h.action(ccid, "gather", {"maximum_digits": 2})
        h.admin(f"/calls/{ccid}/dtmf", {"digits": "7"})
        h.admin(f"/calls/{ccid}/dtmf", {"digits": "3"})
        payload = ended(h, 5)
        assert (payload["digits"], payload["status"]) == ("73", "valid")


def test_gather_using_speak_retries_with_invalid_prompt(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "press 9", "press 2")
        body = {"payload": "Press one or two", "invalid_payload": "Sorry.", "voice": "female", "valid_digits": "12", "maximum_digits": 1, "maximum_tries": 3}
        h.action(ccid, "gather_using_speak", body)
        h.advance(10)
        hits = h.rx.wait(9)
        h.verify(hits)
        assert h.types(hits)[2:] == [
            "call.speak.started",
            "call.speak.ended",
            "call.dtmf.received",
            "call.speak.started",  # the invalid prompt, then the prompt again
            "call.speak.ended",
            "call.dtmf.received",
            "call.gather.ended",
        ]
        assert [x.payload["digit"] for x in hits if x.event_type == "call.dtmf.received"] == ["9", "2"]
        assert (hits[8].payload["digits"], hits[8].payload["status"]) == ("2", "valid")


def test_gather_using_audio_gives_up_after_maximum_tries(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "silence", "silence")
        h.action(ccid, "gather_using_audio", {"audio_url": "https://example.com/menu.mp3", "maximum_tries": 2, "timeout_millis": 5000})
        for _ in range(4):
            h.advance(4)
        hits = h.rx.wait(7)
        assert h.types(hits)[2:] == ["call.playback.started", "call.playback.ended"] * 2 + ["call.gather.ended"]
        assert hits[2].payload["media_url"] == "https://example.com/menu.mp3"
        assert hits[6].payload["status"] == "timeout"


def test_digit_interrupts_the_prompt(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "silence")
        h.action(ccid, "gather_using_speak", {"payload": "a long menu of many options to choose from", "voice": "female", "maximum_digits": 1})
        h.admin(f"/calls/{ccid}/dtmf", {"digits": "5"})
        hits = h.rx.wait(6)
        assert h.types(hits)[2:] == ["call.speak.started", "call.dtmf.received", "call.speak.ended", "call.gather.ended"]
        assert hits[5].payload["digits"] == "5"


def test_bad_gather_options_are_rejected_without_side_effects(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h)
        err = h.action(ccid, "gather", {"minimum_digits": 5, "maximum_digits": 2}, expect=422)
        assert err["errors"][0]["source"] == {"pointer": "/minimum_digits"}
        err = h.action(ccid, "gather_using_speak", {"voice": "female"}, expect=422)
        assert err["errors"][0]["source"]["pointer"] == "/payload"
        assert len(h.rx.settle()) == 2
