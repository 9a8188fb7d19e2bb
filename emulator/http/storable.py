"""What the emulator can store: a request value that passes the document but could never be
serialized again (nested deeper than the JSON encoder goes, an integer beyond 64 bits) is
refused at the boundary with a 422 naming the field — accepted, it would make every later read
of the tenant's state, snapshots and persistence fail.

The limits are far beyond any real request: 64 levels of nesting (Telnyx's own schemas nest
fewer than 10), and numbers within the signed 64-bit range JSON encoders and SQLite keep exactly.
"""

from __future__ import annotations

import math
from typing import Any

from emulator.core.errors import ErrorItem, ValidationFailed

MAX_DEPTH = 64
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# A number that may be out of range is written with an exponent or with 19+ digits in a row:
# with digits mapped to "0", e/E to "e", both opening brackets to "[" and the rest to " ", one
# count and two substring searches over one translation find brackets, exponents and long runs
# (counting "[" and "{" in the raw body separately costs as much as the translation; a regular
# expression over it, ten times as much).
_CLASSES = bytes(
    ord("0") if chr(c).isdigit() and c < 128 else ord("e") if c in b"eE" else ord("[") if c in b"[{" else ord(" ")
    for c in range(256)
)
_OPENING, _EXPONENT, _LONG_RUN = b"[", b"0e", b"0" * 19


def _pointer(path: list[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def check_storable(value: Any, raw: bytes | None = None) -> None:
    """Raise a 422 naming the first place ``value`` cannot be stored; iterative (no recursion
    limit to hit on a hostile body).

    ``raw``, the JSON text ``value`` was parsed from, lets the common body skip the walk (a third
    of a chat request's CPU): with at most ``MAX_DEPTH`` brackets in all it cannot nest deeper,
    and with no exponent and no 19-digit run it holds no out-of-range number."""
    if raw is not None:
        classes = raw.translate(_CLASSES)
        if classes.count(_OPENING) <= MAX_DEPTH and _EXPONENT not in classes and _LONG_RUN not in classes:
            return
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise ValidationFailed(items=[ErrorItem(f"Nested deeper than {MAX_DEPTH} levels", pointer=_pointer(path[:MAX_DEPTH]), kind="too_deep")])
        if isinstance(node, dict):
            stack.extend((v, [*path, str(k)]) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, [*path, i]) for i, v in enumerate(node))
        elif isinstance(node, bool) or node is None or isinstance(node, str):
            continue
        elif isinstance(node, int) and not INT64_MIN <= node <= INT64_MAX:
            raise ValidationFailed(items=[ErrorItem("Integer outside the 64-bit range", pointer=_pointer(path), kind="int_range")])
        elif isinstance(node, float) and (not math.isfinite(node) or abs(node) >= 2**63 and node == int(node)):
            # orjson reads 10**20 as the float 1e20, which a handler's int() turns into a 67-bit int
            raise ValidationFailed(items=[ErrorItem("Number outside the 64-bit range", pointer=_pointer(path), kind="int_range")])
