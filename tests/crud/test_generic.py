"""Generic stateful CRUD: round trips, per-key isolation, reset, pagination, nested collections,
error envelopes per family — and every generic answer validates against the document."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.crud.generic import GenericStore
from emulator.openapi.index import Operation
from emulator.runtime.emulator import Emulator
from tests.conftest import AUTH, make_settings

KEY1 = {"Authorization": "Bearer key-one"}
KEY2 = {"Authorization": "Bearer key-two"}


@pytest.fixture
def crud(tmp_path: Path) -> Any:
    app = create_app(make_settings(tmp_path))
    # Dedicated handlers (assistants, calls, ...) are switched off: this file tests the generic
    # layer, which must stay correct for every collection no handler serves.
    app.state.emulator.handlers.clear()
    with TestClient(app, raise_server_exceptions=False) as c:
        c.emulator = app.state.emulator  # type: ignore[attr-defined]
        yield c


def valid(emulator: Emulator, method: str, path: str, body: Any) -> bool:
    op, _ = emulator.index.match(method, path)
    _, schema = op.success_content()
    return schema is None or emulator.synthesizer.validates(schema, body)


def assert_valid(c: Any, r: Any) -> Any:
    assert r.status_code < 300, r.text
    body = r.json() if r.content else None
    path = r.request.url.path
    assert valid(c.emulator, r.request.method, path, body), (r.request.method, path, r.text[:300])
    assert "x-emulator-synthesized" not in r.headers
    return body


def test_assistant_round_trip_list_update_delete(crud: Any) -> None:
    created = assert_valid(crud, crud.post("/v2/ai/assistants", json={"name": "Front desk", "model": "meta-llama/Llama-3.3-70B-Instruct", "instructions": "Be brief."}, headers=KEY1))
    aid = created["id"]
    assert created["name"] == "Front desk" and created["instructions"] == "Be brief."
    assert created["created_at"].endswith("Z")
    got = assert_valid(crud, crud.get(f"/v2/ai/assistants/{aid}", headers=KEY1))
    assert got == created
    listed = assert_valid(crud, crud.get("/v2/ai/assistants", headers=KEY1))
    assert [a["id"] for a in listed["data"]] == [aid]
    updated = assert_valid(crud, crud.post(f"/v2/ai/assistants/{aid}", json={"name": "Back office"}, headers=KEY1))
    assert updated["name"] == "Back office" and updated["instructions"] == "Be brief." and updated["id"] == aid
    assert crud.get(f"/v2/ai/assistants/{aid}", headers=KEY1).json()["name"] == "Back office"
    # the same record through the bare path (no /v2)
    assert crud.get(f"/ai/assistants/{aid}", headers=KEY1).json()["name"] == "Back office"
    deleted = assert_valid(crud, crud.delete(f"/v2/ai/assistants/{aid}", headers=KEY1))
    assert deleted["id"] == aid and deleted.get("deleted", True) is True
    r = crud.get(f"/v2/ai/assistants/{aid}", headers=KEY1)
    assert r.status_code == 404
    assert r.json() == {"detail": [{"code": "10005", "title": "Resource not found", "detail": f"No assistant with id '{aid}' exists."}]}


def test_bare_path_crud_and_state_is_partitioned_by_key(crud: Any) -> None:
    created = crud.post("/ai/assistants", json={"name": "Mine", "model": "m", "instructions": "i"}, headers=KEY1).json()
    assert crud.get(f"/ai/assistants/{created['id']}", headers=KEY2).status_code == 404
    assert crud.get("/ai/assistants", headers=KEY2).json()["data"] == []
    assert [a["id"] for a in crud.get("/ai/assistants", headers=KEY1).json()["data"]] == [created["id"]]
    dump = crud.get("/_emulator/state", params={"api_key": "key-one"}).json()["tenants"]["key-one"]
    assert created["id"] in dump["GenericStore"]["/ai/assistants"]


def test_reset_of_one_key_keeps_the_other(crud: Any) -> None:
    one = crud.post("/v2/ai/assistants", json={"name": "A", "model": "m", "instructions": "i"}, headers=KEY1).json()
    two = crud.post("/v2/ai/assistants", json={"name": "B", "model": "m", "instructions": "i"}, headers=KEY2).json()
    assert crud.post("/_emulator/reset", json={"api_key": "key-one"}).status_code == 200
    assert crud.get(f"/v2/ai/assistants/{one['id']}", headers=KEY1).status_code == 404
    assert crud.get(f"/v2/ai/assistants/{two['id']}", headers=KEY2).json()["name"] == "B"


def test_pagination_over_25_records(crud: Any) -> None:
    ids = []
    for i in range(25):
        r = crud.post("/v2/call_control_applications", json={"application_name": f"app-{i:02d}", "webhook_event_url": "https://example.com/hook"}, headers=KEY1)
        ids.append(assert_valid(crud, r)["data"]["id"])
    assert len(set(ids)) == 25
    pages = []
    for number in (1, 2, 3):
        r = crud.get("/v2/call_control_applications", params={"page[number]": number, "page[size]": 10}, headers=KEY1)
        body = assert_valid(crud, r)
        meta = body["meta"]
        assert (meta["page_number"], meta["page_size"], meta["total_pages"], meta["total_results"]) == (number, 10, 3, 25)
        pages.append([a["id"] for a in body["data"]])
    assert [len(p) for p in pages] == [10, 10, 5]
    assert sum(pages, []) == ids
    # the document's filter on a record field
    r = crud.get("/v2/call_control_applications", params={"filter[application_name][contains]": "p-07"}, headers=KEY1)
    assert [a["application_name"] for a in assert_valid(crud, r)["data"]] == ["app-07"]
    r = crud.get("/v2/call_control_applications", params={"filter[application_name][contains]": "APP-1"}, headers=KEY1)
    assert assert_valid(crud, r)["meta"]["total_results"] == 10


def test_call_control_application_crud_and_telnyx_404(crud: Any) -> None:
    created = assert_valid(crud, crud.post("/v2/call_control_applications", json={"application_name": "ivr", "webhook_event_url": "https://example.com/a"}, headers=KEY1))["data"]
    assert re.fullmatch(r"\d{19}|[0-9a-f-]{36}", created["id"])
    assert created["application_name"] == "ivr" and created["webhook_event_url"] == "https://example.com/a"
    app_id = created["id"]
    upd = assert_valid(crud, crud.patch(f"/v2/call_control_applications/{app_id}", json={"application_name": "ivr-2", "webhook_event_url": "https://example.com/b"}, headers=KEY1))["data"]
    assert upd["application_name"] == "ivr-2" and upd["webhook_event_url"] == "https://example.com/b"
    assert upd["created_at"] == created["created_at"]
    crud.emulator.state.clock.advance(60)
    later = crud.patch(f"/v2/call_control_applications/{app_id}", json={"application_name": "ivr-3", "webhook_event_url": "https://example.com/b"}, headers=KEY1).json()["data"]
    assert later["updated_at"] > upd["updated_at"]
    assert_valid(crud, crud.delete(f"/v2/call_control_applications/{app_id}", headers=KEY1))
    r = crud.get(f"/v2/call_control_applications/{app_id}", headers=KEY1)
    assert r.status_code == 404
    error = r.json()["errors"][0]
    assert error["code"] == "10005" and error["title"] == "Resource not found" and app_id in error["detail"]


def test_nested_collection_requires_its_parent(crud: Any) -> None:
    r = crud.post("/v2/ai/missions/00000000-0000-4000-8000-000000000000/tools", json={"name": "t"}, headers=KEY1)
    assert r.status_code == 404
    assert r.json()["detail"][0]["code"] == "10005"
    mission = crud.post("/v2/ai/missions", json={"name": "Reach out", "description": "d"}, headers=KEY1)
    mission_id = assert_valid(crud, mission)["data"]["mission_id"]
    tool = assert_valid(crud, crud.post(f"/v2/ai/missions/{mission_id}/tools", json={"name": "lookup"}, headers=KEY1))
    assert tool["name"] == "lookup"
    listed = crud.get(f"/v2/ai/missions/{mission_id}/tools", headers=KEY1).json()
    assert [t["id"] for t in listed["data"]] == [tool["id"]]
    assert crud.get(f"/v2/ai/missions/{mission_id}/tools/{tool['id']}", headers=KEY1).json()["name"] == "lookup"
    # a second mission's tools are a different collection
    other = crud.post("/v2/ai/missions", json={"name": "Other", "description": "d"}, headers=KEY1).json()["data"]["mission_id"]
    assert crud.get(f"/v2/ai/missions/{other}/tools", headers=KEY1).json()["data"] == []
    assert crud.get(f"/v2/ai/missions/{other}/tools/{tool['id']}", headers=KEY1).status_code == 404
    # deleting the parent makes its children unreachable
    assert crud.delete(f"/v2/ai/missions/{mission_id}", headers=KEY1).status_code < 300
    assert crud.get(f"/v2/ai/missions/{mission_id}/tools", headers=KEY1).status_code == 404


def request_body(emulator: Emulator, op: Operation, seed: str) -> Any:
    if op.request_body is None or "application/json" not in op.request_body.content:
        return None
    return emulator.synthesizer.for_schema(op.request_body.content["application/json"], seed_key=seed)


def test_every_generic_collection_round_trips_with_valid_bodies(crud: Any) -> None:
    """Create → read → list → update → delete → read 404 for every generic collection, parents
    first, with request bodies synthesized from the request schemas; every answer validates."""
    emulator: Emulator = crud.emulator
    generic = emulator.services.crud
    ids: dict[str, str] = {}  # item template -> id of the record created there
    served = 0
    for coll in sorted(generic.plan.collections.values(), key=lambda c: c.template.count("/")):
        if not all(generic.serves(emulator.index.by_id[o]) and o not in emulator.handlers for o in coll.ops.values()):
            continue
        params: dict[str, str] = {}
        parent = coll.parent
        while parent is not None:
            params[parent.param] = ids[parent.item_template]
            parent = parent.parent
        path = fill(coll.template, params)
        create = emulator.index.by_id[coll.ops["create"]]
        assert_valid(crud, crud.post(path, json=request_body(emulator, create, "c"), headers=KEY1))
        record_id = list(emulator.state.tenant("key-one").store(GenericStore).collections[path])[-1]
        ids[coll.item_template] = record_id
        item = f"{path}/{record_id}"
        if "read" in coll.ops:
            assert_valid(crud, crud.get(item, headers=KEY1))
        if "list" in coll.ops:
            assert_valid(crud, crud.get(path, headers=KEY1))
        if "update" in coll.ops:
            op = emulator.index.by_id[coll.ops["update"]]
            assert_valid(crud, crud.request(op.method, item, json=request_body(emulator, op, "u"), headers=KEY1))
        served += 1
    # delete children before parents
    for coll in sorted(generic.plan.collections.values(), key=lambda c: -c.template.count("/")):
        if coll.item_template not in ids or "delete" not in coll.ops:
            continue
        params = {}
        parent = coll.parent
        while parent is not None:
            params[parent.param] = ids[parent.item_template]
            parent = parent.parent
        item = fill(coll.template, params) + "/" + ids[coll.item_template]
        r = crud.delete(item, headers=KEY1)
        if r.content:
            assert_valid(crud, r)
        else:
            assert r.status_code in (200, 204)
        if "read" in coll.ops:
            assert crud.get(item, headers=KEY1).status_code == 404
    assert served >= 10


def fill(template: str, params: dict[str, str]) -> str:
    """The path template with its ``{name}`` parameters filled in."""
    return re.sub(r"\{([^}]+)\}", lambda m: params[m.group(1)], template)


def tiny_document() -> dict[str, Any]:
    """A document of our own, exercising what the embedded one lacks: integer ids and epoch
    timestamps, a 204 delete, free-form nested records, limit/offset lists as bare arrays."""
    widget = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "maxLength": 20},
            "colour": {"type": "string", "enum": ["red", "blue"]},
            "created_at": {"type": "integer"},
            "updated_at": {"type": "integer"},
        },
    }
    ok = lambda schema: {"description": "ok", "content": {"application/json": {"schema": schema}}}  # noqa: E731
    page = [
        {"name": "page[number]", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "page[size]", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 2}},
    ]
    meta = {"type": "object", "properties": {"page_number": {"type": "integer"}, "total_pages": {"type": "integer"}, "total_results": {"type": "integer"}}}
    widget_body = {"required": True, "content": {"application/json": {"schema": {"type": "object", "properties": {"name": {}, "colour": {"type": "string"}}}}}}  # name: any, the record schema decides
    return {
        "openapi": "3.1.0",
        "info": {"title": "tiny", "version": "1"},
        "components": {"schemas": {"Widget": widget}},
        "paths": {
            "/widgets": {
                "post": {"operationId": "CreateWidget", "requestBody": widget_body, "responses": {"201": ok({"type": "object", "properties": {"data": {"$ref": "#/components/schemas/Widget"}}})}},
                "get": {
                    "operationId": "ListWidgets",
                    "parameters": page,
                    "responses": {"200": ok({"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Widget"}}, "meta": meta}})},
                },
            },
            "/widgets/{widget_id}": {
                "parameters": [{"name": "widget_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "get": {"operationId": "GetWidget", "responses": {"200": ok({"type": "object", "properties": {"data": {"$ref": "#/components/schemas/Widget"}}})}},
                "patch": {"operationId": "UpdateWidget", "requestBody": widget_body, "responses": {"200": ok({"type": "object", "properties": {"data": {"$ref": "#/components/schemas/Widget"}}})}},
                "delete": {"operationId": "DeleteWidget", "responses": {"204": {"description": "gone"}}},
            },
            "/widgets/{widget_id}/parts": {
                "parameters": [{"name": "widget_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "post": {"operationId": "CreatePart", "responses": {"201": ok({})}},
                "get": {
                    "operationId": "ListParts",
                    "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "default": 10}}, {"name": "offset", "in": "query", "schema": {"type": "integer"}}],
                    "responses": {"200": ok({"type": "array", "items": {}})},
                },
            },
            "/widgets/{widget_id}/parts/{part_id}": {
                "parameters": [{"name": "widget_id", "in": "path", "required": True, "schema": {"type": "string"}}, {"name": "part_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "get": {"operationId": "GetPart", "responses": {"200": ok({})}},
            },
        },
    }


def test_own_document_integer_ids_epoch_stamps_204_and_free_form_children(tmp_path: Path) -> None:
    import json  # noqa: PLC0415

    spec = tmp_path / "tiny.json"
    spec.write_text(json.dumps(tiny_document()))
    app = create_app(make_settings(tmp_path, spec=spec))
    emulator: Emulator = app.state.emulator
    emulator.state.clock.set(1_750_000_000, freeze=True)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.emulator = emulator  # type: ignore[attr-defined]
        made = [assert_valid(c, c.post("/widgets", json={"name": f"w{i}", "colour": "blue"}, headers=KEY1))["data"] for i in range(3)]
        first = made[0]
        assert isinstance(first["id"], int) and first["created_at"] == 1_750_000_000 == first["updated_at"]
        assert first["name"] == "w0" and first["colour"] == "blue"
        emulator.state.clock.advance(5)
        patched = assert_valid(c, c.patch(f"/widgets/{first['id']}", json={"colour": "red", "name": 7}, headers=KEY1))["data"]
        assert patched["colour"] == "red" and patched["name"] == "w0"  # a value the schema refuses is not merged
        assert patched["updated_at"] == 1_750_000_005 and patched["created_at"] == 1_750_000_000
        listed = assert_valid(c, c.get("/widgets", headers=KEY1))  # page[size] defaults to the document's 2
        assert [w["id"] for w in listed["data"]] == [made[0]["id"], made[1]["id"]]
        assert listed["meta"] == {"page_number": 1, "total_pages": 2, "total_results": 3}
        for n in range(3):
            assert c.post(f"/widgets/{first['id']}/parts", json={"label": f"p{n}", "qty": n}, headers=KEY1).status_code == 201
        parts = c.get(f"/widgets/{first['id']}/parts", params={"limit": 2, "offset": 1}, headers=KEY1).json()
        assert [p["label"] for p in parts] == ["p1", "p2"] and all("id" in p for p in parts)
        assert c.get(f"/widgets/{first['id']}/parts/{parts[0]['id']}", headers=KEY1).json()["qty"] == 1
        assert c.get(f"/widgets/{first['id']}/parts", params={"qty": 2}, headers=KEY1).json()[0]["label"] == "p2"
        r = c.delete(f"/widgets/{first['id']}", headers=KEY1)
        assert r.status_code == 204 and r.content == b""
        assert c.get(f"/widgets/{first['id']}", headers=KEY1).status_code == 404
        assert c.post(f"/widgets/{first['id']}/parts", json={}, headers=KEY1).status_code == 404


def test_fixture_seeding_and_snapshot_round_trip(crud: Any) -> None:
    emulator: Emulator = crud.emulator
    generic = emulator.services.crud
    tenant = emulator.state.tenant("key-one")
    generic.seed_records(tenant, "/v2/ai/tools", [{"id": "tool-seeded", "display_name": "Seeded", "type": "webhook", "bogus": 1}])
    got = assert_valid(crud, crud.get("/v2/ai/tools/tool-seeded", headers=KEY1))
    assert got["id"] == "tool-seeded" and got["display_name"] == "Seeded" and "bogus" not in got
    with pytest.raises(ValueError, match="not a collection"):
        generic.seed_records(tenant, "/ai/chat/completions", [{}])
    dump = tenant.store(GenericStore).dump()
    assert GenericStore.load(dump).dump() == dump
    with pytest.raises(TypeError):
        GenericStore.load({"/ai/tools": ["not", "records"]})


def test_a_created_record_gets_no_invented_acting_values(client: TestClient) -> None:
    """Optional URLs, numbers and references not sent stay unset (or the documented default): a
    made-up failover URL would have webhooks sent to a host nobody gave."""
    created = client.post("/v2/call_control_applications", headers=AUTH,
                          json={"application_name": "router", "webhook_event_url": "https://hooks.test/telnyx"})
    assert created.status_code in (200, 201), created.text
    data = created.json()["data"]
    assert data["webhook_event_url"] == "https://hooks.test/telnyx"  # what was sent is echoed
    assert data["application_name"] == "router"
    assert data["webhook_event_failover_url"] == ""  # the document's default, not an example host
    assert data.get("outbound", {}).get("outbound_voice_profile_id") is None
    again = client.get(f"/v2/call_control_applications/{data['id']}", headers=AUTH).json()["data"]
    assert again == data
