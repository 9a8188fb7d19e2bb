"""The calls family's business rules: each rejects with its strict error by default and, with
``business_rules: warn`` for the key, lets the request through with its documented substitute
and an ``x-emulator-warning`` naming the rule."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from emulator.families.calls.rules import RULES
from tests.support.calls import API_KEY, AUTH, Calls, calls_env


@contextmanager
def warned(tmp_path: Path) -> Iterator[Calls]:
    with calls_env(tmp_path) as h:
        r = h.c.put(f"/_emulator/modes/{API_KEY}", json={"business_rules": "warn"})
        assert r.status_code == 200, r.text
        yield h


def command(h: Calls, ccid: str, name: str, body: dict[str, object]) -> tuple[int, str | None, dict[str, object]]:
    method = "PUT" if name == "client_state_update" else "POST"
    r = h.c.request(method, f"/v2/calls/{ccid}/actions/{name}", json=body, headers=AUTH)
    return r.status_code, r.headers.get("x-emulator-warning"), r.json()


def answered(h: Calls, to: str = "+15550009001") -> str:
    ccid = h.dial(to)
    h.rx.wait(2)
    return ccid


def test_every_rule_is_listed_by_the_control_api(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        listed = {r["name"]: r for r in h.c.get("/_emulator/business-rules").json()["data"]}
    for rule in RULES:
        assert listed[rule.name] == rule.dump()


def test_client_state_not_base64(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h)
        status, warning, body = command(h, ccid, "client_state_update", {"client_state": "not base64!"})
        assert (status, warning) == (422, None) and body["errors"][0]["source"]["pointer"] == "/client_state"  # type: ignore[index]
    with warned(tmp_path / "w") as h:
        ccid = answered(h)
        status, warning, _ = command(h, ccid, "client_state_update", {"client_state": "string"})
        assert (status, warning) == (200, "calls.client_state_base64")
        h.action(ccid, "hangup")
        hangup = [x for x in h.rx.settle() if x.event_type == "call.hangup"][0]
        assert hangup.payload["client_state"] == "string"  # kept as given


def test_command_state_stop_without_start(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h)
        status, warning, body = command(h, ccid, "siprec_stop", {})
        assert (status, warning, body["errors"][0]["code"]) == (422, None, "90033")  # type: ignore[index]
        status, _, body = command(h, ccid, "fork_stop", {})
        assert (status, body["errors"][0]["code"]) == (422, "90031")  # type: ignore[index]
    with warned(tmp_path / "w") as h:
        ccid = answered(h)
        for name in ("siprec_stop", "fork_stop", "record_stop", "leave_queue", "ai_assistant_stop"):
            status, warning, body = command(h, ccid, name, {})
            assert (status, warning, body) == (200, "calls.command_state", {"data": {"result": "ok"}}), name
        assert [x.event_type for x in h.rx.settle()] == ["call.initiated", "call.answered"]  # nothing happened
        h.action(ccid, "hangup")
        status, _, body = command(h, ccid, "siprec_stop", {})
        assert (status, body["errors"][0]["code"]) == (422, "90018")  # type: ignore[index]  # an ended call stays ended


def test_dtmf_digits_sends_the_valid_ones(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h)
        status, _, body = command(h, ccid, "send_dtmf", {"digits": "12x#"})
        assert (status, body["errors"][0]["code"]) == (422, "90014")  # type: ignore[index]
    with warned(tmp_path / "w") as h:
        a, b = answered(h, "+15550009002"), h.dial("+15550009003")
        h.rx.wait(4)
        h.action(a, "bridge", {"call_control_id": b})
        assert command(h, a, "send_dtmf", {"digits": "12x#"})[:2] == (200, "calls.dtmf_digits")
        pressed = [x.payload["digit"] for x in h.rx.settle() if x.event_type == "call.dtmf.received" and x.payload["call_control_id"] == b]
        assert pressed == ["1", "2", "#"]  # the bridged leg hears only the valid tones


def test_positive_integers_fall_back_to_defaults(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h)
        status, _, body = command(h, ccid, "enqueue", {"queue_name": "q", "max_size": 0})
        assert (status, body["errors"][0]["source"]["pointer"]) == (422, "/max_size")  # type: ignore[index]
    with warned(tmp_path / "w") as h:
        ccid = answered(h)
        assert command(h, ccid, "enqueue", {"queue_name": "q", "max_size": 0})[:2] == (200, "calls.positive_integers")
        r = h.c.post("/v2/calls", json={"connection_id": "c", "from": "+1555", "to": "+1666", "timeout_secs": 0}, headers=AUTH)
        assert r.status_code == 200 and r.headers["x-emulator-warning"] == "calls.positive_integers"


def test_supervisor_role_on_an_unjoined_call_is_recorded(tmp_path: Path) -> None:
    with warned(tmp_path) as h:
        ccid = answered(h)
        status, warning, _ = command(h, ccid, "switch_supervisor_role", {"role": "monitor"})
        assert (status, warning) == (200, "calls.supervisor_not_bridged")


def test_ai_gather_without_parameters_and_join_of_an_unknown_conversation(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h)
        status, _, body = command(h, ccid, "gather_using_ai", {"parameters": {}})
        assert (status, body["errors"][0]["source"]["pointer"]) == (422, "/parameters")  # type: ignore[index]
    with warned(tmp_path / "w") as h:
        ccid = answered(h)
        status, warning, body = command(h, ccid, "gather_using_ai", {"parameters": {}})
        assert (status, warning) == (200, "calls.ai_gather_parameters") and body["data"]["conversation_id"]  # type: ignore[index]
        h.advance(15)
        ended = [x for x in h.rx.settle() if x.event_type == "call.ai_gather.ended"]
        assert len(ended) == 1 and ended[0].payload["result"] == {}
        join: dict[str, object] = {"conversation_id": "conv-1", "participant": {"id": "p", "role": "user"}}
        status, warning, body = command(h, ccid, "ai_assistant_join", join)
        assert (status, warning) == (200, "calls.unknown_conversation")
        assert len(body["data"]["conversation_id"]) == 36  # type: ignore[index]
