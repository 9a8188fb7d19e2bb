"""A tiny deterministic tokenizer: one token per word or punctuation mark.

Not a BPE — it only has to be *consistent*: the same text always gives the same pieces, joining
the pieces gives the text back exactly (so streamed deltas re-assemble to the non-streamed
text), and usage counts agree between every endpoint that reports them.
"""

from __future__ import annotations

import re

# A piece = optional leading whitespace + a word, or + one non-space non-word character.
_PIECE = re.compile(r"\s*(?:\w+|[^\w\s])|\s+$")

# Fixed per-message overhead, like chat formats' role/separator tokens.
MESSAGE_OVERHEAD = 4
REPLY_PRIMING = 3


def pieces(text: str) -> list[str]:
    """Split ``text`` into token pieces; ``"".join(pieces(t)) == t`` for every ``t``."""
    return _PIECE.findall(text)


def count(text: str) -> int:
    return len(pieces(text))


def truncate(text: str, limit: int) -> tuple[str, bool]:
    """The first ``limit`` tokens of ``text``, and whether anything was cut."""
    found = pieces(text)
    if len(found) <= limit:
        return text, False
    return "".join(found[: max(limit, 0)]), True


def cut_at_stop(text: str, stops: list[str]) -> tuple[str, str | None]:
    """``text`` up to (not including) the earliest stop sequence, and the sequence that hit."""
    cut, hit = len(text), None
    for stop in stops:
        if stop:
            at = text.find(stop)
            if at != -1 and at < cut:
                cut, hit = at, stop
    return text[:cut], hit
