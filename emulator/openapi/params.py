"""Parameter parsing (OpenAPI styles) and string → schema-type coercion.

Query strings, path segments, headers and form fields arrive as strings; before schema
validation they are deserialised by the parameter's style and cast to the types the schema
declares, the way openapi-core does it (``openapi_core/deserializing/styles``,
``openapi_core/casting/schemas``): ``int()``/``float()`` for integer/number, the same
truthy/falsy words for booleans, arrays item by item, objects property by property.

Two deliberate extensions (listed in tests/test_validation_parity.py): deepObject keys may nest
(``filter[created_at][gte]=...`` becomes ``{"created_at": {"gte": ...}}``; openapi-core reads
only the first bracket level), and an object parameter declared form-style is also read from
bracket keys, which is how SDKs send it (openapi-core then sees nothing).
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Mapping
from typing import Any

from emulator.openapi.index import Parameter
from emulator.openapi.loader import SpecDocument

TRUE_WORDS = ("y", "yes", "t", "true", "on", "1")
FALSE_WORDS = ("n", "no", "f", "false", "off", "0")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


class CastFailure(Exception):
    """A string could not be read as the schema's type; ``path`` is where, inside the value."""

    def __init__(self, value: Any, expected: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(f"{value!r} is not a valid {expected}")
        self.value = value
        self.expected = expected
        self.path = path


class Missing(Exception):
    """The parameter is absent from the request."""


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = value.lower()  # AttributeError for non-strings: a cast failure, as in openapi-core
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(word)


class Caster:
    """Casts parsed (string) values to the types the document's raw schema declares."""

    def __init__(self, doc: SpecDocument) -> None:
        self.doc = doc

    def cast(self, schema: Any, value: Any, path: tuple[str | int, ...] = (), depth: int = 0) -> Any:
        schema = self.doc.deref(schema)
        if value is None or not isinstance(schema, dict) or depth > 32:
            return value
        kind = schema.get("type")
        if isinstance(kind, list):
            # openapi-core cannot cast multi-type schemas at all; we try each type in turn.
            last: CastFailure | None = None
            for one in [k for k in kind if k != "null"] or ["null"]:
                try:
                    return self._cast_typed(one, schema, value, path, depth)
                except CastFailure as exc:
                    last = exc
            raise last or CastFailure(value, "value", path)
        if kind is None:
            return self._cast_any(schema, value, path, depth)
        return self._cast_typed(kind, schema, value, path, depth)

    def _cast_typed(self, kind: str, schema: dict[str, Any], value: Any, path: tuple[str | int, ...], depth: int) -> Any:
        try:
            if kind == "integer":
                number = int(value)
                if not INT64_MIN <= number <= INT64_MAX:  # what we could never store or serialize
                    raise CastFailure(value, "64-bit integer", path)
                return number
            if kind == "number":
                real = float(value)
                if not math.isfinite(real):
                    raise CastFailure(value, "finite number", path)
                return real
            if kind == "boolean":
                return _to_bool(value)
        except (ValueError, TypeError, AttributeError) as exc:
            raise CastFailure(value, kind, path) from exc
        if kind == "array":
            if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple)):
                raise CastFailure(value, "array", path)
            items = schema.get("items", {})
            return [self.cast(items, item, (*path, i), depth + 1) for i, item in enumerate(value)]
        if kind == "object":
            if not isinstance(value, dict):
                raise CastFailure(value, "object", path)
            return self._cast_properties(schema, dict(value), path, depth)
        return value

    def _cast_properties(self, schema: dict[str, Any], value: dict[str, Any], path: tuple[str | int, ...], depth: int) -> dict[str, Any]:
        for sub in schema.get("allOf") or []:
            sub = self.doc.deref(sub)
            if isinstance(sub, dict) and sub.get("type") == "object":
                with contextlib.suppress(CastFailure):  # openapi-core skips an allOf part that does not fit
                    value = self._cast_properties(sub, value, path, depth + 1)
        for name, prop in (schema.get("properties") or {}).items():
            if name in value:
                value[name] = self.cast(prop, value[name], (*path, name), depth + 1)
        return value

    def _cast_any(self, schema: dict[str, Any], value: Any, path: tuple[str | int, ...], depth: int) -> Any:
        for sub in schema.get("allOf") or []:
            with contextlib.suppress(CastFailure):
                value = self.cast(sub, value, path, depth + 1)
        for keyword in ("oneOf", "anyOf"):
            for sub in schema.get(keyword) or []:
                try:
                    return self.cast(sub, value, path, depth + 1)
                except CastFailure:
                    pass
        return value


