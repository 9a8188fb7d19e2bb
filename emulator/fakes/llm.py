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

Where things live: the request/answer types in ``fakes/chat_types.py`` (re-exported here), the
default answers and the token accounting in ``fakes/answers.py``; this module is the engine —
model names, conversation checks, scripted rules, the memo of unscripted answers, pacing.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from emulator.core.errors import ApiError, ErrorItem, NotFound, ValidationFailed
from emulator.core.paths import fixtures_dir
from emulator.fakes import answers
from emulator.fakes.catalogue import DEFAULT_CHAT_MODEL, canonical, chat_model
from emulator.fakes.chat_types import ChatRequest, Choice, Completion, FinishReason, Message, OutputFormat, Tool, ToolCall
from emulator.fakes.conversation import EarlierPart, earlier_turns
from emulator.fakes.reply_rules import RuleBook

if TYPE_CHECKING:
    from emulator.core.settings import Settings
    from emulator.core.state import EmulatorState, TenantState

__all__ = ["ChatRequest", "Choice", "Completion", "FinishReason", "Message", "ModelEngine", "OutputFormat", "Tool", "ToolCall"]

MEMO_SIZE = 2048  # unscripted answers kept per engine (cleared when full; a hit skips generation)

_DEFAULT_CODES = {400: "10015", 401: "10009", 403: "10010", 404: "10005", 409: "40901", 422: "10422", 429: "10011", 503: "10016"}


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
        if "tool" not in [m.role for m in messages]:
            return  # no tool result to answer a call (most conversations): nothing else to check
        called: set[str] = set()
        for i, msg in enumerate(messages):
            if msg.tool_calls:
                called.update(c.id for c in msg.tool_calls)
            if msg.role == "tool" and msg.tool_call_id not in called:
                raise ValidationFailed(items=[ErrorItem(
                    f"Tool message has tool_call_id {msg.tool_call_id!r}, which matches no tool call of an earlier assistant message.",
                    pointer=f"{pointer}/{i}/tool_call_id",
                )])

    # -- generation --------------------------------------------------------------------------

    def complete(self, request: ChatRequest, *, id_prefix: str = "chatcmpl-") -> Completion:
        """Answer ``request``: a scripted rule if one matches, else the default behaviour."""
        messages = request.messages
        last_user = ""
        for m in reversed(messages):
            if m.role == "user":
                last_user = m.content
                break
        turn = "tool" if messages and messages[-1].role == "tool" else "user"
        rule = self.rules.find(last_user, request.model, request.api_key, turn)
        if rule is not None and rule.error is not None:
            self.rules.consume(rule)
            status = rule.error.status
            raise ApiError(rule.error.detail, status=status, code=rule.error.code or _DEFAULT_CODES.get(status, "10007"))
        # A known memo key (a repeated body) needs neither kept part unless the memo misses.
        options = earlier = None
        memo_key = request.memo_key if rule is None else None
        if memo_key is None and rule is None and request.memoize:
            options, earlier = answers.kept_options(request), earlier_turns(messages)
            memo_key = self._memo_key(request, options, earlier)
        found = self._memo.get(memo_key) if memo_key is not None else None
        if found is not None:
            choices = [c.copy() for c in found[0]]
            prompt_tokens = found[1]
        else:
            options, earlier = options or answers.kept_options(request), earlier or earlier_turns(messages)
            choices = answers.choices(self.settings.seed, request, rule, last_user, options, earlier)
            prompt_tokens = answers.prompt_tokens(request, options, earlier)
            if memo_key is not None:
                if len(self._memo) >= MEMO_SIZE:
                    self._memo.clear()
                self._memo[memo_key] = (tuple([c.copy() for c in choices]), prompt_tokens)
        if rule is not None:
            self.rules.consume(rule)
        tenant = self.state.tenant(request.api_key)
        # Positional: keywords cost twice the construction (this runs on every request). The id is
        # from the tenant's seeded RNG (one 128-bit draw: ids.prefixed's per-character choice
        # costs more than the rest of a completion).
        return Completion(
            id_prefix + format(tenant.ids.random.getrandbits(128), "032x")[:29],  # id
            request.model,  # model
            int(self.state.clock.now()),  # created
            choices,
            prompt_tokens,
            choices[0].completion_tokens if len(choices) == 1 else sum(c.completion_tokens for c in choices),  # completion_tokens
            rule.id if rule else None,  # rule_id
        )

    def memo_key(self, request: ChatRequest) -> bytes | None:
        """Everything an unscripted answer depends on, as bytes (None: do not memoize).

        The answer is a pure function of the request and the emulator seed (module docstring),
        and a voice agent sends the same tools and constraints on every turn: generating it
        again (schema-valid tool arguments, reply text, token counts) is most of a request's CPU.
        The caller's id is left out — only scripted rules (never memoized) depend on it."""
        return self._memo_key(request, answers.kept_options(request), earlier_turns(request.messages))

    def _memo_key(self, request: ChatRequest, options: answers.KeptOptions, earlier: EarlierPart) -> bytes | None:
        # The earlier turns and the tools, tool choice, forced tool and output constraint come as
        # their kept JSON (the same objects serve every turn), each a whole JSON value, so the
        # concatenation is unambiguous: [seed, model, limits...] [earlier turns] last turn [options].
        if options.encoded is None or earlier.encoded is None or (request.temperature is not None and not math.isfinite(request.temperature)):
            return None  # orjson writes NaN/inf as null: keep the key unambiguous
        messages = request.messages
        try:
            return b"".join((orjson.dumps([self.settings.seed, request.model, request.max_tokens, request.n, request.stop, request.temperature,
                                           request.seed]), earlier.encoded, orjson.dumps(messages[-1] if messages else None), options.encoded))
        except TypeError:  # a value JSON cannot hold (a huge int, a non-str key): just compute
            return None

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
        return answers.prompt_tokens(request)

    @property
    def token_delay(self) -> float:
        return float(getattr(self.settings, "stream_token_delay", 0.0) or 0.0)

    async def pace(self) -> None:
        """Between streamed pieces: the simulated per-token latency, or at least a yield so
        concurrent streams interleave fairly (no stream starves)."""
        await asyncio.sleep(self.token_delay)

