"""OpenAPI Schema Objects → JSON Schema 2020-12, compiled once with jsonschema-rs.

openapi-core (with openapi-schema-validator) is the reference for what a request schema means;
this module reproduces its semantics in a form jsonschema-rs compiles natively:

* every ``components/schemas`` entry becomes ``$defs/<name>`` of one registry resource, so a
  ``$ref`` is resolved once at compile time, never per request;
* OpenAPI 3.0 ``nullable`` / boolean ``exclusiveMinimum``/``exclusiveMaximum`` become their
  2020-12 forms (3.1 documents keep the stock 2020-12 meaning, as openapi-core's OAS31 validator
  does — ``nullable`` is not a 3.1 keyword);
* a ``discriminator`` on ``oneOf``/``anyOf``/``allOf`` selects exactly one schema by the
  property's value, as openapi-schema-validator does, instead of trying every branch — this also
  gives precise errors (``/messages/0/content``) instead of "not valid under any of the schemas";
* ``readOnly`` properties are dropped from ``required`` (a client never sends them);
* ``format`` is checked only for the formats openapi-core checks (see :data:`CHECKED_FORMATS`),
  with the same predicates where jsonschema-rs's own are stricter.
"""

from __future__ import annotations

import binascii
import calendar
import ipaddress
import logging
import re
from base64 import b64decode
from collections.abc import Callable
from datetime import datetime
from typing import Any

import jsonschema_rs
import orjson

from emulator.openapi.loader import SpecDocument, SpecLoadError

log = logging.getLogger("emulator")

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_COMPONENT_PREFIX = "#/components/schemas/"


# RFC 3339 as jsonschema checks it (the rfc3339-validator package): no leap seconds, any case.
_RFC3339 = re.compile(
    r"^(\d{4})-(0[1-9]|1[0-2])-(\d{2})T(?:[01]\d|2[0123]):[0-5]\d:[0-5]\d(?:\.\d+)?"
    r"(?:Z|[+-](?:[01]\d|2[0123]):[0-5]\d)$",
    re.ASCII,
)