def schema_type(doc: SpecDocument, schema: Any) -> str:
    schema = doc.deref(schema)
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "")
    return kind or ""


class QueryView:
    """The query string, indexed once per request: first value, all values, bracket groups."""

    __slots__ = ("items", "first", "_all")

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self.items = items
        self.first: dict[str, str] = {}
        for key, value in items:
            self.first.setdefault(key, value)
        self._all: dict[str, list[str]] | None = None

    def all(self, name: str) -> list[str]:
        if self._all is None:
            grouped: dict[str, list[str]] = {}
            for key, value in self.items:
                grouped.setdefault(key, []).append(value)
            self._all = grouped
        return self._all.get(name, [])


def deep_object(query: QueryView, name: str, exclude: frozenset[str] = frozenset()) -> tuple[dict[str, Any], list[str]]:
    """``name[a]=1&name[b][c]=2&name[d][]=x`` → ``{"a": "1", "b": {"c": "2"}, "d": ["x"]}``
    and the query keys consumed. A repeated plain key keeps its first value. Keys in ``exclude``
    belong to parameters declared with that literal bracketed name (``filter[name][eq]``)."""
    prefix = name + "["
    out: dict[str, Any] = {}
    used: list[str] = []
    for key, value in query.items:
        if not key.startswith(prefix) or key in exclude:
            continue
        tail = key[len(name):]
        parts = _BRACKETS.findall(tail)
        if "".join(f"[{p}]" for p in parts) != tail:
            continue  # not a well-formed bracket key
        appended = parts[-1] == ""
        if appended:
            parts = parts[:-1]
            if not parts:
                continue
        if key not in used:
            used.append(key)
        node = out
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            last = parts[-1]
            if appended:
                existing = node.get(last)
                if isinstance(existing, list):
                    existing.append(value)
                elif existing is None:
                    node[last] = [value]
            else:
                node.setdefault(last, value)
    return out, used


def read_parameter(
    param: Parameter,
    kind: str,
    query: QueryView,
    path_params: Mapping[str, str],
    headers: Mapping[str, str],
    literal_names: frozenset[str] = frozenset(),
) -> tuple[Any, list[str]]:
    """The raw (uncast) value of ``param`` per its style, and the query keys it consumed.

    Raises :class:`Missing` when absent, ``ValueError`` when it cannot be deserialised.
    """
    name = param.name
    if param.location == "query":
        if param.style == "deepObject":
            if kind != "object" or not param.explode:
                raise ValueError(f"deepObject needs an exploded object schema ({name})")
            value, used = deep_object(query, name, literal_names)
            if not used:
                raise Missing(name)
            return value, used
        if kind == "array":
            if param.explode and param.style == "form":
                values = query.all(name)
                if not values:
                    raise Missing(name)
                return list(values), [name]
            if name not in query.first:
                raise Missing(name)
            sep = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(param.style, ",")
            return query.first[name].split(sep), [name]
        if kind == "object":
            # Declared form-style, but SDKs (Telnyx's included) send objects as bracket keys.
            value, used = deep_object(query, name, literal_names)
            if used:
                return value, used
            if name not in query.first:
                raise Missing(name)
            raw = query.first[name]  # openapi-core's reading: "a=1&b=2" (explode) or "a,1,b,2"
            if param.explode:
                return {key: value for key, _, value in (part.partition("=") for part in raw.split("&"))}, [name]
            parts = raw.split(",")
            return dict(zip(parts[::2], parts[1::2], strict=False)), [name]
        if name not in query.first:
            raise Missing(name)
        return query.first[name], [name]
    if param.location == "path":
        if name not in path_params:
            raise Missing(name)
        raw = path_params[name]
        return (raw.split(",") if kind == "array" else raw), []
    if param.location == "header":
        header = headers.get(name)
        if header is None:
            raise Missing(name)
        return (header.split(",") if kind == "array" else header), []
    raise Missing(name)  # cookies are not validated

