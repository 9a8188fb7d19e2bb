"""What the fake model reads and answers: a :class:`ChatRequest` in, a :class:`Completion` out.

Every chat-like wire format (OpenAI chat, Responses, Anthropic, assistant chat, AI on calls)
translates to and from these; :mod:`emulator.fakes.llm` re-exports them, so families import
them from there beside the engine.

Their ``repr`` is part of the model's seed (``fakes/answers.py`` digests the output constraint
as text), so a field added here changes every seeded answer: add fields only at the end, and
know that the answers will move.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FinishReason = Literal["stop", "length", "tool_calls"]


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str  # a JSON document, as the wire formats carry it


@dataclass
class Message:
    role: str  # system | user | assistant | tool
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None


@dataclass
class Tool:
    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass
class OutputFormat:
    kind: Literal["text", "json_object", "json_schema", "regex", "choice"] = "text"
    schema: dict[str, Any] | None = None
    pattern: str | None = None
    choices: list[str] = field(default_factory=list)


@dataclass
class ChatRequest:
    messages: list[Message]
    model: str
    api_key: str = ""
    max_tokens: int | None = None
    n: int = 1
    stop: list[str] = field(default_factory=list)
    temperature: float | None = None
    seed: int | None = None
    tools: list[Tool] = field(default_factory=list)
    tool_choice: str = "auto"  # none | auto | required | function (with forced_tool)
    forced_tool: str | None = None
    output: OutputFormat = field(default_factory=OutputFormat)
    memo_key: bytes | None = None
    """``ModelEngine.memo_key`` of this request when the caller already knows it (a body sent
    again reads the same request: ``families/chat/repeats.py``); None: the engine computes it."""
    memoize: bool = True
    """Whether the engine's memo of answers is asked and told at all (when ``memo_key`` is None).
    False for a body never sent before (a conversation's new turn): its key would never hit,
    and building it and copying the answer in were a fiftieth of such a request. A body sent
    again is memoized from its second sending on (``families/chat/repeats.py`` gives the key)."""


@dataclass
class Choice:
    index: int
    content: str | None
    tool_calls: list[ToolCall]
    finish_reason: FinishReason
    completion_tokens: int
    stop_sequence: str | None = None  # the stop sequence that ended the text, if one did

    def copy(self) -> Choice:
        """A copy whose ``tool_calls`` list is its own (what the engine's memo hands out:
        a caller appending to it must not change the remembered answer)."""
        return Choice(self.index, self.content, list(self.tool_calls), self.finish_reason, self.completion_tokens, self.stop_sequence)


@dataclass
class Completion:
    id: str
    model: str
    created: int
    choices: list[Choice]
    prompt_tokens: int
    completion_tokens: int
    rule_id: str | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens
