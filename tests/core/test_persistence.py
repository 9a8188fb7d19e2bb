"""Persistence: with ``persist`` on, a restarted emulator keeps its state (SQLite in state_dir)."""

from __future__ import annotations

import sqlite3
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import telnyx
from starlette.testclient import TestClient

from emulator.app import create_app
from tests.conftest import AUTH, LiveServer, make_settings

DIAL = {"connection_id": "conn-1", "to": "+15555550100", "from": "+15555550101"}


class NotesStore:
    def __init__(self) -> None:
        self.notes: list[str] = []

    def dump(self) -> dict[str, Any]:
        return {"notes": list(self.notes)}

    @classmethod
    def load(cls, data: dict[str, Any]) -> NotesStore:
        store = cls()
        store.notes = [str(n) for n in data["notes"]]
        return store


@pytest.fixture(autouse=True)
def store_module() -> Iterator[None]:
    module = types.ModuleType("emulator._test_persist_stores")
    NotesStore.__module__ = module.__name__
    module.NotesStore = NotesStore  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    yield
    del sys.modules[module.__name__]


def test_state_survives_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, persist=True)
    with TestClient(create_app(settings)) as c:
        c.app.state.emulator.state.tenant("key-a").store(NotesStore).notes.append("remember me")  # type: ignore[attr-defined]
    # Shutdown saved it; a new emulator on the same state dir loads it before any request.
    with TestClient(create_app(settings)) as c:
        state = c.app.state.emulator.state  # type: ignore[attr-defined]
        assert "key-a" in state.tenants
        assert state.tenant("key-a").store(NotesStore).notes == ["remember me"]
    # Without persist the same directory is ignored.
    with TestClient(create_app(make_settings(tmp_path))) as c:
        assert c.app.state.emulator.state.tenants == {}  # type: ignore[attr-defined]


def test_writes_are_saved_debounced_without_shutdown(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, persist=True, persist_debounce=0.05))) as c:
        persistence = c.app.state.emulator.services.persistence  # type: ignore[attr-defined]
        for _ in range(3):
            assert c.post("/v2/calls", json=DIAL, headers=AUTH).status_code == 200
        c.get("/v2/ai/assistants", headers=AUTH)  # reads never trigger a save
        deadline = time.monotonic() + 2
        while persistence.saves == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert persistence.saves == 1  # three writes in a burst cost one save
        assert (tmp_path / "state" / "state.sqlite3").exists()


def test_corrupt_state_file_is_a_startup_error_naming_it(tmp_path: Path) -> None:
    db = tmp_path / "state" / "state.sqlite3"
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE snapshot (id INTEGER PRIMARY KEY, saved_at REAL, data TEXT)")
        conn.execute("INSERT INTO snapshot VALUES (1, 0, '{\"tenants\": {\"k\": {\"os:system\": {}}}}')")
    with pytest.raises(ValueError, match="state.sqlite3"):
        create_app(make_settings(tmp_path, persist=True))


def test_assistant_created_with_the_sdk_survives_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, persist=True)
    with LiveServer(create_app(settings)) as server:
        assert _generic_store_loads(server)
        client = telnyx.Telnyx(api_key="test-key", base_url=server.url + "/v2", _strict_response_validation=True, max_retries=0)
        created = client.ai.assistants.create(name="Persistent", model="meta-llama/Meta-Llama-3.1-8B-Instruct", instructions="Stay")
    with LiveServer(create_app(settings)) as server:
        client = telnyx.Telnyx(api_key="test-key", base_url=server.url + "/v2", _strict_response_validation=True, max_retries=0)
        again = client.ai.assistants.retrieve(created.id)
        assert again.name == "Persistent" and again.instructions == "Stay"


def _generic_store_loads(server: LiveServer) -> bool:
    """True when the store that keeps assistants has ``load`` (the snapshot protocol)."""
    import httpx  # noqa: PLC0415

    from emulator.core.snapshot import take  # noqa: PLC0415

    emulator = server.app.state.emulator
    httpx.post(f"{server.url}/v2/ai/assistants", json={"name": "probe", "model": "m", "instructions": "x"}, headers={"Authorization": "Bearer probe-key"})
    snap = take(emulator.state)
    emulator.state.reset("probe-key")
    return bool(snap["tenants"].get("probe-key")) and not [s for s in snap["skipped"] if s["tenant"] == "probe-key"]
