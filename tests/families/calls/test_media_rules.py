"""Media and gather commands' business rules (``calls/rules.py``): each refuses with its strict
error by default and, with ``business_rules: warn`` for the key, runs its documented substitute
(a built-in silence, a stream or fork to nowhere, the valid digits only, defaults) with its
webhooks and an ``x-emulator-warning`` naming the rule. Also: a gather_using_audio naming no
audio plays the built-in silence in every mode, and a dial's ``webhook_urls`` takes what the
official SDK sends (a list of URLs per event type)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import telnyx

from emulator.families.calls.media import SILENCE_SECONDS
from emulator.families.calls.model import MEDIA_SECONDS
from emulator.families.calls.rules import FORK_TARGET, RULES
from tests.support.calls import API_KEY, AUTH, Calls, calls_env, sdk_session


@contextmanager
def warned(tmp_path: Path) -> Iterator[Calls]:
    with calls_env(tmp_path) as h:
        r = h.c.put(f"/_emulator/modes/{API_KEY}", json={"business_rules": "warn"})
        assert r.status_code == 200, r.text
        yield h


def answered(h: Calls, *steps: object, to: str = "+15550007000") -> str:
    """An answered call whose other party does ``steps`` (none: presses nothing, says nothing)."""
    h.script(to, "answer", *steps, auto=False)
    ccid = h.dial(to)
    h.rx.wait(2)
    return ccid


def command(h: Calls, ccid: str, name: str, body: dict[str, object]) -> tuple[int, str | None, dict[str, object]]:
    r = h.c.post(f"/v2/calls/{ccid}/actions/{name}", json=body, headers=AUTH)
    return r.status_code, r.headers.get("x-emulator-warning"), r.json()


def refused(h: Calls, ccid: str, name: str, body: dict[str, object], code: str, pointer: str) -> None:
    """Strict mode: the rule's 422, and nothing happened on the call."""
    status, warning, answer = command(h, ccid, name, body)
    error = answer["errors"][0]  # type: ignore[index]
    assert (status, warning, error["code"], error["source"]["pointer"]) == (422, None, code, pointer), answer
    assert h.types([x for x in h.rx.settle() if x.payload["call_control_id"] == ccid]) == ["call.initiated", "call.answered"]


def events(h: Calls) -> list[tuple[str, dict[str, object]]]:
    hits = h.rx.settle()
    h.verify(hits)
    return [(x.event_type, x.payload) for x in hits[2:]]


