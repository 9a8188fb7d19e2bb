"""Request validation as clients see it: error envelopes naming the field, status codes for bad
transport-level input, and the coerced values handlers receive."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.datastructures import Headers, UploadFile
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.errors import ValidationFailed
from emulator.core.settings import Settings
from emulator.openapi import validate as validate_module
from emulator.openapi.index import OperationIndex
from emulator.openapi.loader import SpecDocument, load_document
from emulator.openapi.validate import RequestValidator

AUTH = {"Authorization": "Bearer KEY_VALIDATION"}
UUID = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(state_dir=tmp_path, max_body_bytes=4096))) as c:
        yield c


@pytest.fixture(scope="module")
def embedded() -> tuple[OperationIndex, RequestValidator]:
    doc = load_document(None)
    index = OperationIndex(doc)
    return index, RequestValidator(doc, index)


def validate(setup: tuple[OperationIndex, RequestValidator], method: str, url: str, *, query: list[tuple[str, str]] | None = None,
             body: Any = None, media_type: str | None = "application/json", headers: dict[str, str] | None = None) -> Any:
    index, validator = setup
    operation, path_params = index.match(method, url)
    return validator.validate(operation, path_params=path_params, query_items=query or [],
                              headers=Headers(headers or {}), media_type=media_type, body=body)


# -- error envelopes through the app ---------------------------------------------------------------------
def test_missing_body_field_is_named_fastapi_style(client: TestClient) -> None:
    r = client.post("/v2/ai/chat/completions", json={"model": "x"}, headers=AUTH)
    assert r.status_code == 422
    assert r.json() == {"detail": [{"loc": ["body", "messages"], "msg": "Field required", "type": "missing"}]}


def test_bad_enum_inside_an_array_points_at_the_item(client: TestClient) -> None:
    r = client.post("/v2/ai/chat/completions", json={"messages": [{"role": "robot", "content": "hi"}]}, headers=AUTH)
    assert r.status_code == 422
    (item,) = r.json()["detail"]
    assert item["loc"] == ["body", "messages", 0, "role"]
    assert item["type"] == "enum"
    assert item["msg"].startswith("'robot' is not one of ['system', 'user', 'assistant'")


def test_call_control_missing_fields_are_telnyx_style_pointers(client: TestClient) -> None:
    r = client.post("/v2/calls", json={"from": "+15550001111", "connection_id": "c1"}, headers=AUTH)
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [e["source"] for e in errors] == [{"pointer": "/to"}]
    assert errors[0]["detail"] == "Field required"
    assert (errors[0]["code"], errors[0]["title"]) == ("10004", "Missing required parameter")


def test_several_violations_come_back_sorted_one_per_field(client: TestClient) -> None:
    r = client.post("/v2/calls", json={"from": 15550001111}, headers=AUTH)
    assert r.status_code == 422
    pointers = [e["source"]["pointer"] for e in r.json()["errors"]]
    assert pointers == ["/connection_id", "/from", "/to"]
    # Each carries the document's code for its kind of problem: a wrong type, then two missing.
    assert [e["code"] for e in r.json()["errors"]] == ["10004", "10026", "10004"]


def test_deep_object_member_of_wrong_type_names_the_member(client: TestClient) -> None:
    r = client.get("/v2/ai/clusters", params={"page[size]": "ten"}, headers=AUTH)
    assert r.status_code == 422
    (item,) = r.json()["detail"]
    assert item["loc"] == ["query", "page[size]"]
    assert item["type"] == "int_parsing"


def test_literal_bracket_parameter_of_wrong_type_is_named(client: TestClient) -> None:
    r = client.get("/v2/ai/tools", params={"page[size]": "x", "page[number]": "2"}, headers=AUTH)
    assert r.status_code == 422
    assert [d["loc"] for d in r.json()["detail"]] == [["query", "page[size]"]]


def test_bad_boolean_query_parameter(client: TestClient) -> None:
    r = client.get(f"/v2/ai/clusters/{UUID}", params={"show_subclusters": "maybe"}, headers=AUTH)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "show_subclusters"]


def test_malformed_json_is_400(client: TestClient) -> None:
    r = client.post("/v2/calls", content=b'{"to": ', headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "10015"


def test_wrong_content_type_is_415(client: TestClient) -> None:
    r = client.post("/v2/calls", content=b"to=x", headers={**AUTH, "content-type": "text/plain"})
    assert r.status_code == 415


def test_body_over_the_limit_is_413(client: TestClient) -> None:
    r = client.post("/v2/calls", json={"to": "+1" + "5" * 5000, "from": "+1", "connection_id": "c"}, headers=AUTH)
    assert r.status_code == 413


def test_missing_required_body(client: TestClient) -> None:
    r = client.post("/v2/calls", headers=AUTH)
    assert r.status_code == 422
    assert r.json()["errors"][0]["detail"].startswith("Field required")


# -- coerced values handlers see ---------------------------------------------------------------------------
def test_deep_object_is_nested_and_cast(embedded: tuple[OperationIndex, RequestValidator]) -> None:
    v = validate(embedded, "GET", "/v2/ai/clusters", query=[("page[number]", "2"), ("page[size]", "5"), ("other", "x")])
    assert v.query == {"page": {"number": 2, "size": 5}, "other": "x"}


def test_nested_deep_object_keys_build_nested_dicts(embedded: tuple[OperationIndex, RequestValidator]) -> None:
    v = validate(embedded, "GET", "/v2/call_control_applications",
                 query=[("filter[application_name][contains]", "bot"), ("page[size]", "20")])
    assert v.query["filter"] == {"application_name": {"contains": "bot"}}
    assert v.query["page"] == {"size": 20}


def test_literal_bracket_names_are_cast(embedded: tuple[OperationIndex, RequestValidator]) -> None:
    v = validate(embedded, "GET", "/v2/ai/tools", query=[("page[size]", "10"), ("filter[type]", "webhook")])
    assert v.query["page[size]"] == 10
    assert v.query["filter[type]"] == "webhook"


def test_boolean_words_and_integers_are_cast(embedded: tuple[OperationIndex, RequestValidator]) -> None:
    v = validate(embedded, "GET", f"/v2/ai/clusters/{UUID}", query=[("show_subclusters", "yes"), ("top_n_nodes", "7")])
    assert v.query["show_subclusters"] is True
    assert v.query["top_n_nodes"] == 7
    assert v.path == {"task_id": UUID}


def test_valid_json_body_is_returned_untouched(embedded: tuple[OperationIndex, RequestValidator]) -> None:
    body = {"messages": [{"role": "user", "content": "hello"}], "model": "m"}
    assert validate(embedded, "POST", "/v2/ai/chat/completions", body=body).body == body


def test_discriminated_union_reports_the_branch_field(embedded: tuple[OperationIndex, RequestValidator]) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate(embedded, "POST", "/v2/ai/chat/completions", body={"messages": [{"role": "user"}]})
    assert [(i.pointer, i.kind) for i in info.value.items] == [("/messages/0/content", "missing")]


def test_multipart_file_parts_count_as_strings(embedded: tuple[OperationIndex, RequestValidator]) -> None:
    upload = UploadFile(io.BytesIO(b"RIFF"), filename="a.wav")
    v = validate(embedded, "POST", "/v2/ai/audio/transcriptions", media_type="multipart/form-data",
                 body={"file": upload, "model": "distil-whisper/distil-large-v2"})
    assert v.body["file"] is upload


# -- a small OpenAPI 3.0 document: nullable, boolean exclusive bounds, readOnly, forms, headers ----------
DOC30: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things/{thing_id}": {
            "parameters": [{"name": "thing_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "post": {
                "operationId": "PostThing",
                "parameters": [
                    {"name": "X-Mode", "in": "header", "required": True, "schema": {"type": "string", "enum": ["a", "b"]}},
                    {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "integer"}}},
                    {"name": "ids", "in": "query", "explode": False, "schema": {"type": "array", "items": {"type": "string"}}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 25}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}},
                        "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/Thing"}},
                    },
                },
                "responses": {"200": {"description": "ok"}},
            },
        }
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["id", "name", "size"],
                "properties": {
                    "id": {"type": "string", "readOnly": True},
                    "name": {"type": "string", "nullable": True},
                    "size": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
                    "active": {"type": "boolean"},
                    "kind": {"type": "string", "enum": ["x", "y"], "nullable": True},
                },
            }
        }
    },
}


@pytest.fixture(scope="module")
def doc30() -> tuple[OperationIndex, RequestValidator]:
    doc = SpecDocument(raw=DOC30, source="test")
    index = OperationIndex(doc)
    return index, RequestValidator(doc, index)


HDR = {"x-mode": "a"}


def test_openapi30_nullable_and_readonly(doc30: tuple[OperationIndex, RequestValidator]) -> None:
    v = validate(doc30, "POST", "/things/7", body={"name": None, "size": 1, "kind": None}, headers=HDR)
    assert v.path == {"thing_id": 7}
    assert v.headers == {"X-Mode": "a"}
    assert v.query == {"limit": 25}  # the schema's default


def test_openapi30_boolean_exclusive_minimum(doc30: tuple[OperationIndex, RequestValidator]) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate(doc30, "POST", "/things/7", body={"name": "n", "size": 0}, headers=HDR)
    assert [(i.pointer, i.kind) for i in info.value.items] == [("/size", "greater_than")]


def test_path_header_and_array_query_parameters(doc30: tuple[OperationIndex, RequestValidator]) -> None:
    v = validate(doc30, "POST", "/things/7", query=[("tags", "1"), ("tags", "2"), ("ids", "a,b")],
                 body={"name": "n", "size": 2}, headers=HDR)
    assert v.query == {"tags": [1, 2], "ids": ["a", "b"], "limit": 25}
    with pytest.raises(ValidationFailed) as info:
        validate(doc30, "POST", "/things/seven", query=[("tags", "1"), ("tags", "x")], body={"name": "n", "size": 2}, headers={})
    got = [(i.location, i.parameter, i.kind) for i in info.value.items]
    assert got == [("path", "thing_id", "int_parsing"), ("query", "tags", "int_parsing"), ("header", "X-Mode", "missing")]


def test_form_values_are_coerced_before_validation(doc30: tuple[OperationIndex, RequestValidator]) -> None:
    v = validate(doc30, "POST", "/things/7", media_type="application/x-www-form-urlencoded",
                 body={"name": "n", "size": "2.5", "active": "true"}, headers=HDR)
    assert v.body == {"name": "n", "size": 2.5, "active": True}
    with pytest.raises(ValidationFailed) as info:
        validate(doc30, "POST", "/things/7", media_type="application/x-www-form-urlencoded",
                 body={"name": "n", "size": "big"}, headers=HDR)
    assert [i.pointer for i in info.value.items] == ["/size"]


def test_missing_required_body_and_empty_query_value(doc30: tuple[OperationIndex, RequestValidator]) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate(doc30, "POST", "/things/7", query=[("limit", "")], body=None, media_type=None, headers=HDR)
    assert [(i.location, i.parameter, i.pointer) for i in info.value.items] == [("query", "limit", None), ("body", None, "")]


# -- the memo of invalid bodies (a repeated 422 is described once) ------------------------------------
def test_a_repeated_invalid_body_gets_the_same_items_and_a_different_one_its_own(embedded: tuple[OperationIndex, RequestValidator]) -> None:
    def items(body: Any) -> list[tuple[str | None, str]]:
        with pytest.raises(ValidationFailed) as err:
            validate(embedded, "POST", "/v2/ai/chat/completions", body=body)
        return [(i.pointer, i.detail) for i in err.value.items]

    bad_role = {"messages": [{"role": "robot", "content": "hi"}]}
    first = items(bad_role)
    assert items({"messages": [{"role": "robot", "content": "hi"}]}) == first  # an equal body, from the memo
    other = items({"messages": "not-a-list"})
    assert other != first and other[0][0] == "/messages"
    assert items(bad_role) == first


def test_the_invalid_body_memo_is_bounded(embedded: tuple[OperationIndex, RequestValidator], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate_module, "FAILURE_MEMO_SIZE", 4)
    for n in range(20):
        with pytest.raises(ValidationFailed) as err:
            validate(embedded, "POST", "/v2/ai/chat/completions", body={"messages": [{"role": f"r{n}", "content": "hi"}]})
        assert f"'r{n}'" in err.value.items[0].detail
    index, validator = embedded
    operation, _ = index.match("POST", "/v2/ai/chat/completions")
    plan = validator._plans[operation.key]  # noqa: SLF001 - the bound is the point of this test
    assert all(len(bp.failures) <= 4 for bp in plan.bodies.values())
