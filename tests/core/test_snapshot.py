"""Snapshots keep their meaning across refactors: stores are keyed by a stable ``snapshot_name``,
and a snapshot taken before the families moved (keys were ``module:Class`` paths then) still
restores, to exactly the state it held."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.snapshot import StoreNames
from emulator.families import FAMILIES
from tests.conftest import make_settings

DATA = Path(__file__).parent / "data"
OLD_SNAPSHOT = DATA / "snapshot-v1-before-families.json"
"""Taken with the tree as it was before the move (one tenant ``snap-key`` touching every store)."""
RESTORED_VIEW = DATA / "snapshot-v1-before-families.restored.json"
"""What the API and the control API showed after restoring it, on that same tree."""

AUTH = {"Authorization": "Bearer snap-key"}


def _view(c: TestClient) -> dict[str, Any]:
    """The same reads the expected view was recorded with."""
    return {
        "assistants": c.get("/v2/ai/assistants", headers=AUTH).json(),
        "conversations": c.get("/v2/ai/conversations", headers=AUTH).json(),
        "insights": c.get("/v2/ai/conversations/insights", headers=AUTH).json(),
        "calls": c.get("/_emulator/calls", params={"api_key": "snap-key"}).json(),
        "ft": c.get("/v2/ai/fine_tuning/jobs", headers=AUTH).json(),
        "missions": c.get("/v2/ai/missions", headers=AUTH).json(),
        "tools": c.get("/v2/ai/tools", headers=AUTH).json(),
        "rules": c.get("/_emulator/rules").json(),
        "transcripts": c.get("/_emulator/transcripts", params={"api_key": "snap-key"}).json(),
        "buckets": c.get("/_emulator/buckets", params={"api_key": "snap-key"}).json(),
    }


def test_a_snapshot_taken_before_the_move_restores_to_the_same_state(tmp_path: Path) -> None:
    old = json.loads(OLD_SNAPSHOT.read_text())
    assert all(":" in key for key in old["tenants"]["snap-key"]), "the fixture must use the old module:Class keys"
    with TestClient(create_app(make_settings(tmp_path, seed=7))) as c:
        r = c.post("/_emulator/restore", json=old)
        assert r.status_code == 200, r.text
        assert r.json()["restored"]["snap-key"] == sorted([
            "assistants", "buckets", "call_conversations", "calls", "clusters", "conversations", "embeddings",
            "fine_tuning_jobs", "generic", "insights", "stt_reports", "synthesized_audio", "transcript_scripts", "transcription_log",
        ])
        assert sorted(r.json()["services"]) == ["calls", "llm", "webhooks"]
        assert _view(c) == json.loads(RESTORED_VIEW.read_text())


def test_new_snapshots_use_stable_names_and_round_trip(tmp_path: Path) -> None:
    old = json.loads(OLD_SNAPSHOT.read_text())
    with TestClient(create_app(make_settings(tmp_path, seed=7))) as c:
        assert c.post("/_emulator/restore", json=old).status_code == 200
        before = _view(c)
        snap = c.get("/_emulator/snapshot").json()
        assert not [k for k in snap["tenants"]["snap-key"] if ":" in k], "stores are keyed by snapshot_name, not module paths"
        assert snap["skipped"] == []
        c.post("/_emulator/reset")
        assert c.get("/v2/ai/assistants", headers=AUTH).json()["data"] == []
        assert c.post("/_emulator/restore", json=snap).status_code == 200
        assert _view(c) == before


def test_every_declared_store_names_itself_once() -> None:
    stores = [store for family in FAMILIES for store in family.stores]
    assert stores and all(isinstance(getattr(s, "snapshot_name", None), str) for s in stores)
    names = StoreNames(stores)  # raises on a missing or duplicated name
    assert {names.by_name[s.snapshot_name] for s in stores} == set(stores)


def test_an_unknown_store_name_is_refused_naming_it(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as c:
        r = c.post("/_emulator/restore", json={"tenants": {"k": {"no_such_store": {}}}})
        assert r.status_code == 422
        error = r.json()["errors"][0]
        assert error["source"]["pointer"] == "/tenants/k/no_such_store" and "unknown store 'no_such_store'" in error["detail"]
