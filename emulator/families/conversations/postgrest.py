"""PostgREST-style query strings over in-memory records (``GET /ai/conversations``).

Supported, as PostgREST writes them:

* ``column=op.value`` with ``op`` in eq, neq, gt, gte, lt, lte, like, ilike, in, is — each
  negatable as ``not.op`` (``like``/``ilike`` take ``*`` or ``%`` as wildcards; ``in`` takes
  ``(a,b)``; ``is`` takes null/true/false);
* JSON fields as ``metadata->key`` (or ``->>``);
* ``or=(f.op.v,g.op.v)`` — any one of the conditions;
* ``order=col[.asc|.desc][.nullsfirst|.nullslast],...``, ``limit=N``, ``offset=N``.

A malformed filter or an unknown operator is a 422 naming the query parameter, never a silent
"no filter" — unless the caller's business rules only warn (``parse(on_bad=...)``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cmp_to_key
from typing import Any

from emulator.core.errors import ErrorItem, ValidationFailed

OPERATORS = ("eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is")
_RESERVED = {"order", "limit", "offset", "or", "and", "select"}


@dataclass
class Condition:
    column: str
    path: list[str]
    op: str
    value: str
    negate: bool = False


@dataclass
class Query:
    conditions: list[Condition] = field(default_factory=list)
    any_of: list[list[Condition]] = field(default_factory=list)
    order: list[tuple[str, list[str], bool, bool | None]] = field(default_factory=list)  # col, path, desc, nulls_first
    limit: int | None = None
    offset: int = 0


def _bad(param: str, message: str) -> ValidationFailed:
    return ValidationFailed(items=[ErrorItem(message, parameter=param, location="query")])


def _column(name: str, columns: set[str], json_columns: set[str], param: str) -> tuple[str, list[str]]:
    if "->" in name:
        base, _, rest = name.partition("->")
        path = [p.lstrip(">") for p in rest.split("->")]
        if base not in json_columns or not all(path):
            raise _bad(param, f"{name!r} is not a filterable JSON field; use one of {', '.join(f'{c}->key' for c in sorted(json_columns))}")
        return base, path
    if name not in columns:
        raise _bad(param, f"unknown column {name!r}; filter on one of {', '.join(sorted(columns | {c + '->key' for c in json_columns}))}")
    return name, []


def _condition(name: str, expr: str, columns: set[str], json_columns: set[str], param: str) -> Condition:
    column, path = _column(name, columns, json_columns, param)
    negate = False
    if expr.startswith("not."):
        negate, expr = True, expr[4:]
    op, dot, value = expr.partition(".")
    if not dot or op not in OPERATORS:
        raise _bad(param, f"{expr!r} is not 'operator.value'; operators: {', '.join(OPERATORS)} (optionally prefixed by not.)")
    if op == "in" and not (value.startswith("(") and value.endswith(")")):
        raise _bad(param, "the in operator takes a parenthesised list, e.g. in.(a,b)")
    if op == "is" and value.lower() not in ("null", "true", "false"):
        raise _bad(param, "the is operator takes null, true or false")
    return Condition(column, path, op, value, negate)


def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur:
        parts.append(cur)
    return parts


def parse(params: Iterable[tuple[str, str]], columns: set[str], json_columns: set[str], *, ignore: set[str] = frozenset(),  # type: ignore[assignment]
          on_bad: Callable[[ValidationFailed], None] | None = None) -> Query:
    """Parse ``params`` (name, value pairs as sent) into a :class:`Query`.

    ``on_bad`` receives the error of each malformed piece (the filter-syntax business rule): it
    raises to reject the request, or returns to go on — then a bare filter value counts as
    ``eq.<value>`` (what a client that does not know PostgREST means) and any other malformed
    piece is left out. Without it, the first malformed piece raises.
    """
    query = Query()
    for name, raw in params:
        if name in ignore:
            continue
        try:
            _parse_one(query, name, raw, columns, json_columns)
        except ValidationFailed as error:
            if on_bad is None:
                raise
            on_bad(error)
            if name not in _RESERVED and name not in ("limit", "offset"):
                with contextlib.suppress(ValidationFailed):  # an unknown column stays left out
                    query.conditions.append(_condition(name, f"eq.{raw}", columns, json_columns, name))
    return query


def _parse_one(query: Query, name: str, raw: str, columns: set[str], json_columns: set[str]) -> None:
    if name == "limit":
        if not raw.isdigit() or int(raw) < 1:
            raise _bad("limit", "limit must be a positive integer")
        query.limit = int(raw)
    elif name == "offset":
        if not raw.isdigit():
            raise _bad("offset", "offset must be a non-negative integer")
        query.offset = int(raw)
    elif name == "order":
        for term in raw.split(","):
            bits = term.strip().split(".")
            column, path = _column(bits[0], columns, json_columns, "order")
            desc, nulls = False, None
            for mod in bits[1:]:
                if mod in ("asc", "desc"):
                    desc = mod == "desc"
                elif mod in ("nullsfirst", "nullslast"):
                    nulls = mod == "nullsfirst"
                else:
                    raise _bad("order", f"unknown ordering modifier {mod!r}; use asc, desc, nullsfirst, nullslast")
            query.order.append((column, path, desc, nulls))
    elif name == "or":
        if not (raw.startswith("(") and raw.endswith(")")):
            raise _bad("or", "or takes a parenthesised list, e.g. or=(name.eq.a,name.eq.b)")
        group = []
        for part in _split_top(raw[1:-1]):
            field_name, dot, expr = part.partition(".")
            if not dot:
                raise _bad("or", f"{part!r} is not 'column.operator.value'")
            group.append(_condition(field_name, expr, columns, json_columns, "or"))
        query.any_of.append(group)
    elif name not in _RESERVED:
        query.conditions.append(_condition(name, raw, columns, json_columns, name))


def _get(record: dict[str, Any], column: str, path: list[str]) -> Any:
    value: Any = record.get(column)
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _coerce(a: Any, b: str) -> tuple[Any, Any]:
    """Compare like with like: numbers as numbers, timestamps as instants, else text."""
    if isinstance(a, bool):
        return str(a).lower(), b.lower()
    if isinstance(a, int | float):
        try:
            return float(a), float(b)
        except ValueError:
            return str(a), b
    text = "" if a is None else str(a)
    try:
        da = datetime.fromisoformat(text.replace("Z", "+00:00"))
        db = datetime.fromisoformat(b.replace("Z", "+00:00"))
        if (da.tzinfo is None) == (db.tzinfo is None):
            return da, db
    except ValueError:
        pass
    return text, b


def _like(value: Any, pattern: str, insensitive: bool) -> bool:
    regex = "".join(".*" if ch in "*%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, "" if value is None else str(value), re.IGNORECASE | re.DOTALL if insensitive else re.DOTALL) is not None


def _holds(record: dict[str, Any], c: Condition) -> bool:
    value = _get(record, c.column, c.path)
    if c.op == "is":
        want = {"null": None, "true": True, "false": False}[c.value.lower()]
        result = value is want if want is None else value == want or str(value).lower() == c.value.lower()
    elif c.op == "in":
        result = str(value) in [v.strip().strip('"') for v in _split_top(c.value[1:-1])]
    elif c.op in ("like", "ilike"):
        result = _like(value, c.value, c.op == "ilike")
    elif value is None:
        result = False
    else:
        a, b = _coerce(value, c.value)
        try:
            result = {"eq": a == b, "neq": a != b, "gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[c.op]
        except TypeError:
            result = False
    return not result if c.negate else result


def apply(records: list[dict[str, Any]], query: Query) -> list[dict[str, Any]]:
    out = [r for r in records if all(_holds(r, c) for c in query.conditions) and all(any(_holds(r, c) for c in g) for g in query.any_of)]
    for column, path, desc, nulls_first in reversed(query.order):
        def cmp(x: dict[str, Any], y: dict[str, Any], column: str = column, path: list[str] = path, desc: bool = desc, nulls_first: bool | None = nulls_first) -> int:
            a, b = _get(x, column, path), _get(y, column, path)
            if a is None or b is None:
                if a is None and b is None:
                    return 0
                first = desc if nulls_first is None else nulls_first  # PostgreSQL: NULL sorts as the largest value
                return (-1 if first else 1) if a is None else (1 if first else -1)
            a2, b2 = _coerce(a, str(b))
            base = (a2 > b2) - (a2 < b2) if type(a2) is type(b2) else (str(a) > str(b)) - (str(a) < str(b))
            return -base if desc else base
        out.sort(key=cmp_to_key(cmp))
    out = out[query.offset:]
    return out[: query.limit] if query.limit is not None else out