def _date_time(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    match = _RFC3339.match(value.upper())
    if match is None:
        return False
    year, month, day = map(int, match.groups())
    return bool(year) and 1 <= day <= calendar.monthrange(year, month)[1]


def _time(value: Any) -> bool:
    # jsonschema's global "time" check is its draft-3 one (HH:MM:SS, no zone), and that is the
    # one openapi-core's format checker ends up with.
    if not isinstance(value, str):
        return True
    try:
        datetime.strptime(value, "%H:%M:%S")  # noqa: DTZ007 - a format check, not a time
    except ValueError:
        return False
    return True


def _email(value: Any) -> bool:  # jsonschema's check: an "@" anywhere
    return not isinstance(value, str) or "@" in value


def _byte(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        b64decode(value.encode("ascii", errors="strict"), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _ipv4(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        return isinstance(ipaddress.ip_address(value), ipaddress.IPv4Address)
    except ValueError:
        return False


def _ipv6(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return isinstance(address, ipaddress.IPv6Address) and not getattr(address, "scope_id", None)


# Formats openapi-core 0.23 checks on requests (OAS30ReadValidator.FORMAT_CHECKER, which it uses
# for 3.1 too): jsonschema's FormatChecker minus the checks whose optional packages are absent
# (uri, hostname, json-pointer, ...), plus OpenAPI's own. Other formats are annotations.
_PY_FORMATS: dict[str, Callable[[Any], bool]] = {
    "date-time": _date_time,
    "time": _time,
    "email": _email,
    "idn-email": _email,
    "byte": _byte,
    "ipv4": _ipv4,
    "ipv6": _ipv6,
}
_NATIVE_FORMATS = frozenset({"date", "uuid", "regex"})
CHECKED_FORMATS = frozenset(_PY_FORMATS) | _NATIVE_FORMATS
# int32/int64 become minimum/maximum (jsonschema-rs calls format checks for strings only);
# "float", "double", "binary" and "password" always pass in openapi-core; idn-hostname is rare
# enough to leave out.
_BASE_URI = "urn:telnyx-emulator:request-schemas"
_OPTIONS: dict[str, Any] = {"validate_formats": True, "formats": _PY_FORMATS, "ignore_unknown_formats": True}
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}

_FALSY = ["", 0, False, None, [], {}]
_EXCLUSIVE = {"minimum": "exclusiveMinimum", "maximum": "exclusiveMaximum"}


class SchemaConverter:
    """Converts the document's schemas; one instance per document (no shared state)."""

    def __init__(self, doc: SpecDocument) -> None:
        self.doc = doc
        self.v30 = doc.openapi_version.startswith("3.0")
        self.components: dict[str, Any] = (doc.raw.get("components") or {}).get("schemas") or {}
        self.defs: dict[str, Any] = {}
        self._inlining: set[str] = set()
        self._patterns: dict[str, bool] = {}
        for name, schema in self.components.items():
            self.defs[name] = self.convert(schema)

    # -- the walk -----------------------------------------------------------------------------
    def convert(self, node: Any) -> Any:
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict):
            return {}
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref":
                target = self._ref_schema(value)
                if "$ref" in target:
                    out["$ref"] = target["$ref"]
                elif target:
                    out.setdefault("allOf", []).append(target)
            elif key in ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas"):
                if isinstance(value, dict):
                    out[key] = {k: self.convert(v) for k, v in value.items()}
            elif key in ("items", "additionalProperties", "not", "if", "then", "else", "contains",
                         "propertyNames", "unevaluatedProperties", "unevaluatedItems",
                         "additionalItems", "contentSchema"):
                out[key] = self.convert(value) if isinstance(value, (dict, bool)) else value
                if key == "items" and isinstance(value, list):  # draft-4 style tuple items
                    out["prefixItems"] = [self.convert(v) for v in value]
                    del out["items"]
            elif key in ("allOf", "anyOf", "oneOf", "prefixItems"):
                if isinstance(value, list):
                    out[key] = [self.convert(v) for v in value]
            elif key == "pattern":
                if self._pattern_ok(value):
                    out["pattern"] = value
            elif key == "format":
                if value in CHECKED_FORMATS:
                    out["format"] = value
                elif value in _INT_RANGES and self._is_integer(node):
                    low, high = _INT_RANGES[value]
                    out["minimum"] = max(low, node.get("minimum", low)) if isinstance(node.get("minimum", low), (int, float)) else low
                    out["maximum"] = min(high, node.get("maximum", high)) if isinstance(node.get("maximum", high), (int, float)) else high
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
                bound = "minimum" if key == "exclusiveMinimum" else "maximum"
                if value and bound in node:
                    out[key] = node[bound]
            elif key in ("minimum", "maximum") and node.get(_EXCLUSIVE[key]) is True:
                continue  # folded into exclusiveMinimum/exclusiveMaximum above
            elif key in ("example", "examples", "description", "title", "discriminator", "xml",
                         "externalDocs", "deprecated", "nullable", "$schema", "$id", "$anchor",
                         "$dynamicAnchor", "$comment") or key.startswith("x-"):
                continue  # annotations (or rewritten below); $id would re-base our refs
            else:
                out[key] = value
        if self.v30 and node.get("nullable") is True:
            self._nullable(out)
        if isinstance(node.get("required"), list) and isinstance(node.get("properties"), dict):
            required = [r for r in node["required"] if not self._read_only(node["properties"].get(r))]
            if required:
                out["required"] = required
            else:
                out.pop("required", None)
        disc = node.get("discriminator")
        if isinstance(disc, dict) and isinstance(disc.get("propertyName"), str):
            for keyword in ("oneOf", "anyOf", "allOf"):
                if isinstance(node.get(keyword), list):
                    out.pop(keyword, None)
                    out.setdefault("allOf", []).append(self._discriminated(disc, node[keyword]))
                    break
        return out

    def _pattern_ok(self, pattern: Any) -> bool:
        """jsonschema-rs refuses a schema whose regex it cannot compile; such a pattern (rare: a
        Python-only construct) is left unchecked, with a warning, instead of the whole schema."""
        if not isinstance(pattern, str):
            return False
        ok = self._patterns.get(pattern)
        if ok is None:
            try:
                jsonschema_rs.validator_for({"pattern": pattern})
                ok = True
            except Exception:  # noqa: BLE001 - the library's error type for bad schemas varies
                log.warning("%s: pattern %r is not supported and will not be checked", self.doc.source, pattern)
                ok = False
            self._patterns[pattern] = ok
        return ok

    @staticmethod
    def _is_integer(node: dict[str, Any]) -> bool:
        kind = node.get("type")
        return kind == "integer" or (isinstance(kind, list) and "integer" in kind)

    def _ref_schema(self, ref: Any) -> dict[str, Any]:
        """A ``$ref`` to a component stays a reference (into ``$defs``); another local reference
        is inlined; an unresolvable or remote one checks nothing (we never fetch)."""
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return {}
        if ref.startswith(_COMPONENT_PREFIX):
            name = ref[len(_COMPONENT_PREFIX):]
            if name.replace("~1", "/").replace("~0", "~") in self.components and "/" not in name:
                return {"$ref": "#/$defs/" + name}
        if ref in self._inlining:
            return {}  # a recursive non-component reference: stop rather than loop
        try:
            target = self.doc.resolve(ref)
        except SpecLoadError:
            return {}
        self._inlining.add(ref)
        try:
            converted = self.convert(target)
        finally:
            self._inlining.discard(ref)
        return converted if isinstance(converted, dict) else {}

    def _read_only(self, prop: Any) -> bool:
        prop = self.doc.deref(prop) if isinstance(prop, dict) else prop
        return isinstance(prop, dict) and prop.get("readOnly") is True

    @staticmethod
    def _nullable(out: dict[str, Any]) -> None:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if "type" not in out and any(k in out for k in ("allOf", "oneOf", "anyOf", "$ref")):
            rest = {k: out.pop(k) for k in list(out) if k in ("allOf", "oneOf", "anyOf", "$ref")}
            out["anyOf"] = [{"type": "null"}, rest]

    def _discriminated(self, disc: dict[str, Any], branches: list[Any]) -> dict[str, Any]:
        """openapi-schema-validator's discriminator: the property must be present and truthy, and
        the instance is validated against the one schema its value maps to (explicitly, or by
        component name)."""
        prop = disc["propertyName"]
        mapping: dict[str, str] = {str(k): v for k, v in (disc.get("mapping") or {}).items() if isinstance(v, str)}
        for branch in branches:  # implicit mapping: the component's own name
            ref = branch.get("$ref") if isinstance(branch, dict) else None
            if isinstance(ref, str) and ref.startswith(_COMPONENT_PREFIX):
                mapping.setdefault(ref[len(_COMPONENT_PREFIX):], ref)
        chain: dict[str, Any] = {"properties": {prop: {"enum": sorted(mapping)}}}
        for value in sorted(mapping, reverse=True):
            chain = {
                "if": {"properties": {prop: {"const": value}}, "required": [prop]},
                "then": self._ref_schema(mapping[value]),
                "else": chain,
            }
        return {
            "type": "object",
            "required": [prop],
            "allOf": [{"properties": {prop: {"not": {"enum": _FALSY}}}}, chain],
        }


class CompiledSchemas:
    """All of a document's request schemas, compiled in one jsonschema-rs pass.

    ``add(schema)`` registers an operation-level schema (body, parameter) and returns its key;
    ``compile()`` builds every validator; ``get(key)`` returns one.
    """

    def __init__(self, doc: SpecDocument) -> None:
        self.converter = SchemaConverter(doc)
        self.doc_source = doc.source
        self._extra: dict[str, Any] = {}
        self._keys: dict[bytes, str] = {}  # identical schemas (a shared $ref) compile once
        self._compiled: dict[str, Any] = {}

    def add(self, schema: Any) -> str:
        converted = self.converter.convert(schema)
        fingerprint = orjson.dumps(converted, option=orjson.OPT_SORT_KEYS)
        key = self._keys.get(fingerprint)
        if key is None:
            key = self._keys[fingerprint] = f"__op{len(self._extra)}"
            self._extra[key] = converted
        return key

    def compile(self) -> None:
        """One registry resource holds every converted schema; each operation schema is then a
        ``$ref`` into it, compiled with its own closure only (10x faster than compiling every
        subschema of the document: ~0.05 s for the full published document)."""
        root = {"$schema": DIALECT, "$defs": {**self.converter.defs, **self._extra}}
        registry = jsonschema_rs.Registry([(_BASE_URI, root)])
        for key in self._extra:
            try:
                self._compiled[key] = jsonschema_rs.validator_for(
                    {"$schema": DIALECT, "$ref": f"{_BASE_URI}#/$defs/{key}"}, registry=registry, offline=True, **_OPTIONS
                )
            except Exception as exc:  # noqa: BLE001 - degrade this one schema, never fail start-up
                log.warning("%s: a request schema cannot be compiled and will not be checked: %s", self.doc_source, exc)
                self._compiled[key] = jsonschema_rs.validator_for({})

    def get(self, key: str) -> Any:
        """The compiled validator for a key returned by :meth:`add`."""
        return self._compiled[key]
