"""jsonschema-rs errors → :class:`ErrorItem`s: one per violation, naming the field.

Messages are written for people ("Field required", "'foo' is not one of ['user', ...]") and the
``kind`` follows FastAPI/pydantic's error types, since most /ai/* operations answer in that style.
A missing property points at the property itself (``/messages``), not at its parent object.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from emulator.core.errors import ErrorItem
from emulator.openapi.index import Parameter
from emulator.openapi.params import CastFailure

_TYPE_KIND = {
    "string": "string_type",
    "integer": "int_type",
    "number": "float_type",
    "boolean": "bool_type",
    "object": "dict_type",
    "array": "list_type",
    "null": "none_required",
}
_TYPE_WORD = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}
_PARSING_KIND = {"integer": "int_parsing", "number": "float_parsing", "boolean": "bool_parsing"}
_BOUNDS = {
    "minimum": ("greater_than_equal", "greater than or equal to"),
    "maximum": ("less_than_equal", "less than or equal to"),
    "exclusiveMinimum": ("greater_than", "greater than"),
    "exclusiveMaximum": ("less_than", "less than"),
}
_MAX_REPR = 160


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


def _describe(error: Any) -> Iterator[tuple[list[str | int], str, str]]:
    """(instance path, message, kind) for one jsonschema-rs error (several for extra properties)."""
    path: list[str | int] = list(error.instance_path)
    name = error.kind.name
    data = error.kind.as_dict()
    instance = error.instance
    if name == "required":
        yield [*path, data["property"]], "Field required", "missing"
    elif name == "additionalProperties":
        for extra in data.get("unexpected") or []:
            yield [*path, extra], "Extra inputs are not permitted", "extra_forbidden"
    elif name == "enum":
        yield path, f"{_show(instance)} is not one of {_show(data.get('options'))}", "enum"
    elif name == "const":
        yield path, f"Input should be {_show(data.get('expected_value'))}", "literal_error"
    elif name == "type":
        types = data.get("types") or [data.get("type")]
        types = [t for t in types if t] or ["value"]
        real = [t for t in types if t != "null"] or types
        words = " or ".join(_TYPE_WORD.get(t, str(t)) for t in real)
        kind = _TYPE_KIND.get(real[0], "type_error") if len(real) == 1 else "type_error"
        yield path, f"Input should be {words}, got {_show(instance)}", kind
    elif name == "format":
        yield path, f"{_show(instance)} is not a valid {data.get('format')}", "value_error"
    elif name in _BOUNDS:
        kind, words = _BOUNDS[name]
        yield path, f"Input should be {words} {data.get('limit')}", kind
    elif name in ("minLength", "maxLength"):
        short = name == "minLength"
        yield path, (
            f"String should have at {'least' if short else 'most'} {data.get('limit')} characters"
        ), "string_too_short" if short else "string_too_long"
    elif name in ("minItems", "maxItems"):
        short = name == "minItems"
        yield path, f"List should have at {'least' if short else 'most'} {data.get('limit')} items", (
            "too_short" if short else "too_long"
        )
    elif name == "pattern":
        yield path, f"String should match pattern {data.get('pattern')!r}", "string_pattern_mismatch"
    elif name in ("oneOf", "anyOf", "oneOfNotValid"):
        yield from _union(path, instance, data.get("context") or [])
    elif name == "oneOfMultipleValid":
        yield path, f"{_show(instance)} matches more than one of the allowed shapes", "value_error"
    elif name == "falseSchema":
        yield path, "This field is not allowed here", "value_error"
    else:
        yield path, error.message, "value_error"


def _union(path: list[str | int], instance: Any, branches: list[list[Any]]) -> Iterator[tuple[list[str | int], str, str]]:
    """No branch of a oneOf/anyOf matched. If exactly one branch has the right type, its errors
    are the useful ones; if none has, say which types would do."""

    def type_miss(error: Any) -> bool:
        return error.kind.name == "type" and list(error.instance_path) == path

    fitting = [b for b in branches if b and not any(type_miss(e) for e in b)]
    if len(fitting) > 1:
        # Tagged unions without a discriminator: drop branches whose tag (an enum/const property
        # of this object) does not match; if none matches, the tag itself is the error.
        def tag_errors(branch: list[Any]) -> list[Any]:
            return [e for e in branch if e.kind.name in ("enum", "const") and len(e.instance_path) == len(path) + 1]

        tagged = [b for b in fitting if not tag_errors(b)]
        if not tagged:
            tags = {list(e.instance_path)[-1] for b in fitting for e in tag_errors(b)}
            if len(tags) == 1:
                allowed: list[Any] = []
                for b in fitting:
                    for e in tag_errors(b):
                        data = e.kind.as_dict()
                        for option in data.get("options") or [data.get("expected_value")]:
                            if option not in allowed:
                                allowed.append(option)
                tag = tags.pop()
                got = instance.get(tag) if isinstance(instance, dict) else None
                yield [*path, tag], f"{_show(got)} is not one of {_show(allowed)}", "enum"
                return
        fitting = tagged or fitting
    if len(fitting) == 1:
        for error in fitting[0]:
            yield from _describe(error)
        return
    if branches and all(b and all(e.kind.name == "required" and list(e.instance_path) == path for e in b) for b in branches):
        # "a or b required" (e.g. content, or tool_calls on an assistant message): the first is missing
        for error in branches[0]:
            yield from _describe(error)
        return
    if not fitting and branches and all(len(b) == 1 and type_miss(b[0]) for b in branches):
        types: list[str] = []
        for branch in branches:
            data = branch[0].kind.as_dict()
            for t in data.get("types") or [data.get("type")]:
                if t and t != "null" and t not in types:
                    types.append(t)
        words = " or ".join(_TYPE_WORD.get(t, str(t)) for t in types)
        yield path, f"Input should be {words}, got {_show(instance)}", "type_error"
        return
    yield path, f"{_show(instance)} does not match any of the allowed shapes", "value_error"


def _pointer(path: list[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def body_items(validator: Any, instance: Any) -> list[ErrorItem]:
    items: list[ErrorItem] = []
    for error in validator.iter_errors(instance):
        for path, message, kind in _describe(error):
            items.append(ErrorItem(message, pointer=_pointer(path), kind=kind))
    return items


def _param_name(param: Parameter, path: list[str | int] | tuple[str | int, ...]) -> str:
    if param.location == "query" and param.style == "deepObject":
        return param.name + "".join(f"[{p}]" for p in path)
    return param.name


def parameter_items(param: Parameter, validator: Any, value: Any) -> list[ErrorItem]:
    items: list[ErrorItem] = []
    for error in validator.iter_errors(value):
        for path, message, kind in _describe(error):
            items.append(ErrorItem(message, parameter=_param_name(param, path), location=param.location, kind=kind))
    return items


def body_cast_item(failure: CastFailure) -> ErrorItem:
    """A form field that cannot be read as its schema's type."""
    word = _TYPE_WORD.get(failure.expected, failure.expected)
    return ErrorItem(
        f"Input should be {word}, unable to parse {_show(failure.value)}",
        pointer=_pointer(list(failure.path)),
        kind=_PARSING_KIND.get(failure.expected, _TYPE_KIND.get(failure.expected, "type_error")),
    )


def cast_item(param: Parameter, failure: CastFailure) -> ErrorItem:
    word = _TYPE_WORD.get(failure.expected, failure.expected)
    return ErrorItem(
        f"Input should be {word}, unable to parse {_show(failure.value)}",
        parameter=_param_name(param, failure.path),
        location=param.location,
        kind=_PARSING_KIND.get(failure.expected, f"{failure.expected}_type"),
    )
