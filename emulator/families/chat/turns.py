"""A conversation's earlier turns, read once: a voice agent's next request repeats them.

Each request of a conversation carries every turn so far, and a request that differs from the
last only in its newest turn carries the same earlier turns again. So the messages before the
last of a cleanly read request are kept — their JSON (the body's own message objects, only read)
beside the :class:`Message` values read from them — and a request whose earlier turns equal a kept
sequence (one C-level comparison) reads only its last turn. The kept :class:`Message` values are
handed to the engine as they are (it only reads them), and the engine keeps what it derives from
them by their identity (``fakes/conversation.py``).

Clean = no business rule broke while reading those turns: reading them again would give the same
messages in every mode and no warning, so skipping it changes nothing. The conversation checks
(``rules.check_turns``) still run over all the turns on every request, in the same order.

Keyed by the number of earlier turns and the text of the last of them (what tells conversations
apart: one entry per key, the newer wins); bounded, emptied when full.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.fakes.llm import Message
    from emulator.runtime.emulator import Emulator


@dataclass(frozen=True, slots=True)
class Earlier:
    raw: list[Any]  # the message objects of the body they were read from
    messages: tuple[Message, ...]


class EarlierTurns:
    """The family service (``emulator.services.family(EarlierTurns)``): kept earlier turns."""

    KEPT = 256

    def __init__(self, emulator: Emulator) -> None:
        self._kept: dict[tuple[int, str | None], Earlier] = {}

    def __len__(self) -> int:
        return len(self._kept)

    @staticmethod
    def key(raw: list[Any], count: int) -> tuple[int, str | None]:
        """The key of ``raw``'s first ``count`` messages (``count`` >= 1)."""
        last = raw[count - 1]
        content = last.get("content") if type(last) is dict else None
        return count, content if type(content) is str else None

    def find(self, raw: list[Any]) -> tuple[Message, ...] | None:
        """The messages read from the longest kept start of ``raw[:-1]`` (``raw``: two messages
        or more): all of them (the same turns, a new last one), or all but the last two (the
        previous request's, with its answer and a new turn added)."""
        for count in (len(raw) - 1, len(raw) - 3):
            if count < 1:
                break
            kept = self._kept.get(self.key(raw, count))
            if kept is not None and raw[:count] == kept.raw:
                return kept.messages
        return None

    def keep(self, raw: list[Any], messages: list[Message], start: int) -> None:
        """Keep ``messages``, read cleanly from ``raw[:-1]`` (the caller checked it is clean), of
        which ``raw[:start]`` came from a kept entry."""
        count = len(raw) - 1
        if not all(_plain(item) for item in raw[start:count]):
            return
        if len(self._kept) >= self.KEPT:
            self._kept.clear()
        self._kept[self.key(raw, count)] = Earlier(raw[:count], tuple(messages))


def _plain(value: Any) -> bool:
    """Whether ``value`` holds only objects, arrays, strings and nulls. Kept turns must: a
    request's turns are found by ``==``, and ``1 == 1.0 == True`` though ``str()`` (a tool call's
    arguments) tells them apart; a string or null equals only its like."""
    if type(value) is str or value is None:
        return True
    if type(value) is dict:
        return all(_plain(v) for v in value.values())
    if type(value) is list:
        return all(_plain(v) for v in value)
    return False
