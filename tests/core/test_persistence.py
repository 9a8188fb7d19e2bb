"""Persistence: with ``persist`` on, a restarted emulator keeps its state (SQLite in state_dir):
every acknowledged write, even through ``kill -9``; ids never handed out twice; private files;
one tenant that cannot be saved does not stop the others."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import telnyx
from starlette.testclient import TestClient

from emulator.app import create_app
from tests.conftest import AUTH, LiveServer, free_port, make_settings

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


# -- durability: acknowledged writes survive kill -9, ids are never handed out twice -------------

ASSISTANT = {"name": "durable", "model": "meta-llama/Meta-Llama-3.1-8B-Instruct", "instructions": "Stay"}
MCP = {"name": "durable", "type": "sse", "url": "https://example.com/mcp"}
REPO = Path(__file__).resolve().parents[2]


class Served:
    """``python -m emulator serve --persist`` in a subprocess, so it can be killed with SIGKILL."""

    def __init__(self, state_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "emulator", "serve", "--persist", "--state-dir", str(state_dir), "--port", str(self.port), "--log-level", "warning"]
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/_emulator/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise AssertionError("the emulator did not start")
            time.sleep(0.1)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


def _create(client: httpx.Client, key: str, n: int, acked: dict[str, str]) -> None:
    for i in range(n):
        path, body = ("/v2/ai/assistants", ASSISTANT) if i % 2 else ("/v2/ai/mcp_servers", MCP)
        r = client.post(path, json=body, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200, r.text
        acked[r.json()["id"]] = f"{key} {path}"


def _load_until_killed(url: str, acked: dict[str, str], started: threading.Event) -> None:
    """Create as fast as possible; every id seen in a 2xx answer is an acknowledged write."""
    with httpx.Client(base_url=url, timeout=5) as client:
        try:
            while True:
                _create(client, "k-load", 2, acked)
                started.set()
        except httpx.HTTPError:  # the server was killed
            started.set()


def _assert_all_readable(url: str, acked: dict[str, str]) -> None:
    with httpx.Client(base_url=url, timeout=5) as client:
        missing = []
        for record_id, where in acked.items():
            key, path = where.split(" ")
            if client.get(f"{path}/{record_id}", headers={"Authorization": f"Bearer {key}"}).status_code != 200:
                missing.append(where + " " + record_id)
        assert not missing, f"{len(missing)} of {len(acked)} acknowledged creates lost: {missing[:5]}"


def test_acknowledged_creates_survive_kill_9_and_restarts_never_reuse_an_id(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    acked: dict[str, str] = {}
    for cycle in range(3):
        server = Served(state_dir)
        try:
            _assert_all_readable(server.url, acked)  # everything acknowledged before the kill is back
            fresh: dict[str, str] = {}
            with httpx.Client(base_url=server.url, timeout=5) as client:
                _create(client, "k1", 10, fresh)
                _create(client, "k2", 10, fresh)
            reused = sorted(set(fresh) & set(acked))
            assert not reused, f"restart {cycle}: ids handed out again: {reused}"
            acked.update(fresh)
            # kill -9 in the middle of a stream of creates: what was answered must be on disk.
            started = threading.Event()
            loader = threading.Thread(target=_load_until_killed, args=(server.url, acked, started), daemon=True)
            loader.start()
            assert started.wait(10)
            time.sleep(0.3)
        finally:
            server.kill()
        loader.join(10)
    assert len(acked) > 60
    server = Served(state_dir)
    try:
        _assert_all_readable(server.url, acked)
    finally:
        server.kill()


def _assistant_ids(settings_dir: Path, **overrides: Any) -> list[str]:
    with TestClient(create_app(make_settings(settings_dir, seed=7, **overrides))) as c:
        return [c.post("/v2/ai/assistants", json=ASSISTANT, headers=AUTH).json()["id"] for _ in range(3)]


def test_same_seed_same_ids_without_persist_and_on_a_fresh_state_file(tmp_path: Path) -> None:
    plain = _assistant_ids(tmp_path / "a")
    assert plain == _assistant_ids(tmp_path / "b")  # determinism: a product promise
    assert _assistant_ids(tmp_path / "c", persist=True) == plain  # the first run of a state file too
    again = _assistant_ids(tmp_path / "c", persist=True)  # a restart continues on a stream of its own
    assert not set(again) & set(plain)


def test_a_write_is_on_disk_before_its_response_arrives(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, persist=True))) as c:
        created = c.post("/v2/ai/assistants", json=ASSISTANT, headers=AUTH).json()
        # Read the file from another connection, while the emulator runs (no shutdown save yet).
        with contextlib.closing(sqlite3.connect(tmp_path / "state" / "state.sqlite3")) as conn:
            [(data,)] = conn.execute("SELECT data FROM tenants WHERE api_key = 'test-key'").fetchall()
        assert created["id"] in bytes(data).decode()
        assert c.get("/_emulator/health").status_code == 200


def test_state_dir_and_files_are_private(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, persist=True))) as c:
        assert c.post("/v2/ai/assistants", json=ASSISTANT, headers=AUTH).status_code == 200
        state_dir = tmp_path / "state"
        files = sorted(p.name for p in state_dir.iterdir() if p.name.startswith("state.sqlite3"))
        assert "state.sqlite3" in files and "state.sqlite3-wal" in files
        assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
        for name in [*files, "signing_key"]:
            assert stat.S_IMODE((state_dir / name).stat().st_mode) == 0o600, name


class PoisonStore:
    """Dumps something JSON cannot hold once ``poisoned`` (a store bug, as seen in the field)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.poisoned = False

    def dump(self) -> dict[str, Any]:
        return {"items": list(self.items), **({"bad": {1, 2}} if self.poisoned else {})}

    @classmethod
    def load(cls, data: dict[str, Any]) -> PoisonStore:
        store = cls()
        store.items = [str(i) for i in data["items"]]
        return store


def test_a_tenant_that_cannot_be_saved_keeps_its_last_state_and_the_others_save(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    module = sys.modules["emulator._test_persist_stores"]
    PoisonStore.__module__ = module.__name__
    module.PoisonStore = PoisonStore  # type: ignore[attr-defined]
    settings = make_settings(tmp_path, persist=True)
    with TestClient(create_app(settings)) as c:
        emulator = c.app.state.emulator  # type: ignore[attr-defined]
        persistence = emulator.services.persistence
        bad = emulator.state.tenant("bad").store(PoisonStore)
        bad.items.append("saved before the bug")
        emulator.state.tenant("good").store(NotesStore).notes.append("one")
        persistence.mark_dirty()
        bad.items.append("never saved")
        bad.poisoned = True
        emulator.state.tenant("good").store(NotesStore).notes.append("two")
        with caplog.at_level(logging.ERROR, logger="emulator.persistence"):
            persistence.mark_dirty()
        assert "'bad' not saved" in caplog.text
        assert persistence.status()["problems"].keys() == {"tenant:bad"}
        assert "PoisonStore" in persistence.status()["problems"]["tenant:bad"]
        # Still broken at shutdown: the file keeps its last good state.
    with TestClient(create_app(settings)) as c:
        state = c.app.state.emulator.state  # type: ignore[attr-defined]
        assert state.tenant("good").store(NotesStore).notes == ["one", "two"]
        assert state.tenant("bad").store(PoisonStore).items == ["saved before the bug"]
