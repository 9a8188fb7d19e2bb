"""Constrained output: values that satisfy a JSON Schema, strings that match a regex.

Used by the model engine for ``response_format`` / ``guided_*`` and for tool-call arguments.
Everything is seeded: the same (schema, seed key) always gives the same value, and every value
produced is checked against its constraint before it leaves (a generator bug must surface as a
failed check, never as silently invalid output).

Regex subset (``guided_regex``): literals, ``.``, classes ``[...]`` (ranges, negation),
``\\d \\w \\s`` (and negations), groups, alternation, ``? * + {m} {m,n}`` (unbounded repeats stop at
min+3), anchors ``^ $ \\b``. Look-arounds and back-references are refused with a 422.
"""

from __future__ import annotations

import hashlib
import random
import re
import string
from typing import Any

try:  # Python 3.11+: the parser moved under re._parser
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

import jsonschema
from jsonschema.exceptions import SchemaError

from emulator.core.errors import ErrorItem, ValidationFailed


class ConstraintError(ValueError):
    """A constraint we cannot honour (bad schema, unsupported regex); becomes a 422."""


def rng_for(*parts: object) -> random.Random:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


# ---------------------------------------------------------------------------------------------
# JSON Schema


def check_schema(schema: Any, pointer: str) -> None:
    """Raise a 422 naming ``pointer`` unless ``schema`` is a valid JSON Schema (2020-12)."""
    if not isinstance(schema, dict):
        raise ValidationFailed(items=[ErrorItem("The JSON Schema must be an object.", pointer=pointer, kind="type_error")])
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path)
        detail = f"Invalid JSON Schema{' at ' + where if where else ''}: {exc.message}"
        raise ValidationFailed(items=[ErrorItem(detail, pointer=pointer, kind="value_error.jsonschema")]) from exc


def is_valid(value: Any, schema: dict[str, Any]) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(value)


_WORDS = ("alpha", "amber", "cedar", "delta", "ember", "harbor", "juniper", "maple", "nova", "orbit", "pine", "river", "summit", "willow")
_CITIES = ("Chicago", "Dublin", "Austin", "Berlin", "Toronto", "Sydney", "Lisbon", "Denver")


