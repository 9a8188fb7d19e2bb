"""Chat-completion bodies sent again byte for byte: read once per emulator.

Load tests, client retries and benchmarks send one body over and over; reading it (every
message checked and turned into a :class:`Message`, the options found) was the largest part
of what the family did per request that the engine's memo of answers did not already save.
So a clean reading is kept per body, keyed by the operation, the media type and the raw bytes
(within one emulator the same bytes always parse to the same body).

Clean = no business rule broke while reading (in the ``warn`` mode a broken rule leaves a
warning; when enforced it raises): such a reading is the same in every mode, so a repeat only
resolves the model again (a tenant's fine-tuned models and the scripted rules' model names
change at run time). Each repeat gets messages of its own; the :class:`ToolCall` values in
them are shared and only read, as the engine's memo already shares them.

Bounded: bodies over ``MAX_BYTES`` are not kept, and the table is emptied when it holds
``KEPT`` readings (a conversation's ever-new turns never repeat: they only pass through).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.fakes.llm import ChatRequest, Message
from emulator.families.chat.options import ChatOptions

if TYPE_CHECKING:
    from emulator.fakes.llm import ModelEngine
    from emulator.http.context import RequestContext
    from emulator.runtime.emulator import Emulator


class Reading:
    """A clean reading of one body. A plain class with slots: one is made for every new body (a
    conversation's every turn), and a frozen dataclass's ``__init__`` cost three times as much."""

    __slots__ = ("memo_keys", "messages", "options")

    def __init__(self, messages: tuple[Message, ...], options: ChatOptions) -> None:
        self.messages = messages
        self.options = options
        self.memo_keys: dict[tuple[int, str], bytes | None] = {}
        """The engine's memo key per (seed, model): serializing every message and tool to key
        the engine's memo was a sixth of a repeated request, and it is the same bytes each time."""

    def request(self, model: str, api_key: str, engine: ModelEngine) -> ChatRequest:
        """A :class:`ChatRequest` with messages (and lists) of its own, its memo key known."""
        turns = [Message(m.role, m.content, list(m.tool_calls), m.tool_call_id) for m in self.messages]
        request = self.options.request(turns, model, api_key)
        which = (engine.settings.seed, model)
        if which in self.memo_keys:
            request.memo_key = self.memo_keys[which]
        else:
            if len(self.memo_keys) >= 8:  # models resolved at run time (fine-tunes, scripted names)
                self.memo_keys.clear()
            request.memo_key = self.memo_keys[which] = engine.memo_key(request)
        return request


class RepeatedBodies:
    """The family service (``emulator.services.family(RepeatedBodies)``): kept readings."""

    KEPT = 256
    MAX_BYTES = 16 * 1024

    def __init__(self, emulator: Emulator) -> None:
        self._kept: dict[tuple[str, str | None, bytes], Reading] = {}

    def reading(self, ctx: RequestContext) -> Reading | None:
        """The kept reading of this request's body, if it was read cleanly before."""
        if len(ctx.raw_body) > self.MAX_BYTES:
            return None
        return self._kept.get((ctx.operation.operation_id, ctx.media_type, ctx.raw_body))

    def keep(self, ctx: RequestContext, messages: list[Message], options: ChatOptions) -> bool:
        """Keep a clean reading of this request's body (the caller checked it is clean); whether
        it was kept (a body over ``MAX_BYTES`` is not)."""
        if len(ctx.raw_body) > self.MAX_BYTES:
            return False
        if len(self._kept) >= self.KEPT:
            self._kept.clear()
        self._kept[(ctx.operation.operation_id, ctx.media_type, ctx.raw_body)] = Reading(tuple(messages), options)
        return True
