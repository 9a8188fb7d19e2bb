"""The deterministic fake model behind every chat-like endpoint.

Resources translate their wire format (OpenAI chat, Responses, Anthropic, assistant chat, AI on
calls) into a :class:`ChatRequest`, call :meth:`ModelEngine.complete`, and render the
:class:`Completion` back (streamed with :func:`emulator.fakes.tokens.pieces` and
:meth:`ModelEngine.pace`). One engine per emulator: ``emulator.services.model``.

Typical use from another family::

    engine = ctx.emulator.services.model
    text = engine.say("What are your opening hours?", api_key=ctx.api_key, instructions=prompt)
    value = engine.fill_schema(insight_schema, transcript_messages, api_key=ctx.api_key)
    completion = engine.complete(ChatRequest(messages, model, ctx.api_key, tools=[...]))
    # completion.choices[i].content / .tool_calls / .finish_reason, completion.prompt_tokens ...

Errors it raises are ApiErrors (unknown model via ``resolve_model``: 404; scripted error rules:
the rule's status), so handlers can let them propagate.

Determinism: a choice's output is a pure function of (emulator seed, model, conversation,
temperature, seed, choice index, tools, output constraint). Scripted rules (``engine.rules``)
take precedence over the default behaviour.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import orjson

from emulator.core.errors import ApiError, ErrorItem, NotFound, ValidationFailed
from emulator.core.paths import fixtures_dir
from emulator.fakes import replies, structured, tokens
from emulator.fakes.catalogue import DEFAULT_CHAT_MODEL, canonical, chat_model
from emulator.fakes.reply_rules import Rule, RuleBook

if TYPE_CHECKING:
    from emulator.core.settings import Settings
    from emulator.core.state import EmulatorState, TenantState

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


@dataclass
class Choice:
    index: int
    content: str | None
    tool_calls: list[ToolCall]
    finish_reason: FinishReason
    completion_tokens: int
    stop_sequence: str | None = None  # the stop sequence that ended the text, if one did


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


MEMO_SIZE = 2048  # unscripted answers kept per engine (cleared when full; a hit skips generation)

_DEFAULT_CODES = {400: "10015", 401: "10009", 403: "10010", 404: "10005", 409: "40901", 422: "10422", 429: "10011", 503: "10016"}


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


@functools.lru_cache(maxsize=1024)
def _name_parts(name: str) -> tuple[str, ...]:
    """The words of a tool's name (cached: the same tools come with every turn)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ")
    return tuple(p.lower() for p in spaced.split() if len(p) >= 3 and p.lower() not in replies.STOPWORDS)


@functools.lru_cache(maxsize=1024)
def _description_words(description: str) -> frozenset[str]:
    return frozenset(replies.content_words(description, 32))


@functools.lru_cache(maxsize=1024)
def _tool_tokens(name: str, description: str, parameters: bytes) -> int:
    """What a tool adds to the prompt's token count (cached per tool, keyed by its JSON)."""
    return tokens.count(name) + tokens.count(description) + tokens.count(parameters.decode())


