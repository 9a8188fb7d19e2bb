"""The synthesizer: every operation's synthesized success body is valid against its response
schema (checked by an independent validator: python-jsonschema, Draft 2020-12, formats asserted),
deterministic per seed key, different across seeds; non-JSON media get real bytes."""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.testclient import TestClient

from emulator.openapi.index import Operation, OperationIndex
from emulator.openapi.loader import SpecDocument, load_document
from emulator.openapi.synth import Synthesizer
from tests.conftest import AUTH

DOC_URI = "urn:test:document"


@cache
def embedded() -> tuple[SpecDocument, OperationIndex]:
    doc = load_document()
    return doc, OperationIndex(doc)


@cache
def registry() -> Registry:
    return Registry().with_resource(DOC_URI, Resource.from_contents(embedded()[0].raw, default_specification=DRAFT202012))


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def response_schema_pointer(doc: SpecDocument, op: Operation) -> str | None:
    """JSON pointer (in the document) of the schema of the operation's success JSON response."""
    status = op.success_status()
    media_type, schema = op.success_content()
    if schema is None or media_type is None or "json" not in media_type:
        return None
    raw = doc.raw["paths"][op.path][op.method.lower()]["responses"][status]
    base = f"/paths/{_escape(op.path)}/{op.method.lower()}/responses/{status}"
    while "$ref" in raw:  # a shared response object
        base = raw["$ref"][1:]
        raw = doc.resolve(raw["$ref"])
    return f"{base}/content/{_escape(media_type)}/schema"


def validator_for(doc: SpecDocument, op: Operation) -> jsonschema.Draft202012Validator | None:
    pointer = response_schema_pointer(doc, op)
    if pointer is None:
        return None
    return jsonschema.Draft202012Validator(
        {"$ref": f"{DOC_URI}#{pointer}"},
        registry=registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def operation_ids() -> list[str]:
    return [op.operation_id for op in embedded()[1].operations]


@pytest.mark.parametrize("operation_id", operation_ids())
def test_every_operation_synthesizes_a_valid_deterministic_body(operation_id: str) -> None:
    doc, index = embedded()
    op = index.by_id[operation_id]
    synth = Synthesizer(doc, seed=0)
    status, media_type, body = synth.response_for(op, seed_key=f"key|{op.key}")
    assert 200 <= status < 300
    assert synth.response_for(op, seed_key=f"key|{op.key}") == (status, media_type, body)
    validator = validator_for(doc, op)
    if validator is not None:
        errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(body)]
        assert errors == []
    elif media_type is None:
        assert body is None
    else:
        assert isinstance(body, (bytes, str)) and len(body) > 0


def test_same_seed_key_same_value_other_seeds_differ() -> None:
    doc, index = embedded()
    schema = {"$ref": "#/components/schemas/Assistant"} if "Assistant" in doc.raw["components"]["schemas"] else None
    op = index.by_id[next(o.operation_id for o in index.operations if o.method == "GET" and o.path == "/ai/assistants")]
    one = Synthesizer(doc, seed=0).response_for(op, seed_key="a")[2]
    assert Synthesizer(doc, seed=0).response_for(op, seed_key="a")[2] == one
    assert Synthesizer(doc, seed=1).response_for(op, seed_key="a")[2] != one
    assert Synthesizer(doc, seed=0).response_for(op, seed_key="b")[2] != one
    if schema is not None:
        synth = Synthesizer(doc, seed=3)
        assert synth.for_schema(schema, seed_key="x") == synth.for_schema(schema, seed_key="x")


def inline_doc(schemas: dict[str, Any]) -> SpecDocument:
    return SpecDocument(raw={"openapi": "3.1.0", "paths": {}, "components": {"schemas": schemas}}, source="test")


