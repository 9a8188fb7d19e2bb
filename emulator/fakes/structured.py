"""Constrained output: values that satisfy a caller's JSON Schema, strings that match a regex.

Used by the model engine for ``response_format`` / ``guided_*`` and for tool-call arguments.
The schema walking is :class:`~emulator.openapi.generator.ValueGenerator`'s (the same generator
that synthesizes document responses), with the caller's schema as the root its refs resolve
against; the regex sampling is :mod:`emulator.openapi.patterns`'. What is this module's own:

* the conversation *hints* — a property named like a place or a query echoes what the user
  said, so a weather tool called after "weather in Berlin?" gets ``{"city": "Berlin"}``;
* the contract with the wire formats: a schema is checked (2020-12, with jsonschema-rs) before
  use and refused with a 422 naming where it came from, and every value is checked against its
  schema before it leaves — a generator gap surfaces as a 422 "no value satisfies this
  schema", never as silently invalid output.

Everything is seeded: the same (schema, seed key) always gives the same value.

A voice agent sends the same tool and output schemas on every turn, so everything derived from a
schema alone — whether it is usable, its compiled validator, the generator with its per-schema
caches — is kept per schema (keyed by the schema's JSON bytes, bounded) instead of redone per
request.
"""

from __future__ import annotations

import functools
import hashlib
import random
from typing import Any

import jsonschema_rs
import orjson

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.openapi import patterns
from emulator.openapi.compose import no_fetch
from emulator.openapi.generator import MISSING, ValueGenerator
from emulator.openapi.loader import SpecDocument, SpecLoadError

PLACE_WORDS = ("city", "location", "place", "town")
QUERY_WORDS = ("query", "search", "question", "text", "prompt")


class ConstraintError(ValueError):
    """A constraint we cannot honour (bad schema, unsupported regex); becomes a 422."""


def rng_for(*parts: object) -> random.Random:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _compile(schema: Any) -> jsonschema_rs.Draft202012Validator:
    """A 2020-12 validator whatever ``$schema`` says (formats annotation-only, as the wire APIs
    treat a caller's values); compiling checks the schema against the meta-schema, its patterns
    and its references, and raises ``jsonschema_rs.ValidationError`` (a ValueError) if not."""
    return jsonschema_rs.Draft202012Validator(schema, retriever=no_fetch)


CACHED_SCHEMAS = 512  # distinct caller schemas kept (each: verdict, validator, generator)


def _key(schema: Any) -> bytes | None:
    """The cache key of a caller's schema: its JSON bytes (None: not JSON-able, do not cache)."""
    try:
        return orjson.dumps(schema)
    except TypeError:
        return None


@functools.lru_cache(maxsize=CACHED_SCHEMAS)
def _compiled(key: bytes) -> jsonschema_rs.Draft202012Validator | str:
    """The compiled validator for the schema ``key`` encodes, or (invalid schema) the 422 detail."""
    try:
        return _compile(orjson.loads(key))
    except jsonschema_rs.ValidationError as exc:
        return _invalid_detail(exc)
    except ValueError as exc:  # jsonschema_rs.ValidationError is one; other compile failures
        return f"\x00{exc}"  # not a meta-schema violation: is_valid says False, check_schema re-raises


def _invalid_detail(exc: jsonschema_rs.ValidationError) -> str:
    where = "/".join(str(p) for p in exc.instance_path)
    return f"Invalid JSON Schema{' at ' + where if where else ''}: {exc.message}"


@functools.lru_cache(maxsize=CACHED_SCHEMAS)
def _generator(key: bytes) -> tuple[dict[str, Any], ValueGenerator]:
    """One generator per schema (its own parsed copy as the root, so its identity-keyed caches
    hit on every later request with the same schema)."""
    schema = orjson.loads(key)
    return schema, ValueGenerator(SpecDocument(raw=schema, source="caller schema"))


# ---------------------------------------------------------------------------------------------
# JSON Schema


def check_schema(schema: Any, pointer: str) -> None:
    """Raise a 422 naming ``pointer`` unless ``schema`` is a usable JSON Schema (2020-12)."""
    if not isinstance(schema, dict):
        raise ValidationFailed(items=[ErrorItem("The JSON Schema must be an object.", pointer=pointer, kind="type_error")])
    key = _key(schema)
    if key is not None:
        found = _compiled(key)
        if not isinstance(found, str):
            return
        if not found.startswith("\x00"):
            raise ValidationFailed(items=[ErrorItem(found, pointer=pointer, kind="value_error.jsonschema")])
    try:
        _compile(schema)
    except jsonschema_rs.ValidationError as exc:
        raise ValidationFailed(items=[ErrorItem(_invalid_detail(exc), pointer=pointer, kind="value_error.jsonschema")]) from exc


def is_valid(value: Any, schema: dict[str, Any]) -> bool:
    """Does ``value`` satisfy ``schema``? (False for a schema that does not compile.)"""
    key = _key(schema)
    try:
        if key is not None:
            found = _compiled(key)
            return not isinstance(found, str) and bool(found.is_valid(value))
        return bool(_compile(schema).is_valid(value))
    except ValueError:  # jsonschema_rs.ValidationError: the schema itself is not valid
        return False


class SchemaFaker:
    """Seeded values for a caller's JSON Schema, echoing the conversation where it fits.

    ``hints`` maps lower-case property names to preferred string values, plus ``_place`` (a
    place the user mentioned, for city/location-like fields) and ``_query`` (what they asked,
    for query/search-like fields). A hint is used only where it validates.
    """

    def __init__(self, seed_key: str, hints: dict[str, str] | None = None) -> None:
        self.seed_key = seed_key
        self.hints = hints or {}

    def value(self, schema: dict[str, Any]) -> Any:
        """A value for ``schema``, checked (formats asserted: ours are real) before it leaves."""
        key = _key(schema)
        if key is None:
            generator = ValueGenerator(SpecDocument(raw=schema, source="caller schema"))
        else:
            schema, generator = _generator(key)
        out = generator.for_schema(schema, seed_key=f"schema|{self.seed_key}", name_hint=self._hint)
        if not generator.validates(schema, out):
            raise ConstraintError("could not generate a value satisfying the schema")
        return out

    def _hint(self, name: str, schema: dict[str, Any], rng: random.Random) -> Any:
        lowered = name.lower()
        if lowered in self.hints:
            return self.hints[lowered]
        if any(k in lowered for k in PLACE_WORDS) and self.hints.get("_place"):
            return self.hints["_place"]
        if any(k in lowered for k in QUERY_WORDS) and self.hints.get("_query"):
            return self.hints["_query"]
        return MISSING


def value_for_schema(schema: dict[str, Any], seed_key: str, hints: dict[str, str] | None = None) -> Any:
    try:
        return SchemaFaker(seed_key, hints).value(schema)
    except (ConstraintError, RecursionError, TypeError, ValueError, SpecLoadError) as exc:
        raise ConstraintError(f"no value satisfies this schema ({exc})") from exc


# ---------------------------------------------------------------------------------------------
# Regex


def regex_sample(pattern: str, seed_key: str) -> str:
    """A string that fully matches ``pattern`` (within :mod:`emulator.openapi.patterns`' subset)."""
    try:
        return patterns.sample(pattern, rng_for("regex", seed_key), full=True)
    except patterns.PatternError as exc:
        raise ConstraintError(str(exc)) from exc
