"""The kept part of a conversation's earlier turns, when a growing conversation extends it."""

from __future__ import annotations

import hashlib
import random

import orjson

from emulator.fakes import conversation
from emulator.fakes.chat_types import Message, ToolCall


def _from_scratch(refs: list[Message]) -> tuple[str, int, bytes | None]:
    """What the part always was: the digest state, token count and JSON over every turn."""
    hashed = hashlib.sha256("".join(f"{conversation.turn_text(m)}\x1f" for m in refs).encode())
    try:
        encoded: bytes | None = orjson.dumps(refs)
    except TypeError:
        encoded = None
    return hashed.hexdigest(), sum(conversation.message_tokens(m) for m in refs), encoded


def _turn(rnd: random.Random, k: int) -> Message:
    kind = rnd.randrange(5)
    if kind == 0:
        return Message("assistant", "", [ToolCall(f"c{k}", "check_availability", '{"date": "2026-12-01"}')])
    if kind == 1:
        return Message("tool", f"slot {k} free", [], f"c{k}")
    text = rnd.choice(["Tuesday at 3?", "Grüße aus Mitte", "ok", "", f"turn {k}"])
    return Message(rnd.choice(["user", "assistant"]), text)


def test_a_growing_conversation_extends_the_kept_part_to_what_it_always_was() -> None:
    rnd = random.Random(5)
    for _ in range(200):
        messages = [Message("system", "Be brief."), Message("user", "Hi")]
        for k in range(rnd.randrange(1, 12)):
            messages = [*messages, _turn(rnd, k), Message("user", f"next {k}")]  # the answer and a new turn
            part = conversation.earlier_turns(messages)
            refs = messages[:-1]
            assert (part.hashed.hexdigest(), part.tokens, part.encoded) == _from_scratch(refs)
            assert part.refs == tuple(refs)
            assert conversation.digest_of(messages, part) == hashlib.sha256("\x1f".join(conversation.turn_text(m) for m in messages).encode()).hexdigest()


def test_the_extended_part_does_not_change_the_part_it_grew_from() -> None:
    messages = [Message("system", "Be brief."), Message("user", "Hi"), Message("assistant", "Hello"), Message("user", "Book it")]
    first = conversation.earlier_turns(messages[:2] + [Message("user", "x")])
    before = (first.hashed.hexdigest(), first.tokens, first.encoded)
    conversation.earlier_turns([*messages, Message("assistant", "Done"), Message("user", "Thanks")])
    assert (first.hashed.hexdigest(), first.tokens, first.encoded) == before
