"""State control: snapshot/restore, the clock endpoint, determinism, the journal, fixtures."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.runtime.fixtures import FixtureError
from tests.conftest import AUTH, make_settings

DIAL = {"connection_id": "conn-1", "to": "+15555550100", "from": "+15555550101"}


class CounterStore:
    """A snapshot-capable store, as a family would write one."""

    def __init__(self) -> None:
        self.items: dict[str, int] = {}

    def dump(self) -> dict[str, Any]:
        return {"items": dict(self.items)}

    @classmethod
    def load(cls, data: dict[str, Any]) -> CounterStore:
        store = cls()
        store.items = {str(k): int(v) for k, v in data["items"].items()}
        return store


class DumpOnlyStore:
    def dump(self) -> dict[str, Any]:
        return {}


@pytest.fixture(autouse=True)
def test_store_module() -> Iterator[types.ModuleType]:
    """Restore only imports classes under ``emulator.``: register ours there for the test."""
    module = types.ModuleType("emulator._test_snapshot_stores")
    for cls in (CounterStore, DumpOnlyStore):
        cls.__module__ = module.__name__
        setattr(module, cls.__name__, cls)
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path, clock_start="2025-01-01T00:00:00Z", clock_frozen=True))) as c:
        yield c


def emulator_of(client: TestClient) -> Any:
    return client.app.state.emulator  # type: ignore[attr-defined]


# -- snapshot / restore -----------------------------------------------------------------------
def test_snapshot_change_restore_round_trip(client: TestClient) -> None:
    state = emulator_of(client).state
    state.tenant("key-a").store(CounterStore).items.update({"x": 1, "y": 2})
    state.tenant("key-a").store(DumpOnlyStore)
    state.tenant("key-a").ids.uuid()
    snap = client.get("/_emulator/snapshot").json()
    name = "emulator._test_snapshot_stores:CounterStore"
    assert snap["tenants"]["key-a"][name] == {"items": {"x": 1, "y": 2}}
    assert snap["skipped"] == [{"tenant": "key-a", "store": "emulator._test_snapshot_stores:DumpOnlyStore", "reason": "store has no dump()/load()"}]
    next_id = state.tenant("key-a").ids.uuid()

    # change: mutate, add a tenant, move the clock
    state.tenant("key-a").store(CounterStore).items["x"] = 99
    state.tenant("key-b").store(CounterStore).items["z"] = 3
    client.post("/_emulator/clock", json={"advance": 3600})

    r = client.post("/_emulator/restore", json=snap)
    assert r.status_code == 200, r.text
    assert r.json()["clock"] == "2025-01-01T00:00:00.000Z"
    assert set(state.tenants) == {"key-a"}
    assert state.tenant("key-a").store(CounterStore).items == {"x": 1, "y": 2}
    assert state.tenant("key-a").ids.uuid() == next_id  # the id stream continues where it was
    again = client.get("/_emulator/snapshot").json()
    assert again["tenants"] == snap["tenants"] and again["clock"] == snap["clock"]


def test_snapshot_round_trip_of_api_created_state(client: TestClient) -> None:
    created = client.post("/v2/ai/assistants", json={"name": "Support", "instructions": "Be nice"}, headers=AUTH)
    assert created.status_code in (200, 201), created.text
    snap = client.get("/_emulator/snapshot").json()
    lacking = [s["store"] for s in snap["skipped"] if s["tenant"] == "test-key"]
    assert not lacking, f"{lacking} do not implement the dump()/load() snapshot protocol"
    assistant_id = created.json()["id"]
    assert client.delete(f"/v2/ai/assistants/{assistant_id}", headers=AUTH).status_code in (200, 204)
    assert client.post("/_emulator/restore", json=snap).status_code == 200
    got = client.get(f"/v2/ai/assistants/{assistant_id}", headers=AUTH)
    assert got.status_code == 200 and got.json()["name"] == "Support"


@pytest.mark.parametrize(
    ("snapshot", "pointer"),
    [
        ({"tenants": []}, "/tenants"),
        ({"version": 99}, "/version"),
        ({"tenants": {"k": {"os:system": {}}}}, "/tenants/k/os:system"),
        ({"tenants": {"k": {"emulator.nope:Missing": {}}}}, "/tenants/k/emulator.nope:Missing"),
        ({"tenants": {"k": {"emulator._test_snapshot_stores:DumpOnlyStore": {}}}}, "/tenants/k/emulator._test_snapshot_stores:DumpOnlyStore"),
        ({"tenants": {"k": {"emulator._test_snapshot_stores:CounterStore": {"wrong": 1}}}}, "/tenants/k/emulator._test_snapshot_stores:CounterStore"),
        ({"clock": {"now": "soon"}}, "/clock"),
    ],
)
def test_bad_snapshots_are_refused_and_change_nothing(client: TestClient, snapshot: dict[str, Any], pointer: str) -> None:
    state = emulator_of(client).state
    state.tenant("keep").store(CounterStore).items["a"] = 1
    r = client.post("/_emulator/restore", json=snapshot)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["source"]["pointer"] == pointer
    assert state.tenant("keep").store(CounterStore).items == {"a": 1}


# -- clock ------------------------------------------------------------------------------------
def test_clock_get_advance_set_freeze(client: TestClient) -> None:
    assert client.get("/_emulator/clock").json()["now"] == "2025-01-01T00:00:00.000Z"
    r = client.post("/_emulator/clock", json={"advance": 90.5})
    assert r.json()["now"] == "2025-01-01T00:01:30.500Z" and r.json()["frozen"] is True
    r = client.post("/_emulator/clock", json={"set": "2030-06-01T12:00:00Z"})
    assert r.json()["now"] == "2030-06-01T12:00:00.000Z"
    r = client.post("/_emulator/clock", json={"set": 0, "freeze": True})
    assert r.json()["now"] == "1970-01-01T00:00:00.000Z"
    r = client.post("/_emulator/clock", json={"freeze": False})
    assert r.json()["frozen"] is False
    for bad, pointer in [({"advance": -1}, "/advance"), ({"set": "tomorrow"}, "/set"), ({"set": "2030-01-01T00:00:00"}, "/set"), ({"freeze": "yes"}, "/freeze"), ({"jump": 1}, "/jump")]:
        r = client.post("/_emulator/clock", json=bad)
        assert r.status_code == 422 and r.json()["errors"][0]["source"]["pointer"] == pointer


def test_clock_advance_fires_due_timers(client: TestClient) -> None:
    state = emulator_of(client).state
    fired: list[float] = []
    state.scheduler.call_later(30, lambda: fired.append(state.clock.now()))
    client.post("/_emulator/clock", json={"advance": 29})
    assert fired == []
    client.post("/_emulator/clock", json={"advance": 1})
    assert len(fired) == 1


def test_same_seed_and_frozen_clock_give_byte_identical_responses(tmp_path: Path) -> None:
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/v2/ai/assistants", {"name": "Support", "model": "meta-llama/Meta-Llama-3.1-8B-Instruct", "instructions": "Help"}),
        ("GET", "/v2/ai/assistants", None),
        ("POST", "/v2/calls", DIAL),
        ("POST", "/v2/calls", DIAL),
        ("GET", "/v2/ai/conversations/insight-groups", None),
        ("GET", "/_emulator/clock", None),
    ]

    def run(sub: str) -> list[tuple[int, bytes, list[tuple[str, str]]]]:
        settings = make_settings(tmp_path / sub, seed=1234, clock_start="2025-03-04T05:06:07Z", clock_frozen=True)
        out = []
        with TestClient(create_app(settings)) as c:
            for method, path, body in requests:
                r = c.request(method, path, json=body, headers={**AUTH, "x-request-id": "fixed"})
                out.append((r.status_code, r.content, sorted(r.headers.items())))
        return out

    first, second = run("one"), run("two")
    assert first == second
    assert all(status < 400 for status, _, _ in first)
    assert b"2025-03-04T05:06:07" in first[-1][1]


# -- journal ----------------------------------------------------------------------------------
def test_journal_filters_limit_and_clear(client: TestClient) -> None:
    client.post("/v2/calls", json=DIAL, headers=AUTH)
    client.get("/v2/ai/assistants", headers={"Authorization": "Bearer other"})
    client.get("/v2/no/such/path", headers=AUTH)
    client.get("/_emulator/health")  # the control API is not journalled
    everything = client.get("/_emulator/journal").json()
    assert [e["method"] + " " + e["path"] for e in everything["data"]] == ["GET /v2/no/such/path", "GET /v2/ai/assistants", "POST /v2/calls"]
    dial = everything["data"][2]
    assert dial["operation_id"] == "DialCall" and dial["api_key"] == "test-key" and dial["status"] == 200
    assert dial["at"] == "2025-01-01T00:00:00.000Z" and dial["latency_ms"] > 0 and dial["request_id"]
    assert len(client.get("/_emulator/journal", params={"api_key": "other"}).json()["data"]) == 1
    assert len(client.get("/_emulator/journal", params={"status": 404}).json()["data"]) == 1
    assert len(client.get("/_emulator/journal", params={"method": "post"}).json()["data"]) == 1
    assert len(client.get("/_emulator/journal", params={"path": "assistants"}).json()["data"]) == 1
    assert len(client.get("/_emulator/journal", params={"operation_id": "DialCall"}).json()["data"]) == 1
    assert len(client.get("/_emulator/journal", params={"limit": 2}).json()["data"]) == 2
    r = client.get("/_emulator/journal", params={"limit": "many"})
    assert r.status_code == 422 and r.json()["errors"][0]["source"] == {"parameter": "limit"}
    assert client.delete("/_emulator/journal").json() == {"deleted": 3}
    assert client.get("/_emulator/journal").json()["data"] == []


def test_journal_is_a_bounded_ring_buffer(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, journal_size=2))) as c:
        for n in range(5):
            c.get(f"/v2/ai/assistants?page[number]={n + 1}", headers=AUTH)
        data = c.get("/_emulator/journal").json()
        assert data["meta"]["stored"] == 2
        assert [e["seq"] for e in data["data"]] == [5, 4]


# -- fixtures ---------------------------------------------------------------------------------
def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("assistants.yaml", "- name: a\n  x: [unclosed\n", "not valid YAML"),
        ("assistants.yaml", "records: 5\n", "records"),
        ("collections/groups.yaml", "records: []\n", "path"),
        ("collections/groups.json", '{"path": "/no/such/collection", "records": []}', "path"),
        ("collections/assistants.yaml", "path: /ai/assistants\nrecords: []\n", "dedicated handler"),
        ("collections/groups.yaml", "path: /ai/mcp_servers\nrecords: []\nextra: 1\n", "extra"),
    ],
)
def test_malformed_fixture_is_a_startup_error_naming_file_and_field(tmp_path: Path, name: str, text: str, fragment: str) -> None:
    folder = tmp_path / "fx"
    path = write(folder, name, text)
    with pytest.raises(FixtureError) as info:
        create_app(make_settings(tmp_path, fixtures=folder))
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_fixtures_control_api_validates_and_lists(client: TestClient) -> None:
    r = client.post("/_emulator/fixtures", json={"kind": "nope", "data": []})
    assert r.status_code == 422 and "unknown fixture kind" in r.json()["errors"][0]["detail"]
    r = client.post("/_emulator/fixtures", json={"kind": "collection", "data": {"records": []}})
    assert r.status_code == 422 and "path" in r.json()["errors"][0]["detail"]
    r = client.post("/_emulator/fixtures", json={"kind": "assistants", "data": [{"name": "Seeded"}]})
    assert r.status_code == 201
    assert r.json()["data"] == [{"source": "control API (assistants)", "kind": "assistants", "path": "/ai/assistants", "records": 1}]
    assert client.get("/_emulator/fixtures").json()["data"][-1]["path"] == "/ai/assistants"


def test_assistant_fixtures_seed_every_tenant_and_come_back_after_reset(tmp_path: Path) -> None:
    folder = tmp_path / "fx"
    write(folder, "assistants.yaml", "- id: assistant-seeded-1\n  name: Seeded helper\n  instructions: Be brief\n")
    with TestClient(create_app(make_settings(tmp_path, fixtures=folder))) as c:
        assert "create_new_assistant_public_assistants_post" in emulator_of(c).handlers
        for key in ("key-1", "key-2"):
            r = c.get("/v2/ai/assistants/assistant-seeded-1", headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == 200, r.text
            assert r.json()["name"] == "Seeded helper" and r.json()["instructions"] == "Be brief"
        c.delete("/v2/ai/assistants/assistant-seeded-1", headers={"Authorization": "Bearer key-1"})
        assert c.get("/v2/ai/assistants/assistant-seeded-1", headers={"Authorization": "Bearer key-1"}).status_code == 404
        c.post("/_emulator/reset")
        assert c.get("/v2/ai/assistants/assistant-seeded-1", headers={"Authorization": "Bearer key-1"}).status_code == 200


def test_collection_fixture_seeds_generic_records(tmp_path: Path) -> None:
    folder = tmp_path / "fx"
    write(folder, "collections/mcp.yaml", "path: /ai/mcp_servers\nrecords:\n  - id: mcp-seeded-1\n    name: Seeded server\n    url: https://mcp.example.com\n")
    with TestClient(create_app(make_settings(tmp_path, fixtures=folder))) as c:
        r = c.get("/v2/ai/mcp_servers/mcp-seeded-1", headers=AUTH)
        assert r.status_code == 200, r.text
        body = r.json()
        record = body.get("data", body)
        assert record["name"] == "Seeded server" and record["url"] == "https://mcp.example.com"
        listed = c.get("/v2/ai/mcp_servers", headers=AUTH).json()
        rows = listed.get("data", listed) if isinstance(listed, dict) else listed
        assert [g["name"] for g in rows] == ["Seeded server"]


class OutboxService:
    """A service holding non-tenant state (like the webhook outbox) that joins snapshots."""

    snapshot_name = "test-outbox"

    def __init__(self) -> None:
        self.pending: list[str] = []

    def snapshot_dump(self) -> list[str]:
        return list(self.pending)

    def snapshot_load(self, data: list[str]) -> None:
        if not isinstance(data, list):
            raise ValueError("expected a list")
        self.pending = [str(x) for x in data]


def test_services_take_part_in_snapshots(client: TestClient) -> None:
    outbox = OutboxService()
    emulator_of(client).services.add_family_service(outbox)
    outbox.pending.append("evt-1")
    snap = client.get("/_emulator/snapshot").json()
    assert snap["services"]["test-outbox"] == ["evt-1"]
    outbox.pending.append("evt-2")
    assert "test-outbox" in client.post("/_emulator/restore", json=snap).json()["services"]
    assert outbox.pending == ["evt-1"]
    r = client.post("/_emulator/restore", json={"services": {"nope": []}})
    assert r.status_code == 422 and r.json()["errors"][0]["source"]["pointer"] == "/services/nope"
    r = client.post("/_emulator/restore", json={"services": {"test-outbox": "bad"}})
    assert r.status_code == 422 and r.json()["errors"][0]["source"]["pointer"] == "/services/test-outbox"
