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
    """The control API stays compatible with the document as it was before the move to families
    (committed): every (method, path) is still served under the same operationId, with every
    parameter it had, and its body accepts every field it accepted (the generated schema's
    properties are a superset). Paths are OpenAPI templates (``{filename}``), never Starlette
    convertors (``{filename:path}``); operationIds are unique."""
    before = json.loads((Path(__file__).parent / "data" / "control-api-before-families.json").read_text())["paths"]
    doc = client.get("/_emulator/openapi.json").json()
    now = doc["paths"]
    for path, operations in before.items():
        for method, op in operations.items():
            new = now.get(path, {}).get(method)
            assert new is not None, f"{method.upper()} {path} went missing"
            assert new["operationId"] == op["operationId"]
            params = {(p["name"], p["in"]) for p in new.get("parameters", [])}
            assert {(p["name"], p["in"]) for p in op.get("parameters", [])} <= params, f"{method.upper()} {path} lost a parameter"
            old_fields = body_fields(op, before)
            assert old_fields <= body_fields(new, doc), f"{method.upper()} {path} no longer accepts {old_fields - body_fields(new, doc)}"
    assert not [p for p in now if ":" in p]
    ids = [op["operationId"] for ops in now.values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def body_fields(operation: dict[str, Any], doc: dict[str, Any]) -> set[str]:
    """The top-level fields an operation's JSON body schema names (any alternative, or the items
    of an array alternative), with ``$ref`` followed."""
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return _fields(schema, doc) if schema is not None else set()


def _fields(schema: dict[str, Any], doc: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        node: Any = doc
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        return _fields(node, doc)
    found = set(schema.get("properties", {}))
    for alternative in (*schema.get("oneOf", ()), *schema.get("anyOf", ()), *([schema["items"]] if "items" in schema else ())):
        found |= _fields(alternative, doc)
    return found


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
