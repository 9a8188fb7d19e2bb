"""The storability check (``http/storable.py``): its screen over the raw bytes may only skip the
walk when the walk would find nothing, whatever mix of brackets, exponents and digit runs."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from emulator.core.errors import ValidationFailed
from emulator.http.storable import MAX_DEPTH, check_storable


def _nested(depth: int) -> Any:
    """``depth`` levels, objects and lists alternating (each kind alone stays under the limit)."""
    value: Any = 1
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return value


def _check(value: Any) -> str | None:
    raw = orjson.dumps(value)
    try:
        check_storable(orjson.loads(raw), raw)
    except ValidationFailed as failed:
        return failed.items[0].kind
    return None


@pytest.mark.parametrize(("depth", "kind"), [(MAX_DEPTH, None), (MAX_DEPTH + 1, "too_deep"), (MAX_DEPTH + 5, "too_deep")])
def test_depth_counts_objects_and_lists_together(depth: int, kind: str | None) -> None:
    assert _check(_nested(depth)) == kind


def test_many_brackets_without_depth_are_storable() -> None:
    assert _check({"items": [{} for _ in range(200)], "lists": [[] for _ in range(200)]}) is None


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ({"n": 2**63 - 1}, None),
        ({"n": -(2**63)}, None),
        ({"n": 2**63}, "int_range"),
        ({"n": 1.5e3}, None),  # an exponent in range: the screen sends it to the walk, which accepts
        ({"text": "1e20 and 12345678901234567890 are only words here"}, None),
        ({"temperature": 0.7, "max_tokens": 256}, None),
    ],
)
def test_numbers(value: Any, kind: str | None) -> None:
    assert _check(value) == kind


@pytest.mark.parametrize("text", [b'{"n": 1e20}', b'{"n": 1E20}', b'{"n": 123456789012345678901234}', b'[[{"n": -1e19}]]'])
def test_out_of_range_numbers_as_clients_write_them(text: bytes) -> None:
    with pytest.raises(ValidationFailed) as failed:
        check_storable(orjson.loads(text), text)
    assert failed.value.items[0].kind == "int_range"
