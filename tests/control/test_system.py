"""The control API's system endpoints: health, public key, operations, reset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.testclient import TestClient


def test_control_api_health_public_key_operations(client: TestClient) -> None:
    health = client.get("/_emulator/health").json()
    assert health["status"] == "ok" and health["operations"] == 219
    key = client.get("/_emulator/public-key").json()["public_key"]
    assert len(__import__("base64").b64decode(key)) == 32
    ops = client.get("/_emulator/operations").json()
    assert ops["meta"]["total"] == 219
    kinds = {row["served_by"] for row in ops["data"]}
    assert kinds <= {"handler", "generic", "synthesized"}
    doc = client.get("/_emulator/openapi.json").json()
    assert doc["openapi"].startswith("3.1") and "/_emulator/health" in doc["paths"]


def test_reset_one_tenant_or_all(app: Starlette, client: TestClient) -> None:
    state = app.state.emulator.state
    state.tenant("a")
    state.tenant("b")
    client.post("/_emulator/reset", json={"api_key": "a"})
    assert set(state.tenants) == {"b"}
    client.post("/_emulator/reset")
    assert state.tenants == {}
    bad = client.post("/_emulator/reset", content=b"{not json")
    assert bad.status_code == 400


def test_control_api_document_keeps_every_operation_it_had(client: TestClient) -> None:
    """The control API is compatible across the move to families: every operation of the
    document as it was before (committed) is still described, unchanged; new ones may be added.
    Paths are OpenAPI templates (``{filename}``), never Starlette convertors (``{filename:path}``).
    Enums compare as sets: the lifecycle kinds now come from the manifests, in ``FAMILIES`` order."""
    before = _unordered(json.loads((Path(__file__).parent / "data" / "control-api-before-families.json").read_text())["paths"])
    now = _unordered(client.get("/_emulator/openapi.json").json()["paths"])
    for path, operations in before.items():
        for method, op in operations.items():
            assert now.get(path, {}).get(method) == op, f"{method.upper()} {path} changed or went missing"
    assert not [p for p in now if ":" in p]
    ids = [op["operationId"] for ops in now.values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def _unordered(value: Any) -> Any:
    """``value`` with every ``enum`` list sorted (their order carries no meaning)."""
    if isinstance(value, dict):
        return {k: sorted(v) if k == "enum" and isinstance(v, list) else _unordered(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unordered(v) for v in value]
    return value


def test_a_full_reset_puts_the_clock_back(client: TestClient) -> None:
    before = client.get("/_emulator/clock").json()["epoch"]
    assert client.post("/_emulator/clock", json={"advance": 86400}).status_code == 200
    assert client.get("/_emulator/clock").json()["epoch"] >= before + 86400
    assert client.post("/_emulator/reset").status_code == 200
    after = client.get("/_emulator/clock").json()
    assert after["epoch"] < before + 3600 and after["frozen"] is False


def test_unknown_keys_in_control_bodies_are_named(client: TestClient) -> None:
    bad = client.post("/_emulator/reset", json={"apikey": "k"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["source"]["pointer"] == "/apikey"
    assert "apikey" in bad.json()["errors"][0]["detail"]
    assert client.post("/_emulator/lifecycles/advance", json={"api_key": "k", "step": 1}).status_code == 422