def test_formats_names_patterns_and_bounds_are_honoured() -> None:
    doc = inline_doc({})
    synth = Synthesizer(doc, seed=0)
    schema = {
        "type": "object",
        "required": ["id", "to"],
        "properties": {
            "id": {"type": "string", "format": "uuid", "example": "not-a-uuid"},
            "to": {"type": "string"},
            "from": {"type": "string", "pattern": r"^\+[1-9]\d{1,14}$"},
            "caller_phone_number": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "url": {"type": "string", "format": "uri"},
            "ip": {"type": "string", "format": "ipv4"},
            "at": {"type": "string", "format": "date-time"},
            "day": {"type": "string", "format": "date"},
            "code": {"type": "string", "pattern": "^C[A-Z0-9]{5,8}$"},
            "zip": {"type": "string", "pattern": r"^[0-9]{5}(?:-[0-9]{4})?$"},
            "short": {"type": "string", "minLength": 3, "maxLength": 4},
            "count": {"type": "integer", "minimum": 5, "maximum": 7},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "minItems": 2, "uniqueItems": True},
            "kind": {"const": "fixed"},
            "nullable_name": {"type": ["string", "null"], "example": "Ada"},
            "map": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
        "additionalProperties": False,
    }
    for key in ("a", "b", "c"):
        value = synth.for_schema(schema, seed_key=key)
        assert synth.validates(schema, value), value
        assert value["to"].startswith("+1") and len(value["to"]) == 12
        assert value["caller_phone_number"].startswith("+")
        assert value["id"] != "not-a-uuid"
        assert value["nullable_name"] == "Ada"  # a valid example wins
        assert sorted(value["tags"]) == ["a", "b"]
        assert value["map"] and all(isinstance(v, int) for v in value["map"].values())


def test_recursive_schemas_terminate_and_unions_pick_a_valid_branch() -> None:
    doc = inline_doc(
        {
            "Node": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    "parent": {"$ref": "#/components/schemas/Node"},
                },
            },
            "Cat": {"type": "object", "required": ["kind", "lives"], "properties": {"kind": {"const": "cat"}, "lives": {"type": "integer"}}},
            "Dog": {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "dog"}}},
            "Pet": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}]},
            "Named": {"allOf": [{"$ref": "#/components/schemas/Dog"}, {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}]},
        }
    )
    synth = Synthesizer(doc, seed=0)
    node = synth.for_schema({"$ref": "#/components/schemas/Node"}, seed_key="n")
    assert synth.validates({"$ref": "#/components/schemas/Node"}, node)
    assert "children" in node  # optional properties are included at the top
    pet = synth.for_schema({"$ref": "#/components/schemas/Pet"}, seed_key="p")
    assert pet["kind"] == "cat"  # the first non-null branch that validates exactly once
    named = synth.for_schema({"$ref": "#/components/schemas/Named"}, seed_key="x")
    assert named["kind"] == "dog" and isinstance(named["name"], str)


def test_non_json_media_are_real_bytes() -> None:
    doc, index = embedded()
    synth = Synthesizer(doc, seed=0)
    for op in index.operations:
        media_type, _ = op.success_content()
        if media_type and media_type.startswith("audio/"):
            _, _, body = synth.response_for(op, seed_key="a")
            assert isinstance(body, bytes) and len(body) > 100
    assert synth._non_json("audio/wav", None, "k")[:4] == b"RIFF"  # noqa: SLF001 - no operation serves these media
    assert synth._non_json("image/png", None, "k")[:4] == b"\x89PNG"  # noqa: SLF001


def test_unhandled_operation_answers_synthesized_through_the_app(client: TestClient) -> None:
    emulator = client.app.state.emulator  # type: ignore[attr-defined]
    doc, index = embedded()
    unhandled = [
        op for op in emulator.index.operations
        if emulator.kind_of(op) == "synthesized" and op.method == "GET" and "{" not in op.path
        and not any(p.required for p in op.parameters if p.location in ("query", "header"))
        and (op.success_content()[0] or "").endswith("json")
    ]
    assert unhandled, "every parameterless GET has a handler: pick another probe"
    for op in unhandled[:5]:
        r = client.get(f"/v2{op.path}", headers=AUTH)
        assert r.status_code == int(op.success_status()), r.text
        assert r.headers["x-emulator-synthesized"] == "true"
        validator = validator_for(doc, index.match("GET", op.path)[0])
        assert validator is not None and list(validator.iter_errors(r.json())) == []
        assert client.get(f"/v2{op.path}", headers=AUTH).content == r.content
