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


def _ascii_classes() -> bytes:
    """A byte table sorting ASCII into what ``_PIECE`` sees: b"a" for a word character, b" "
    for whitespace, b"." for anything else (each is a piece of its own) — read off the
    pattern's own classes, so it cannot disagree with them (``\\s`` includes \\x1c-\\x1f)."""
    table = bytearray(range(256))
    for code in range(128):
        char = chr(code)
        table[code] = ord("a") if re.fullmatch(r"\w", char) else ord(" ") if re.fullmatch(r"\s", char) else ord(".")
    return bytes(table)


_ASCII_CLASSES = _ascii_classes()


def count(text: str) -> int:
    """``len(pieces(text))``. For ASCII text without matching: every piece holds one word run
    or one other non-space character, except a last one of only trailing whitespace; so it is
    the number of those plus one for trailing whitespace (a word run starts at the text's
    start or after a space or another character). Matching is most of a short reply's cost."""
    if not text.isascii():
        return len(_PIECE.findall(text))
    kinds = text.encode().translate(_ASCII_CLASSES)
    return (kinds.count(b".") + kinds.count(b" a") + kinds.count(b".a") + kinds.startswith(b"a")
            + kinds.endswith(b" "))


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