def test_the_rules_are_declared_and_listed(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        listed = {r["name"]: r for r in h.c.get("/_emulator/business-rules").json()["data"]}
    names = {"calls.fork_target", "calls.playback_source", "calls.playback_loop", "calls.stream_url", "calls.valid_digits",
             "calls.terminating_digit", "calls.gather_ranges", "calls.webhook_urls_http"}
    assert names <= {r.name for r in RULES}
    assert {n: listed[n]["real_api"] for n in names} == {n: n == FORK_TARGET.name for n in names}


def test_playback_without_audio_plays_the_built_in_silence(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        refused(h, answered(h), "playback_start", {}, "10004", "/audio_url")
    with warned(tmp_path / "w") as h:
        ccid = answered(h)
        assert command(h, ccid, "playback_start", {})[:2] == (200, "calls.playback_source")
        h.advance(SILENCE_SECONDS)
        got = events(h)
        assert [t for t, _ in got] == ["call.playback.started", "call.playback.ended"]
        assert [(p["media_url"], p["media_name"]) for _, p in got] == [("", ""), ("", "")]
        assert got[1][1]["status"] == "completed"


def test_playback_loop_zero_plays_once(tmp_path: Path) -> None:
    body = {"audio_url": "https://example.com/a.mp3", "loop": 0}
    with calls_env(tmp_path) as h:
        refused(h, answered(h), "playback_start", body, "10033", "/loop")
    with warned(tmp_path / "w") as h:
        ccid = answered(h)
        assert command(h, ccid, "playback_start", body)[:2] == (200, "calls.playback_loop")
        h.advance(MEDIA_SECONDS - 0.5)
        assert [t for t, _ in events(h)] == ["call.playback.started"]
        h.advance(0.5)  # one loop of the file
        got = events(h)
        assert [t for t, _ in got] == ["call.playback.started", "call.playback.ended"]
        assert got[1][1]["media_url"] == "https://example.com/a.mp3" and got[1][1]["status"] == "completed"


def test_streaming_without_a_url_streams_to_nowhere(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        refused(h, answered(h), "streaming_start", {}, "10004", "/stream_url")
    with warned(tmp_path / "w") as h:
        ccid = answered(h)
        assert command(h, ccid, "streaming_start", {})[:2] == (200, "calls.stream_url")
        # the stream counts as running: a second start is the usual 90045 (warn mode: ignored)
        assert command(h, ccid, "streaming_start", {"stream_url": "wss://example.com/s"})[:2] == (200, "calls.command_state")
        assert command(h, ccid, "streaming_stop", {})[:2] == (200, None)
        got = events(h)
        assert [(t, p["stream_url"]) for t, p in got] == [("streaming.started", ""), ("streaming.stopped", "")]
        assert {x.path for x in h.rx.settle(path=None)} == {"/hook"}  # nothing went anywhere else


def test_fork_without_a_target_forks_to_nowhere(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        refused(h, answered(h), "fork_start", {"stream_type": "decrypted"}, "10004", "/target")
    with warned(tmp_path / "w") as h:
        ccid = answered(h)
        assert command(h, ccid, "fork_start", {})[:2] == (200, "calls.fork_target")
        assert command(h, ccid, "fork_stop", {})[:2] == (200, None)
        assert [t for t, _ in events(h)] == ["call.fork.started", "call.fork.stopped"]


@pytest.mark.parametrize("kind", ["gather", "gather_using_audio", "gather_using_speak"])
def test_valid_digits_keeps_only_dtmf_symbols(tmp_path: Path, kind: str) -> None:
    extra: dict[str, object] = {"payload": "Press one or two", "voice": "female"} if kind == "gather_using_speak" else {}
    with calls_env(tmp_path) as h:
        refused(h, answered(h), kind, {"valid_digits": "string", **extra}, "10033", "/valid_digits")
    with warned(tmp_path / "w") as h:
        ccid = answered(h, "press 3")
        body = {"valid_digits": "1x2", "maximum_digits": 1, "maximum_tries": 1, **extra}
        assert command(h, ccid, kind, body)[:2] == (200, "calls.valid_digits")
        h.advance(10)  # past any prompt
        ended = [p for t, p in events(h) if t == "call.gather.ended"]
        assert [(p["digits"], p["status"]) for p in ended] == [("3", "invalid")]  # "1x2" accepts 1 and 2 only


def test_sdk_placeholder_gather_options_take_their_defaults(tmp_path: Path) -> None:
    """What a generated SDK test sends (0 for every integer, "string" for every string)."""
    body = {"minimum_digits": 0, "maximum_digits": 0, "terminating_digit": "string", "valid_digits": "string",
            "timeout_millis": 0, "inter_digit_timeout_millis": 0, "initial_timeout_millis": 0}
    with calls_env(tmp_path) as h:
        refused(h, answered(h), "gather", body, "10033", "/valid_digits")  # the first rule broken
        refused(h, answered(h, to="+15550007001"), "gather", {"minimum_digits": 5, "maximum_digits": 2}, "10033", "/minimum_digits")
    with warned(tmp_path / "w") as h:
        ccid = answered(h, "press 12#")
        status, warning, _ = command(h, ccid, "gather", body)
        assert (status, warning) == (200, "calls.valid_digits, calls.terminating_digit, calls.gather_ranges")
        ended = [p for t, p in events(h) if t == "call.gather.ended"]
        assert [(p["digits"], p["status"]) for p in ended] == [("12", "valid")]  # # ends it: the default terminator


def test_gather_using_audio_without_audio_plays_silence_in_strict_mode(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "press 7")
        assert command(h, ccid, "gather_using_audio", {"maximum_digits": 1})[:2] == (200, None)
        assert [t for t, _ in events(h)] == ["call.playback.started"]
        h.advance(SILENCE_SECONDS)
        got = events(h)
        assert [t for t, _ in got] == ["call.playback.started", "call.playback.ended", "call.dtmf.received", "call.gather.ended"]
        assert got[0][1]["media_url"] == "" and got[1][1]["status"] == "completed"
        assert (got[3][1]["digits"], got[3][1]["status"]) == ("7", "valid")


def test_sdk_dial_with_webhook_url_lists(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        one, two = s.rx.url("/answered-1"), s.rx.url("/answered-2")
        dialled = s.client.calls.dial(
            connection_id="conn-1", from_="+13125550001", to="+13125550501", webhook_url=s.rx.url(), webhook_urls={"call.answered": [one, two]}
        ).data
        assert dialled is not None
        s.rx.wait(1, path="/answered-1")
        s.rx.wait(1, path="/answered-2")
        hits = s.rx.settle(path=None)
        for hit in hits:
            s.verifier.webhooks.unwrap(hit.body.decode(), headers=hit.headers)
        assert sorted((h.path, h.event_type) for h in hits) == [
            ("/answered-1", "call.answered"), ("/answered-2", "call.answered"), ("/hook", "call.initiated"),
        ]
        assert {h.payload["call_control_id"] for h in hits} == {dialled.call_control_id}
        with pytest.raises(telnyx.UnprocessableEntityError) as refusal:
            s.client.calls.dial(connection_id="conn-1", from_="+13125550001", to="+13125550502", webhook_urls={"call.hangup": ["not a uri"]})
        error = refusal.value.body["errors"][0]  # type: ignore[index]
        assert error["source"]["pointer"] == "/webhook_urls/call.hangup" and "webhook_urls" in error["detail"]


def test_webhook_urls_other_than_http_are_dropped_in_warn_mode(tmp_path: Path) -> None:
    body = {"connection_id": "conn-1", "from": "+13125550001", "to": "+15550007100", "webhook_urls": {"call.initiated": "ftp://example.com/x"}}
    with calls_env(tmp_path) as h:
        r = h.c.post("/v2/calls", json={**body, "webhook_url": h.rx.url()}, headers=AUTH)
        assert (r.status_code, r.json()["errors"][0]["source"]["pointer"]) == (422, "/webhook_urls/call.initiated")
        assert h.rx.settle(path=None) == []
    with warned(tmp_path / "w") as h:
        r = h.c.post("/v2/calls", json={**body, "webhook_url": h.rx.url()}, headers=AUTH)
        assert (r.status_code, r.headers.get("x-emulator-warning")) == (200, "calls.webhook_urls_http")
        assert [(x.path, x.event_type) for x in h.rx.wait(1, path=None)] == [("/hook", "call.initiated")]
