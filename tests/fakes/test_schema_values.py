"""One generator behind every schema-valid fake value: the structured-output faker and AI gather
on calls are thin callers of :class:`emulator.openapi.generator.ValueGenerator` (as the
document synthesizer is), adding only their hints. Values are checked here by an independent
validator (python-jsonschema, Draft 2020-12, formats asserted)."""

from __future__ import annotations

import random
import re
from typing import Any

import jsonschema
import pytest

from emulator.core.errors import ValidationFailed
from emulator.fakes import structured
from emulator.families.calls import ai_params
from emulator.openapi import patterns
from emulator.openapi.generator import MISSING, ValueGenerator
from emulator.openapi.loader import SpecDocument
from emulator.openapi.synth import Synthesizer

FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER

CALLER_SCHEMAS: list[dict[str, Any]] = [
    {"type": "array", "prefixItems": [{"type": "integer", "minimum": 3, "maximum": 3}, {"const": "x"}], "items": False},
    {"type": "array", "items": {"enum": [1, 2, 3]}, "minItems": 3, "uniqueItems": True},
    {"type": "array", "items": {"type": "string", "minLength": 2}, "minItems": 6, "uniqueItems": True},
    {"type": "integer", "maximum": -5},
    {"type": "object", "properties": {"child": {"$ref": "#"}, "name": {"type": "string"}}, "required": ["name"]},
    {"$defs": {"n": {"type": "integer", "multipleOf": 5, "minimum": 10, "maximum": 30}}, "type": "array", "items": {"$ref": "#/$defs/n"}, "minItems": 2},
    {"type": "object", "properties": {f: {"type": "string", "format": f} for f in (
        "date-time", "date", "time", "email", "uri", "uri-reference", "iri", "iri-reference", "uri-template", "uuid",
        "ipv4", "ipv6", "hostname", "json-pointer", "relative-json-pointer", "duration", "regex")}, "required": ["uuid"]},
    {"oneOf": [{"type": "object", "properties": {"kind": {"const": "a"}}, "required": ["kind"]},
               {"type": "object", "properties": {"kind": {"const": "b"}, "n": {"type": "integer"}}, "required": ["kind", "n"]}]},
    {"type": "string", "pattern": "^ID-[^\\s]{4,6}$"},
]


@pytest.mark.parametrize("schema", CALLER_SCHEMAS)
def test_caller_schemas_get_valid_values(schema: dict[str, Any]) -> None:
    for key in ("a", "b", "c", "d"):
        value = structured.value_for_schema(schema, key)
        jsonschema.Draft202012Validator(schema, format_checker=FORMATS).validate(value)
        assert structured.value_for_schema(schema, key) == value


def test_conversation_hints_are_used_only_where_they_validate() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "query": {"type": "string"}, "town": {"type": "string", "maxLength": 3},
                                               "unit": {"enum": ["c", "f"]}}, "required": ["city", "query", "town", "unit"]}
    value = structured.value_for_schema(schema, "k", {"_place": "Berlin", "_query": "weather in berlin"})
    assert value["city"] == "Berlin" and value["query"] == "weather in berlin"
    assert value["town"] != "Berlin" and len(value["town"]) <= 3 and value["unit"] in ("c", "f")
    assert structured.value_for_schema(schema, "k", {"unit": "f"})["unit"] == "f"  # an exact field-name hint


def test_unsatisfiable_and_unusable_schemas_are_refused() -> None:
    with pytest.raises(structured.ConstraintError, match="^no value satisfies"):
        structured.value_for_schema({"type": "array", "items": {"type": "boolean"}, "minItems": 3, "uniqueItems": True}, "k")
    for schema, where in (({"type": "object", "properties": {"a": {"type": "nope"}}}, " at properties/a/type:"),
                          ({"type": "object", "required": "name"}, " at required:"),
                          ({"$ref": "#/$defs/missing"}, ":"),
                          ({"$ref": "https://example.invalid/schema.json"}, ":")):
        with pytest.raises(ValidationFailed) as err:
            structured.check_schema(schema, "/response_format")
        item = err.value.items[0]
        assert item.pointer == "/response_format" and item.detail.startswith(f"Invalid JSON Schema{where}")
    assert structured.is_valid(1, {"type": "integer"}) and not structured.is_valid("1", {"type": "integer"})
    assert not structured.is_valid(1, {"type": "nope"})


def test_guided_regex_and_schema_patterns_share_one_sampler() -> None:
    rng = random.Random(1)
    assert re.fullmatch(r"(yes|no|maybe)", patterns.sample(r"(yes|no|maybe)", rng, full=True))
    assert structured.regex_sample(r"[^aeiou ]{3,6}", "k") == patterns.sample(r"[^aeiou ]{3,6}", structured.rng_for("regex", "k"), full=True)
    with pytest.raises(patterns.PatternError, match="unsupported"):
        patterns.sample(r"(?<=a)b", rng)


def test_ai_gather_answers_come_from_the_generator_and_read_back() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "city": {"type": "string"},
                                               "plan": {"enum": ["gold", "silver"]}, "seats": {"type": "integer", "minimum": 5, "maximum": 9},
                                               "vip": {"type": "boolean"}, "callback": {"type": "webhook"}},
              "required": ["name", "age", "plan", "seats", "vip"]}
    for seed in range(5):
        result = ai_params.fake_result(schema, random.Random(seed))
        assert result["name"] in ai_params.NAMES and 18 <= result["age"] <= 80 and result["city"] in ai_params.CITIES
        assert ai_params.extract(schema, ai_params.utterance_for(result)) == result
        assert ai_params.is_valid(schema, result)
    assert ai_params.fake_result(schema, random.Random(3)) == ai_params.fake_result(schema, random.Random(3))
    assert ai_params.fake_value("age", {"type": "integer", "minimum": 90, "maximum": 95}, random.Random(0)) in range(90, 96)


def test_name_hints_are_the_only_difference_between_callers() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "count": {"type": "integer"}}, "required": ["name", "count"]}
    doc = SpecDocument(raw=schema, source="test")
    plain = ValueGenerator(doc).for_schema(schema, seed_key="k")
    assert Synthesizer(doc).for_schema(schema, seed_key="k") == plain

    def shout(name: str, sub: dict[str, Any], rng: random.Random) -> Any:
        return "ADA" if name == "name" else MISSING

    def silent(name: str, sub: dict[str, Any], rng: random.Random) -> Any:
        return MISSING if name == "name" else "not an integer"  # refused: it does not validate

    hinted = ValueGenerator(doc, name_hint=shout).for_schema(schema, seed_key="k")
    assert hinted["name"] == "ADA" and isinstance(hinted["count"], int)
    assert ValueGenerator(doc, name_hint=silent).for_schema(schema, seed_key="k") == plain
