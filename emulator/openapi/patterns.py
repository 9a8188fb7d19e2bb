"""Strings that match a regular expression — the one regex sampler behind schema ``pattern``s
and ``guided_regex`` output.

The expression is parsed with Python's own regex parser and each node is drawn from the
caller's seeded ``random.Random``, so a sample is a pure function of (pattern, generator state).

Supported subset: literals, ``.``, classes ``[...]`` (ranges, categories, negation),
``\\d \\w \\s`` and their negations, groups, alternation, ``? * + {m} {m,n}`` (unbounded repeats
stop at min+3) and anchors ``^ $ \\b`` (which produce nothing). Look-arounds and
back-references raise :class:`PatternError` naming the construct — a caller that must honour
the pattern (guided output) turns that into a 422, one that merely prefers it (a document's
``pattern``) keeps its own value instead.
"""

from __future__ import annotations

import functools
import re
import string
from random import Random
from typing import Any

try:  # Python 3.11+ keeps the regex parser private; it is stable enough for these patterns.
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants
    import sre_parse

ATTEMPTS = 8  # \b and negated classes can need a redraw before the sample matches

_CATEGORIES = {
    sre_constants.CATEGORY_DIGIT: string.digits,
    sre_constants.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    sre_constants.CATEGORY_SPACE: " ",
    sre_constants.CATEGORY_NOT_DIGIT: string.ascii_letters,
    sre_constants.CATEGORY_NOT_WORD: "-",
    sre_constants.CATEGORY_NOT_SPACE: string.ascii_letters,
}
_PRINTABLE = string.ascii_letters + string.digits + " -_.,"  # what a negated class draws from
_RANGE_SPAN = 94  # a class range contributes at most this many characters past its start


class PatternError(ValueError):
    """The pattern is not a regular expression, or uses a construct we do not generate."""


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def matches(pattern: str, value: str) -> bool:
    """ECMA-262 ``pattern`` semantics (unanchored search) for the simple patterns schemas use;
    a pattern Python cannot compile does not constrain the value."""
    compiled = _compiled(pattern)
    return compiled is None or compiled.search(value) is not None


def sample(pattern: str, rng: Random, *, full: bool = False, attempts: int = ATTEMPTS) -> str:
    """A string matching ``pattern`` (searched, or ``full``-matched), drawn from ``rng``.

    The first attempt's draws depend only on the pattern, so a document value generated before
    retries existed is generated the same way now."""
    compiled = _compiled(pattern)
    try:
        parsed = list(sre_parse.parse(pattern))
    except re.error as exc:
        raise PatternError(f"invalid regular expression: {exc}") from exc
    if compiled is None:  # pragma: no cover - the parser accepted what the compiler refuses
        raise PatternError("invalid regular expression")
    for _ in range(max(1, attempts)):
        try:
            text = _emit(parsed, rng)
        except RecursionError as exc:
            raise PatternError("regular expression nested too deeply") from exc
        found = compiled.fullmatch(text) if full else compiled.search(text)
        if found is not None:
            return text
    raise PatternError("could not generate a string matching the regular expression")


def _class_chars(items: list[tuple[Any, Any]]) -> str:
    negate = False
    chars: list[str] = []
    for op, arg in items:
        if op is sre_constants.NEGATE:
            negate = True
        elif op is sre_constants.LITERAL:
            chars.append(chr(arg))
        elif op is sre_constants.RANGE:
            chars.extend(chr(c) for c in range(arg[0], min(arg[1], arg[0] + _RANGE_SPAN) + 1))
        elif op is sre_constants.CATEGORY:
            chars.extend(_CATEGORIES.get(arg, ""))
        else:
            raise PatternError(f"unsupported class item {str(op).lower()}")
    if negate:
        chars = [c for c in _PRINTABLE if c not in chars]
    if not chars:
        raise PatternError("empty character class")
    return "".join(chars)


def _emit(items: list[tuple[Any, Any]], rng: Random) -> str:
    out: list[str] = []
    for op, arg in items:
        if op is sre_constants.LITERAL:
            out.append(chr(arg))
        elif op is sre_constants.NOT_LITERAL:
            out.append(rng.choice([c for c in _PRINTABLE if c != chr(arg)]))
        elif op is sre_constants.ANY:
            out.append(rng.choice(string.ascii_lowercase))
        elif op is sre_constants.IN:
            out.append(rng.choice(_class_chars(arg)))
        elif op is sre_constants.CATEGORY:
            out.append(rng.choice(_CATEGORIES.get(arg, "x")))
        elif str(op) in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = arg
            hi = lo + 3 if hi == sre_constants.MAXREPEAT else hi
            count = rng.randint(lo, max(lo, min(hi, lo + 3)))
            out.extend(_emit(list(sub), rng) for _ in range(count))
        elif op is sre_constants.SUBPATTERN:
            out.append(_emit(list(arg[-1]), rng))
        elif op is sre_constants.BRANCH:
            out.append(_emit(list(rng.choice(arg[1])), rng))
        elif op is sre_constants.AT:
            continue
        else:
            raise PatternError(f"unsupported regex construct {str(op).lower()}")
    return "".join(out)
