"""``--spec`` loads any OpenAPI 3.0/3.1 document: every operation in it routes and validates."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from tests.conftest import AUTH, SHARED_SPEC, make_settings

# A small OpenAPI 3.0 document of our own: 3.0-only keywords (nullable, boolean
# exclusiveMinimum), a collection with an item path, and a plain synthesized operation.
PETSTORE_30 = {
    "openapi": "3.0.3",
    "info": {"title": "pets", "version": "1"},
    "paths": {
        "/pets": {
            "get": {
                "operationId": "listPets",
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}}}}}}},
            },
            "post": {
                "operationId": "createPet",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewPet"}}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {"data": {"$ref": "#/components/schemas/Pet"}}}}}}},
            },
        },
        "/pets/{pet_id}": {
            "get": {"operationId": "getPet", "parameters": [{"name": "pet_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {"data": {"$ref": "#/components/schemas/Pet"}}}}}}}},
        },
        "/health-score": {
            "get": {"operationId": "score", "parameters": [{"name": "min", "in": "query", "schema": {"type": "number", "minimum": 0, "exclusiveMinimum": True}}],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["score"], "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5}}}}}}}},
        },
    },
    "components": {
        "schemas": {
            "NewPet": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "tag": {"type": "string", "nullable": True}}},
            "Pet": {"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "tag": {"type": "string", "nullable": True}}},
        }
    },
}


@pytest.fixture
def petstore(tmp_path: Path) -> TestClient:
    spec = tmp_path / "pets.json"
    spec.write_bytes(orjson.dumps(PETSTORE_30))
    with TestClient(create_app(make_settings(tmp_path, spec=spec))) as c:
        yield c


def test_openapi_30_document_routes_validates_and_keeps_state(petstore: TestClient) -> None:
    assert petstore.get("/_emulator/health").json()["operations"] == 4
    created = petstore.post("/v2/pets", headers=AUTH, json={"name": "Rex", "tag": None})  # nullable (3.0)
    assert created.status_code == 200, created.text
    pet = created.json()["data"]
    assert pet["name"] == "Rex"
    assert petstore.get(f"/pets/{pet['id']}", headers=AUTH).json()["data"] == pet
    assert petstore.get("/pets/nope", headers=AUTH).status_code == 404
    bad = petstore.post("/v2/pets", headers=AUTH, json={"tag": 3})
    assert bad.status_code == 422
    pointers = {e["source"]["pointer"] for e in bad.json()["errors"]}
    assert pointers == {"/name", "/tag"}
    assert petstore.get("/v2/health-score?min=0", headers=AUTH).status_code == 422  # exclusiveMinimum: true
    score = petstore.get("/v2/health-score?min=1", headers=AUTH)
    assert score.headers["x-emulator-synthesized"] == "true" and 1 <= score.json()["score"] <= 5


@pytest.mark.skipif(not SHARED_SPEC.is_file(), reason="reference document ../shared/openapi/telnyx-spec3.yml not present (optional)")
def test_the_whole_published_telnyx_document_serves_every_operation(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, spec=SHARED_SPEC))
    emulator = app.state.emulator
    assert len(emulator.index.operations) == 1156
    with TestClient(app) as c:
        # Outside the embedded subset: routed, validated, answered.
        numbers = c.get("/v2/phone_numbers?page[size]=2", headers=AUTH)
        assert numbers.status_code == 200, numbers.text
        assert c.get("/v2/phone_numbers?page[size]=abc", headers=AUTH).status_code == 422
        messages = c.post("/v2/messages", headers=AUTH, json={})
        assert messages.status_code == 422
        # Every operation routes to itself (a concrete path per template).
        for op in emulator.index.operations:
            concrete = op.path.replace("{", "x").replace("}", "")
            found, _ = emulator.index.match(op.method, "/v2" + concrete)
            assert found is op, (op.key, found.key)