class SchemaFaker:
    """Seeded values for a JSON Schema (objects, arrays, enums, formats, bounds, combinators).

    ``hints`` maps lower-case property names to preferred string values (e.g. a city the user
    mentioned), so tool arguments echo the conversation where the schema allows it.
    """

    def __init__(self, seed_key: str, hints: dict[str, str] | None = None) -> None:
        self.rng = rng_for("schema", seed_key)
        self.hints = hints or {}
        self.root: dict[str, Any] = {}

    def value(self, schema: dict[str, Any]) -> Any:
        self.root = schema
        out = self._gen(schema, "", 0)
        if not is_valid(out, schema):
            raise ConstraintError("could not generate a value satisfying the schema")
        return out

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            node: Any = self.root
            for part in ref[2:].split("/"):
                node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
            merged = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
            return merged
        return schema

    def _gen(self, schema: Any, name: str, depth: int) -> Any:
        if schema is True or not isinstance(schema, dict):
            return self._word()
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema and schema["enum"]:
            return self.rng.choice(schema["enum"])
        for key in ("oneOf", "anyOf"):
            if schema.get(key):
                return self._gen(schema[key][0], name, depth)
        if schema.get("allOf"):
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                part = self._resolve(part) if isinstance(part, dict) else {}
                props = {**merged.get("properties", {}), **part.get("properties", {})}
                req = [*merged.get("required", []), *part.get("required", [])]
                merged.update(part)
                merged["properties"], merged["required"] = props, req
            return self._gen(merged, name, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, name, depth)
        if kind == "integer":
            return self._integer(schema)
        if kind == "number":
            return self._number(schema)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(schema, name)

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        for key, sub in props.items():
            # Depth-limit optional members so recursive schemas terminate.
            if key in required or depth < 3:
                out[key] = self._gen(sub, key, depth + 1)
        for key in required - set(out):
            out[key] = self._word()
        return out

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        low = int(schema.get("minItems", 1 if depth < 3 else 0))
        high = int(schema.get("maxItems", max(low, 2)))
        size = self.rng.randint(low, max(low, min(high, low + 2)))
        items = schema.get("items", {})
        prefix = schema.get("prefixItems") or []
        out = [self._gen(p, name, depth + 1) for p in prefix][:size]
        while len(out) < size:
            value = self._gen(items, name, depth + 1)
            for _ in range(8):  # uniqueItems: redraw first (keeps enum/const members valid)
                if not schema.get("uniqueItems") or value not in out:
                    break
                value = self._gen(items, name, depth + 1)
            if schema.get("uniqueItems") and value in out:
                resolved = self._resolve(items) if isinstance(items, dict) else {}
                unused = [e for e in resolved.get("enum") or [] if e not in out]
                if unused:
                    value = unused[0]
                elif "enum" in resolved or "const" in resolved:
                    break  # no distinct member left: a shorter array (minItems permitting)
                elif isinstance(value, str):
                    value = f"{value}-{len(out)}"
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    value = value + len(out)
            out.append(value)
        return out

    def _integer(self, schema: dict[str, Any]) -> int:
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1 if "exclusiveMinimum" in schema else 0)
        high = schema.get("maximum", schema.get("exclusiveMaximum", 0) - 1 if "exclusiveMaximum" in schema else max(int(low), 0) + 100)
        low, high = int(-(-low // 1)), int(high // 1)
        value = self.rng.randint(low, max(low, high))
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            value = -(-value // step) * step
            if value > high:
                value -= step
        return value

    def _number(self, schema: dict[str, Any]) -> float:
        low = float(schema.get("minimum", schema.get("exclusiveMinimum", 0.0)))
        high = float(schema.get("maximum", schema.get("exclusiveMaximum", low + 100.0)))
        value = round(low + (high - low) * (0.1 + 0.8 * self.rng.random()), 2)
        return min(max(value, low), high)

    def _string(self, schema: dict[str, Any], name: str) -> str:
        fmt = schema.get("format")
        if isinstance(schema.get("pattern"), str):
            try:
                return regex_sample(schema["pattern"], f"{name}|{self.rng.random()}")
            except ConstraintError:
                pass
        formats = {
            "date-time": "2024-05-01T12:00:00Z",
            "date": "2024-05-01",
            "time": "12:00:00",
            "email": f"{self._word()}@example.com",
            "uri": f"https://example.com/{self._word()}",
            "url": f"https://example.com/{self._word()}",
            "uuid": str(__import__("uuid").UUID(int=self.rng.getrandbits(128), version=4)),
            "ipv4": f"192.0.2.{self.rng.randint(1, 254)}",
        }
        if fmt in formats:
            return formats[fmt]
        lowered = name.lower()
        value = self.hints.get(lowered)
        if value is None:
            if any(k in lowered for k in ("city", "location", "place", "town")):
                value = self.hints.get("_place") or self.rng.choice(_CITIES)
            elif any(k in lowered for k in ("query", "search", "question", "text", "prompt")):
                value = self.hints.get("_query") or self._word()
            elif "phone" in lowered or lowered in ("to", "from", "number"):
                value = f"+1312555{self.rng.randint(0, 9999):04d}"
            elif "name" in lowered:
                value = self.rng.choice(("Alex Morgan", "Sam Rivera", "Jordan Lee", "Casey Kim"))
            else:
                value = self._word()
        low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
        while len(value) < low:
            value += "x"
        if isinstance(high, int):
            value = value[:high]
        return value

    def _word(self) -> str:
        return self.rng.choice(_WORDS)


def value_for_schema(schema: dict[str, Any], seed_key: str, hints: dict[str, str] | None = None) -> Any:
    try:
        return SchemaFaker(seed_key, hints).value(schema)
    except (ConstraintError, RecursionError, TypeError, ValueError) as exc:
        raise ConstraintError(f"no value satisfies this schema ({exc})") from exc


# ---------------------------------------------------------------------------------------------
# Regex

_CATEGORY_CHARS = {
    sre_constants.CATEGORY_DIGIT: string.digits,
    sre_constants.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    sre_constants.CATEGORY_SPACE: " ",
    sre_constants.CATEGORY_NOT_DIGIT: string.ascii_letters,
    sre_constants.CATEGORY_NOT_WORD: " -.,",
    sre_constants.CATEGORY_NOT_SPACE: string.ascii_letters + string.digits,
}
_PRINTABLE = string.ascii_letters + string.digits + " -_.,"


class _RegexWriter:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.groups: dict[int, str] = {}

    def write(self, parsed: Any) -> str:
        return "".join(self._node(op, av) for op, av in parsed)

    def _class(self, items: list[Any]) -> str:
        negate = False
        allowed: list[str] = []
        for op, av in items:
            if op is sre_constants.NEGATE:
                negate = True
            elif op is sre_constants.LITERAL:
                allowed.append(chr(av))
            elif op is sre_constants.RANGE:
                allowed.extend(chr(c) for c in range(av[0], min(av[1], av[0] + 200) + 1))
            elif op is sre_constants.CATEGORY:
                allowed.extend(_CATEGORY_CHARS.get(av, ""))
            else:
                raise ConstraintError(f"unsupported class item {op}")
        if negate:
            pool = [c for c in _PRINTABLE if c not in allowed]
        else:
            pool = allowed
        if not pool:
            raise ConstraintError("empty character class")
        return self.rng.choice(pool)

    def _node(self, op: Any, av: Any) -> str:
        if op is sre_constants.LITERAL:
            return chr(av)
        if op is sre_constants.NOT_LITERAL:
            return self.rng.choice([c for c in _PRINTABLE if c != chr(av)])
        if op is sre_constants.ANY:
            return self.rng.choice(string.ascii_letters + string.digits)
        if op is sre_constants.IN:
            return self._class(av)
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, high, sub = av
            top = low + 3 if high == sre_constants.MAXREPEAT else min(high, low + 3)
            return "".join(self.write(sub) for _ in range(self.rng.randint(low, top)))
        if op is sre_constants.SUBPATTERN:
            group, _add, _del, sub = av
            text = self.write(sub)
            if group is not None:
                self.groups[group] = text
            return text
        if op is sre_constants.BRANCH:
            return self.write(self.rng.choice(av[1]))
        if op is sre_constants.AT:
            return ""
        if op is sre_constants.CATEGORY:
            return self.rng.choice(_CATEGORY_CHARS.get(av, "x"))
        raise ConstraintError(f"unsupported regex construct {str(op).lower()}")


def regex_sample(pattern: str, seed_key: str) -> str:
    """A string that fully matches ``pattern`` (within the documented subset)."""
    try:
        compiled = re.compile(pattern)
        parsed = sre_parse.parse(pattern)
    except re.error as exc:
        raise ConstraintError(f"invalid regular expression: {exc}") from exc
    rng = rng_for("regex", seed_key)
    for attempt in range(8):  # \b and negated classes can need a retry
        text = _RegexWriter(rng).write(parsed)
        if compiled.fullmatch(text):
            return text
    raise ConstraintError("could not generate a string matching the regular expression")
