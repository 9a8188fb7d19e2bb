"""clock, faults, snapshot, modes against a live emulator."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from emulator.ctl.state import parse_duration
from tests.ctl.conftest import API_KEY, Live, Run, out_json, write


def test_clock_advance_set_freeze(live: Live, ctl: Run) -> None:
    before = live.admin("GET", "/clock")["epoch"]
    assert out_json(ctl("clock", "advance", "1h30m", "--json"))["epoch"] == pytest.approx(before + 5400, abs=0.5)
    assert "2030-01-01T09:00:00.000Z" in ctl("clock", "set", "2030-01-01T09:00:00Z").stdout
    assert live.admin("GET", "/clock")["now"] == "2030-01-01T09:00:00.000Z"  # frozen: it stays there
    ctl("clock", "freeze", "--off")
    assert live.admin("GET", "/clock")["frozen"] is False
    assert "│ frozen         │ yes" in ctl("clock", "freeze").stdout
    assert live.admin("GET", "/clock")["frozen"] is True
    assert out_json(ctl("clock", "show", "--json"))["now"].startswith("2030-01-01T09:00")
    assert "2030-01-01T09:00:00" in ctl("clock", "set", "1893488400", "--no-freeze").stdout  # Unix seconds work too
    assert live.admin("GET", "/clock")["frozen"] is False


def test_clock_advance_fires_due_timers(live: Live, ctl: Run) -> None:
    call = live.dial(ringing=False)  # the other party answers after a few seconds of ringing
    live.admin("POST", f"/calls/{call}/hangup")
    ctl("clock", "advance", "2m")
    assert live.admin("GET", f"/calls/{call}")["data"]["state"] == "ended"
    assert "not a duration: 'soon'" in ctl("clock", "advance", "soon", code=2).stderr
    assert "422" in ctl("clock", "set", "2030-01-01T09:00:00", code=1).stderr  # no zone: the emulator says why


def test_parse_duration() -> None:
    assert [parse_duration(v) for v in ("90", "1.5", "30s", "5m", "1h30m", "2d", "250ms")] == [90, 1.5, 30, 300, 5400, 172800, 0.25]


def test_faults_add_list_clear(live: Live, ctl: Run) -> None:
    out = ctl("faults", "add", "--operation", "create_new_assistant_public_assistants_post", "--status", "503", "--code", "10007", "--id", "down", "--forever").stdout
    assert "down" in out and "operation_id=create_new_assistant_public_assistants_post" in out and "503 code 10007" in out and "forever" in out
    r = httpx.post(f"{live.url}/v2/ai/assistants", json={"name": "a", "model": "openai/gpt-4o", "instructions": "hi"}, headers={"Authorization": f"Bearer {API_KEY}"})
    assert r.status_code == 503 and r.json()["errors"][0]["code"] == "10007"
    [rule] = out_json(ctl("faults", "list", "--json"))["data"]
    assert rule["id"] == "down" and rule["fired"] == 1 and rule["remaining"] is None
    assert "down" in ctl("faults", "list").stdout
    ctl("faults", "add", "--rule", '{"match": {"path": "/ai/chat/completions"}, "transport": "reset"}', "--times", "2")
    assert len(live.admin("GET", "/faults")["data"]) == 2
    assert "deleted 1 fault rule(s)" in ctl("faults", "clear", "down").stdout
    assert [r["times"] for r in live.admin("GET", "/faults")["data"]] == [2]
    assert "deleted 1 fault rule(s)" in ctl("faults", "clear").stdout
    assert live.admin("GET", "/faults")["data"] == []
    assert "no fault rules" in ctl("faults", "list").stdout


def test_faults_from_a_file_are_all_or_nothing(live: Live, ctl: Run, tmp_path: Path) -> None:
    rules = write(tmp_path / "rules.json", [{"match": {"method": "GET"}, "delay": 10}, {"status": 99}])
    err = ctl("faults", "add", "--file", str(rules), code=1).stderr
    assert "422" in err and "[1]" in err and "/1/status" in err
    assert live.admin("GET", "/faults")["data"] == []
    write(rules, [{"match": {"method": "GET"}, "delay": 10}, {"match": {"method": "POST"}, "status": 500}])
    assert len(out_json(ctl("--json", "faults", "add", "--file", str(rules)))["data"]) == 2
    assert len(live.admin("GET", "/faults")["data"]) == 2


def test_snapshot_save_and_load_round_trip(live: Live, ctl: Run, tmp_path: Path) -> None:
    call = live.inbound()
    file = tmp_path / "snap.json"
    assert f"to {file}" in ctl("snapshot", "save", str(file)).stdout
    assert call in json.dumps(json.loads(file.read_text())["tenants"][API_KEY])
    live.admin("POST", "/reset")
    assert live.admin("GET", "/calls")["data"] == []
    assert "restored 1 API key(s)" in ctl("snapshot", "load", str(file)).stdout
    assert [c["call_control_id"] for c in live.admin("GET", "/calls")["data"]] == [call]
    assert json.loads(ctl("snapshot", "save", "-").stdout)["format"] == "telnyx-emulator-snapshot"
    write(file, {"format": "something-else"})
    assert "422" in ctl("snapshot", "load", str(file), code=1).stderr
    assert [c["call_control_id"] for c in live.admin("GET", "/calls")["data"]] == [call]  # all or nothing
    assert "cannot read" in ctl("snapshot", "load", str(tmp_path / "missing.json"), code=2).stderr


def test_modes_set_list_clear(live: Live, ctl: Run) -> None:
    assert "ctl-key: lenient (unknown ids: create, business rules: warn)" in ctl("modes", "set", API_KEY, "--lenient").stdout
    assert live.admin("GET", "/modes")["keys"][API_KEY]["mode"] == "lenient"
    r = httpx.get(f"{live.url}/v2/ai/assistants/assistant-never-made", headers={"Authorization": f"Bearer {API_KEY}"})
    assert r.status_code == 200 and r.headers["x-emulator-implicit"]
    listed = ctl("modes", "list").stdout
    assert "(default)" in listed and "strict" in listed and API_KEY in listed
    assert out_json(ctl("modes", "set", API_KEY, "--strict", "--json"))["mode"] == "strict"
    ctl("modes", "set", API_KEY, "--unknown-ids", "create")
    mode = live.admin("GET", "/modes")["keys"][API_KEY]
    assert (mode["unknown_ids"], mode["business_rules"]) == ("create", "enforce")
    assert "back to the default" in ctl("modes", "clear", API_KEY).stdout
    assert live.admin("GET", "/modes")["keys"] == {}
    assert "404" in ctl("modes", "clear", API_KEY, code=1).stderr
    assert "422" in ctl("modes", "set", API_KEY, "--business-rules", "sometimes", code=1).stderr
    assert "--lenient or --strict" in ctl("modes", "set", API_KEY, code=2).stderr
