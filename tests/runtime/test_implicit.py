"""Implicit resources (``runtime/implicit.py``) and per-key modes (``core/modes.py``), on the
generic CRUD fallback's collections: an unknown id becomes a stored, deterministic record."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from emulator.app import create_app
from tests.conftest import make_settings

LENIENT = {"Authorization": "Bearer lenient-key"}
STRICT = {"Authorization": "Bearer strict-key"}


def _client(tmp_path: Path, **settings: object) -> TestClient:
    return TestClient(create_app(make_settings(tmp_path, **settings)), raise_server_exceptions=False)


def test_an_unknown_id_becomes_a_stored_record_that_then_behaves_statefully(tmp_path: Path) -> None:
    with _client(tmp_path, unknown_ids="create") as c:
        first = c.get("/v2/ai/mcp_servers/mcp_server_id", headers=LENIENT)
        assert first.status_code == 200, first.text
        assert first.headers["x-emulator-implicit"] == "mcp server"
        record = first.json()
        assert record["id"] == "mcp_server_id"
        again = c.get("/v2/ai/mcp_servers/mcp_server_id", headers=LENIENT)
        assert again.json() == record and "x-emulator-implicit" not in again.headers  # stored, not re-made
        listed = c.get("/v2/ai/mcp_servers", headers=LENIENT).json()
        assert [item["id"] for item in listed] == ["mcp_server_id"]  # the document's list is a bare array  # lists show what exists
        updated = c.put("/v2/ai/mcp_servers/mcp_server_id", headers=LENIENT, json={"name": "renamed"})
        assert updated.status_code == 200 and updated.json()["name"] == "renamed"
        assert c.get("/v2/ai/mcp_servers/mcp_server_id", headers=LENIENT).json()["name"] == "renamed"
        assert c.delete("/v2/ai/mcp_servers/mcp_server_id", headers=LENIENT).status_code < 300
        gone = c.get("/v2/ai/mcp_servers/mcp_server_id", headers=LENIENT)
        assert gone.status_code == 404  # a deleted id stays deleted
        assert c.get("/v2/ai/mcp_servers", headers=LENIENT).json() == []
        journal = c.get("/_emulator/journal").json()["data"]
        assert [e["implicit"] for e in journal if e["implicit"]] == ["mcp server"]


def test_the_implicit_record_is_the_same_every_run(tmp_path: Path) -> None:
    bodies = []
    for run in range(2):
        with _client(tmp_path / str(run), unknown_ids="create", clock_start="2026-01-01T00:00:00Z", clock_frozen=True) as c:
            bodies.append(c.get("/v2/ai/mcp_servers/abc", headers=LENIENT).json())
    assert bodies[0] == bodies[1]  # seeded by the id: the same bytes every run


def test_nested_ids_create_their_parents(tmp_path: Path) -> None:
    with _client(tmp_path, lenient=True) as c:
        r = c.get("/v2/ai/missions/mission_id/tools/tool_id", headers=LENIENT)
        assert r.status_code == 200, r.text
        assert r.headers["x-emulator-implicit"].split(", ")[-1] == "tool"
        assert r.json()["id"] == "tool_id"


def test_strict_is_the_default_and_modes_are_per_key(tmp_path: Path) -> None:
    with _client(tmp_path) as c:
        assert c.get("/v2/ai/mcp_servers/nope", headers=STRICT).status_code == 404
        assert c.get("/_emulator/modes").json()["default"]["mode"] == "strict"
        set_ = c.put("/_emulator/modes/lenient-key", json={"lenient": True})
        assert set_.status_code == 200 and set_.json()["mode"] == "lenient"
        assert c.get("/v2/ai/mcp_servers/nope", headers=LENIENT).status_code == 200
        assert c.get("/v2/ai/mcp_servers/nope", headers=STRICT).status_code == 404  # the other key is untouched
        assert c.get("/_emulator/modes").json()["keys"]["lenient-key"]["unknown_ids"] == "create"
        bad = c.put("/_emulator/modes/lenient-key", json={"lenient": True, "unknown_id": "create"})
        assert bad.status_code == 422 and "unknown_id" in bad.text
        assert c.put("/_emulator/modes/k", json={"business_rules": "maybe"}).status_code == 422
        assert c.delete("/_emulator/modes/lenient-key").status_code == 204
        assert c.get("/v2/ai/mcp_servers/other", headers=LENIENT).status_code == 404
        assert c.delete("/_emulator/modes/lenient-key").status_code == 404


def test_placeholder_ids_pass_path_validation_only_in_the_create_mode(tmp_path: Path) -> None:
    """``mission_id`` is declared ``format: uuid``: SDK tests send the parameter's own name."""
    with _client(tmp_path) as c:
        strict = c.get("/v2/ai/missions/mission_id", headers=STRICT)
        assert strict.status_code == 422 and "mission_id" in strict.text  # the document's rule, strict mode
        c.put("/_emulator/modes/lenient-key", json={"unknown_ids": "create"})
        for prefix in ("/v2", ""):  # the SDK's base_url with /v2, and the bare form its tests use
            lenient = c.get(f"{prefix}/ai/missions/mission_id", headers=LENIENT)
            assert lenient.status_code == 200, lenient.text


def test_an_implicit_record_gets_no_invented_urls(tmp_path: Path) -> None:
    """A made-up webhook or failover URL would send webhooks to a host nobody gave."""
    with _client(tmp_path, lenient=True) as c:
        r = c.get("/v2/call_control_applications/1293384261075731499", headers=LENIENT)
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        assert data["id"] == "1293384261075731499"
        assert data.get("webhook_event_failover_url") in (None, "")