class ModelEngine:
    """Deterministic completions + the scripted rule book. See the module docstring."""

    snapshot_name = "llm"
    """Key of the scripted rules in snapshots (``core/snapshot.py``)."""

    def __init__(self, settings: Settings, state: EmulatorState) -> None:
        self.settings = settings
        self.state = state
        self.tenant_models: list[Callable[[TenantState, str], str | None]] = []
        """Resolvers of models a tenant owns (the fine-tuning family adds its tuned models):
        each answers the base model a tenant's model id answers as, or None."""
        self.rules = RuleBook()
        self._memo: dict[bytes, tuple[tuple[Choice, ...], int]] = {}
        self._load_fixture_rules()
        self.state.on_reset(self._on_reset)

    # -- rules lifecycle ---------------------------------------------------------------------

    def _load_fixture_rules(self) -> None:
        self.rules.load_dir(fixtures_dir() / "rules")
        if self.settings.fixtures is not None:
            self.rules.load_dir(self.settings.fixtures / "rules")

    def _on_reset(self, _state: EmulatorState, api_key: str | None) -> None:
        self.rules.clear(api_key)
        if api_key is None:
            self._load_fixture_rules()

    def snapshot_dump(self) -> Any:
        """Snapshot protocol (emulator/core/snapshot.py): the scripted rules and their hits."""
        return {"rules": self.rules.dump()}

    def snapshot_load(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise ValueError("llm snapshot must be an object")
        self.rules.restore(data.get("rules", []))

    # -- checks ------------------------------------------------------------------------------

    def tenant_base_model(self, tenant: TenantState, model: str) -> str | None:
        """The base model ``model`` answers as when ``tenant`` owns it (e.g. fine-tuned), else None."""
        for resolve in self.tenant_models:
            base = resolve(tenant, model)
            if base is not None:
                return base
        return None

    def base_model(self, tenant: TenantState, model: str) -> str:
        """The model the engine answers as for ``model``: a tenant's own (e.g. fine-tuned) model
        answers as its base, an alias as its target, an unknown name as the default model."""
        base = self.tenant_base_model(tenant, model)
        if base is not None:
            return base
        if chat_model(model) is not None:
            return canonical(model)
        return model if self.rules.names_model(model) else DEFAULT_CHAT_MODEL

    def complete_text(self, api_key: str, model: str, system: str, turns: list[Message], *, output: OutputFormat | None = None) -> str:
        """One deterministic completion text (assistant chat, insights, AI on calls, timers)."""
        request = ChatRequest(
            messages=[Message("system", system), *turns] if system else list(turns),
            model=self.base_model(self.state.tenant(api_key), model),
            api_key=api_key,
            output=output or OutputFormat(),
        )
        return self.complete(request).choices[0].content or ""

    def is_known(self, model: str, *, tenant: TenantState | None = None) -> bool:
        """Whether ``model`` names a chat model: the catalogue's (aliases included), one a scripted
        rule names, or one ``tenant`` owns (fine-tuned, see :attr:`tenant_models`)."""
        return (chat_model(model) is not None or self.rules.names_model(model)
                or (tenant is not None and self.tenant_base_model(tenant, model) is not None))

    @staticmethod
    def unknown_model(model: str, *, pointer: str = "/model") -> NotFound:
        """The 404 an unknown model id gets (what the hosted API answers)."""
        return NotFound(
            f"The model '{model}' does not exist or is not available; list models with GET /v2/ai/openai/models.",
            items=[ErrorItem(f"The model '{model}' does not exist or is not available.", pointer=pointer)],
        )

    def resolve_model(self, model: str, *, pointer: str = "/model", tenant: TenantState | None = None) -> str:
        """The canonical id of a chat model, or a 404 (:meth:`unknown_model`) — the strict
        behaviour. A family that lets unknown ids through (a business rule's warn mode) checks
        :meth:`is_known` first and substitutes ``DEFAULT_CHAT_MODEL``.

        A tenant's own models (fine-tuned ones, see :attr:`tenant_models`) are models too, for that tenant.
        """
        if chat_model(model) is not None:
            return canonical(model)
        if self.is_known(model, tenant=tenant):
            return model
        raise self.unknown_model(model, pointer=pointer)

    @staticmethod
    def check_conversation(messages: list[Message], pointer: str = "/messages") -> None:
        """422 for an empty conversation or a tool result answering no earlier tool call."""
        if not messages:
            raise ValidationFailed(items=[ErrorItem("messages must contain at least one message.", pointer=pointer, kind="value_error.list.min_items")])
        called: set[str] = set()
        for i, msg in enumerate(messages):
            called.update(c.id for c in msg.tool_calls)
            if msg.role == "tool" and msg.tool_call_id not in called:
                raise ValidationFailed(items=[ErrorItem(
                    f"Tool message has tool_call_id {msg.tool_call_id!r}, which matches no tool call of an earlier assistant message.",
                    pointer=f"{pointer}/{i}/tool_call_id",
                )])

    # -- generation --------------------------------------------------------------------------

    def complete(self, request: ChatRequest, *, id_prefix: str = "chatcmpl-") -> Completion:
        """Answer ``request``: a scripted rule if one matches, else the default behaviour."""
        last_user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        turn = "tool" if request.messages and request.messages[-1].role == "tool" else "user"
        rule = self.rules.find(last_user, request.model, request.api_key, turn)
        if rule is not None and rule.error is not None:
            self.rules.consume(rule)
            status = rule.error.status
            raise ApiError(rule.error.detail, status=status, code=rule.error.code or _DEFAULT_CODES.get(status, "10007"))
        memo_key = self._memo_key(request) if rule is None else None
        found = self._memo.get(memo_key) if memo_key is not None else None
        if found is not None:
            choices = [replace(c, tool_calls=list(c.tool_calls)) for c in found[0]]
            prompt_tokens = found[1]
        else:
            choices = self._choices(request, rule, last_user)
            prompt_tokens = self.prompt_tokens(request)
            if memo_key is not None:
                if len(self._memo) >= MEMO_SIZE:
                    self._memo.clear()
                self._memo[memo_key] = (tuple(replace(c, tool_calls=list(c.tool_calls)) for c in choices), prompt_tokens)
        if rule is not None:
            self.rules.consume(rule)
        tenant = self.state.tenant(request.api_key)
        return Completion(
            # From the tenant's seeded RNG (one 128-bit draw: ids.prefixed's per-character
            # choice costs more than the rest of a completion).
            id=id_prefix + format(tenant.ids.random.getrandbits(128), "032x")[:29],
            model=request.model,
            created=int(self.state.clock.now()),
            choices=choices,
            prompt_tokens=prompt_tokens,
            completion_tokens=sum(c.completion_tokens for c in choices),
            rule_id=rule.id if rule else None,
        )

    def _choices(self, request: ChatRequest, rule: Rule | None, last_user: str) -> list[Choice]:
        conversation = _digest(*(f"{m.role}:{m.content}:{[(c.name, c.arguments) for c in m.tool_calls]}:{m.tool_call_id}" for m in request.messages))
        choices = []
        for index in range(max(1, request.n)):
            key = _digest(self.settings.seed, request.model, conversation, request.temperature, request.seed, index,
                          [(t.name, t.description) for t in request.tools], request.tool_choice, request.forced_tool, request.output)
            choices.append(self._choice(request, rule, last_user, key, index))
        return choices

    def _memo_key(self, request: ChatRequest) -> bytes | None:
        """Everything an unscripted answer depends on, as bytes (None: do not memoize).

        The answer is a pure function of the request and the emulator seed (module docstring),
        and a voice agent sends the same tools and constraints on every turn: generating it
        again (schema-valid tool arguments, reply text, token counts) is most of a request's CPU.
        The caller's id is left out — only scripted rules (never memoized) depend on it."""
        if request.temperature is not None and not math.isfinite(request.temperature):
            return None  # orjson writes NaN/inf as null: keep the key unambiguous
        try:
            return orjson.dumps([self.settings.seed, request.model, request.messages, request.max_tokens, request.n, request.stop,
                                 request.temperature, request.seed, request.tools, request.tool_choice, request.forced_tool, request.output])
        except TypeError:  # a value JSON cannot hold (a huge int, a non-str key): just compute
            return None

    def _choice(self, request: ChatRequest, rule: Rule | None, last_user: str, key: str, index: int) -> Choice:
        rng = random.Random(int(key[:16], 16))
        if rule is not None and rule.tool_calls:
            calls = [
                ToolCall(f"call_{_digest(key, i)[:24]}", c.name, c.arguments if isinstance(c.arguments, str) else orjson.dumps(c.arguments).decode())
                for i, c in enumerate(rule.tool_calls)
            ]
            return self._tool_choice(index, calls)
        if rule is None:
            tool = self._tool_to_call(request, last_user)
            if tool is not None:
                hints = {"_query": " ".join(replies.content_words(last_user)) or last_user[:40]}
                places = replies.proper_nouns(last_user)
                if places:
                    hints["_place"] = places[0]
                args = self._schema_value(tool.parameters or {"type": "object"}, key, hints, f"/tools/{tool.name}/parameters")
                return self._tool_choice(index, [ToolCall(f"call_{key[:24]}", tool.name, orjson.dumps(args).decode())])
        text = rule.content if rule is not None and rule.content is not None else self._default_text(request, last_user, rng, key)
        finish: FinishReason = "stop"
        text, hit = tokens.cut_at_stop(text, request.stop)
        if request.max_tokens is not None:
            text, cut = tokens.truncate(text, request.max_tokens)
            if cut:
                finish, hit = "length", None
        return Choice(index, text, [], finish, tokens.count(text), hit)

    @staticmethod
    def _tool_choice(index: int, calls: list[ToolCall]) -> Choice:
        used = sum(tokens.count(c.name) + tokens.count(c.arguments) for c in calls)
        return Choice(index, None, calls, "tool_calls", used)

    def _tool_to_call(self, request: ChatRequest, last_user: str) -> Tool | None:
        """Which tool the default behaviour calls, if any (see ``tool_choice`` semantics)."""
        if not request.tools or request.tool_choice == "none":
            return None
        if request.forced_tool is not None:
            return next((t for t in request.tools if t.name == request.forced_tool), None)
        after_tool = bool(request.messages) and request.messages[-1].role == "tool"
        words = set(replies.content_words(last_user, limit=64))
        prefixes = {w[:5] for w in words}

        def score(tool: Tool) -> int:
            parts = _name_parts(tool.name)
            by_name = sum(1 for p in parts if p in words or p[:5] in prefixes)
            by_desc = sum(1 for w in _description_words(tool.description) if w in words)
            return (10 * by_name if parts and by_name == len(parts) else by_name) + by_desc

        scores = [score(t) for t in request.tools]
        top = max(scores)
        best = request.tools[scores.index(top)]  # the first of the best, as max() picks
        if request.tool_choice == "required":
            return best
        if after_tool:
            return None  # auto: answer the tool result instead of looping
        return best if top >= 2 else None

    def _schema_value(self, schema: dict[str, Any], key: str, hints: dict[str, str], pointer: str) -> Any:
        """Seeded value for a caller's schema, echoing places and queries from the prompt where
        they fit (``fakes/structured.py``, over the one schema value generator); it always
        validates, or the request gets a 422 naming the schema."""
        try:
            return structured.value_for_schema(schema, key, hints)
        except structured.ConstraintError as exc:
            raise ValidationFailed(items=[ErrorItem(str(exc), pointer=pointer)]) from exc

    def _default_text(self, request: ChatRequest, last_user: str, rng: random.Random, key: str) -> str:
        out = request.output
        if out.kind == "choice":
            return rng.choice(out.choices)
        if out.kind == "regex":
            try:
                return structured.regex_sample(out.pattern or "", key)
            except structured.ConstraintError as exc:
                raise ValidationFailed(items=[ErrorItem(str(exc), pointer="/guided_regex")]) from exc
        if out.kind == "json_schema":
            return orjson.dumps(self._schema_value(out.schema or {}, key, {}, "/response_format/json_schema/schema")).decode()
        if out.kind == "json_object":
            return orjson.dumps(replies.json_answer(last_user, rng)).decode()
        trailing: list[tuple[str, str]] = []
        names = {c.id: c.name for m in request.messages for c in m.tool_calls}
        for msg in reversed(request.messages):
            if msg.role != "tool":
                break
            trailing.insert(0, (names.get(msg.tool_call_id or "", "the tool"), msg.content))
        if trailing:
            return replies.summarise_tool_results(trailing, rng)
        return replies.answer(last_user, rng)

    # -- conveniences for other API families (assistants, AI on calls, insights) ------------

    def say(self, messages: list[Message] | str, *, api_key: str, model: str = DEFAULT_CHAT_MODEL,
            instructions: str | None = None, max_tokens: int | None = None) -> str:
        """The assistant's text reply to ``messages`` (a plain string = one user message).

        Scripted rules apply exactly as for the HTTP endpoints; a rule that scripts tool calls
        yields "" here (use :meth:`complete` to see them)."""
        convo = [Message("user", messages)] if isinstance(messages, str) else list(messages)
        if instructions:
            convo.insert(0, Message("system", instructions))
        completion = self.complete(ChatRequest(convo, model, api_key, max_tokens=max_tokens))
        return completion.choices[0].content or ""

    def fill_schema(self, schema: dict[str, Any], messages: list[Message] | str, *, api_key: str,
                    model: str = DEFAULT_CHAT_MODEL) -> Any:
        """A JSON value valid against ``schema``, answering ``messages`` (e.g. an insight with a
        ``json_schema``). A scripted text reply that parses as JSON is returned as is."""
        convo = [Message("user", messages)] if isinstance(messages, str) else list(messages)
        completion = self.complete(ChatRequest(convo, model, api_key, output=OutputFormat("json_schema", schema=schema)))
        return orjson.loads(completion.choices[0].content or "null")

    # -- accounting and pacing ---------------------------------------------------------------

    @staticmethod
    def prompt_tokens(request: ChatRequest) -> int:
        total = tokens.REPLY_PRIMING
        for m in request.messages:
            total += tokens.MESSAGE_OVERHEAD + tokens.count(m.content)
            total += sum(tokens.count(c.name) + tokens.count(c.arguments) for c in m.tool_calls)
        for t in request.tools:
            total += _tool_tokens(t.name, t.description, orjson.dumps(t.parameters))
        return total

    @property
    def token_delay(self) -> float:
        return float(getattr(self.settings, "stream_token_delay", 0.0) or 0.0)

    async def pace(self) -> None:
        """Between streamed pieces: the simulated per-token latency, or at least a yield so
        concurrent streams interleave fairly (no stream starves)."""
        await asyncio.sleep(self.token_delay)

