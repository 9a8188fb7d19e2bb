"""What a conversation's earlier turns contribute to an answer, worked out once per those turns.

A voice agent sends its whole conversation with every turn, and only the last turn is new. Three
things the engine derives from every turn — the conversation's seed digest (``answers.py``), the
prompt's token count and the memo key's JSON (``llm.py``) — are the same for the earlier turns
each time. The chat family hands the engine the *same* :class:`Message` objects for earlier turns
it has read before (``families/chat/turns.py``; the engine only reads them), so their part is
kept per those objects: keyed by their ids, the objects kept beside it so an id cannot be reused
while its entry lives (a live object with a kept id *is* the kept object). Bounded; emptied when
full. Requests whose messages are new objects each time only pay for one entry.

The digest is spelled exactly as it always was: sha256 of every turn's text joined by the unit
separator — the kept part is the hash state after the earlier turns' text and one separator.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from emulator.fakes import tokens
from emulator.fakes.chat_types import Message

COUNTED = 2048  # distinct message texts whose token count is kept
COUNTED_MAX_CHARS = 8192  # longer texts are counted each time (bounds the cache's memory)
TURNS_KEPT = 256  # distinct earlier-turn sequences kept


@functools.lru_cache(maxsize=COUNTED)
def _count_cached(text: str) -> int:
    return tokens.count(text)


def count(text: str) -> int:
    """``tokens.count(text)``, remembered for the texts a conversation sends on every turn (the
    system prompt and the earlier turns come back with each new one)."""
    return _count_cached(text) if len(text) <= COUNTED_MAX_CHARS else tokens.count(text)


def turn_text(m: Message) -> str:
    """A turn's text in the seed digest."""
    # The same text as f"{...}:{[(c.name, c.arguments) for c in m.tool_calls]}:..." — "[]" when
    # there are no calls, without building the empty list for every plain turn.
    calls = [(c.name, c.arguments) for c in m.tool_calls] if m.tool_calls else "[]"
    return f"{m.role}:{m.content}:{calls}:{m.tool_call_id}"


def message_tokens(m: Message, counter: Callable[[str], int] = count) -> int:
    """What one message adds to the prompt's token count (``counter``: how its text is counted,
    by default with the kept counts)."""
    total = tokens.MESSAGE_OVERHEAD + counter(m.content)
    if m.tool_calls:
        total += sum(tokens.count(c.name) + tokens.count(c.arguments) for c in m.tool_calls)
    return total


@dataclass(frozen=True, slots=True)
class EarlierPart:
    """The part of every turn but the last (see the module docstring)."""

    refs: tuple[Message, ...]  # the turns whose ids key the entry, kept alive beside it
    hashed: Any  # sha256 after their texts and a separator; None when there are none
    tokens: int  # their prompt tokens
    encoded: bytes | None  # their JSON (an array) for the memo key; None: not JSON-able


_NONE = EarlierPart((), None, 0, b"[]")
_KEPT: dict[tuple[int, ...], EarlierPart] = {}


def earlier_turns(messages: list[Message]) -> EarlierPart:
    """The kept part of ``messages[:-1]`` (worked out and kept when not kept yet)."""
    if len(messages) < 2:
        return _NONE
    refs = tuple(messages[:-1])
    key = tuple(map(id, refs))
    kept = _KEPT.get(key)
    if kept is not None:
        return kept
    # A growing conversation's request is the previous one's turns plus its answer and a new
    # turn: the part kept for all but the last two (the previous request's earlier turns, the
    # same objects) is extended by those two, not worked out again over every turn so far.
    base = _KEPT.get(key[:-2]) if len(key) > 2 else None
    done = base.refs if base is not None else ()
    new = refs[len(done):]
    text = "".join([f"{turn_text(m)}\x1f" for m in new]).encode()
    if base is not None:
        hashed = base.hashed.copy()  # the same state as hashing every turn's text from the start
        hashed.update(text)
    else:
        hashed = hashlib.sha256(text)
    try:
        encoded: bytes | None = orjson.dumps(new)
    except TypeError:  # a value JSON cannot hold
        encoded = None
    if base is not None:  # "[a,b]" and "[c,d]" make "[a,b,c,d]": orjson writes arrays without spaces
        encoded = None if base.encoded is None or encoded is None else base.encoded[:-1] + b"," + encoded[1:]
    kept = EarlierPart(refs, hashed, (base.tokens if base is not None else 0) + sum(message_tokens(m) for m in new), encoded)
    if len(_KEPT) >= TURNS_KEPT:
        _KEPT.clear()
    _KEPT[key] = kept
    return kept


def digest_of(messages: list[Message], earlier: EarlierPart) -> str:
    """The conversation's seed digest: sha256 of the turns' texts joined by the unit separator
    (``earlier``: :func:`earlier_turns` of ``messages``)."""
    if not messages:
        return hashlib.sha256(b"").hexdigest()
    last = turn_text(messages[-1]).encode()
    if earlier.hashed is None:
        return hashlib.sha256(last).hexdigest()
    hashed = earlier.hashed.copy()
    hashed.update(last)
    return str(hashed.hexdigest())
