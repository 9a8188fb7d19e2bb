"""The chat family's business rules: what the chat endpoints check beyond the document.

The published chat schemas leave much open (a message item may be ``{}``, ``model`` any string,
``max_tokens`` 0); OpenAI and Anthropic define those fields, and the emulator checks them as
they do. Each check is declared here once (``core/rules.py``): strict callers keep today's exact
errors; in the ``warn`` mode the request is answered with the rule's substitute and the response
names the rule in ``x-emulator-warning``. :func:`check_schema` and :func:`check_turns` are the
two checks shared by the three wire formats (chat completions, Responses, Anthropic messages).

The checks report to a :class:`Checks` — the request's context (raise or warn, by the caller's
mode), or, when the chat options are read once for the cache (``options.py``), a recorder that
only notes that a rule broke.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Protocol

from emulator.core.errors import ApiError, ErrorItem, ValidationFailed
from emulator.core.rules import BusinessRule
from emulator.fakes import structured
from emulator.fakes.catalogue import DEFAULT_CHAT_MODEL, canonical, chat_model
from emulator.fakes.llm import Message, ModelEngine

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

KNOWN_MODEL = BusinessRule(
    name="chat.known_model",
    checks="model names a chat model of the catalogue (GET /v2/ai/openai/models), an alias of one, or a model the caller owns (fine-tuned)",
    substitute=f"answers as the default model ({DEFAULT_CHAT_MODEL})",
    # The hosted API answers 404 for a model id it does not serve.
    real_api=True,
)
TOKEN_LIMITS = BusinessRule(
    name="chat.token_limits",
    checks="max_tokens, max_completion_tokens, max_output_tokens and n are whole numbers of at least 1 (n at most 16); top_logprobs is 0 to 20",
    substitute="the out-of-range limit is ignored (no cut; n = 1; no alternative tokens)",
)
REQUEST_SHAPE = BusinessRule(
    name="chat.request_shape",
    checks=("what the document leaves open is read as OpenAI / Anthropic define it: message roles and content blocks, "
            "tool calls with an id and a name, tools with a name and a usable JSON Schema, tool_choice naming a listed tool, "
            "stop sequences as strings, response_format / guided_* / text.format constraints"),
    substitute=("the malformed part is dropped: a message without a known role is a user turn, a malformed tool call, "
                "tool or input item is left out, tool_choice falls back to auto (none without tools), "
                "an unusable schema or constraint gives plain text"),
)
CONVERSATION_TURNS = BusinessRule(
    name="chat.conversation_turns",
    checks="a request holds at least one message (Responses: non-empty input) and every tool result answers an earlier tool call",
    substitute="an empty conversation is one empty user turn; a tool result answering no call is read as a user turn",
)
KNOWN_CONVERSATION = BusinessRule(
    name="chat.known_conversation",
    checks="the Responses API's conversation names one of the caller's conversations (POST /v2/ai/conversations)",
    substitute="the turn is answered without stored history and is not stored",
)
RULES = (KNOWN_MODEL, TOKEN_LIMITS, REQUEST_SHAPE, CONVERSATION_TURNS, KNOWN_CONVERSATION)


class Checks(Protocol):
    """Who hears of a broken business rule (``RequestContext.business_rule`` is the real one)."""

    def business_rule(self, rule: BusinessRule, error: ApiError) -> None: ...


def invalid(detail: str, pointer: str, kind: str = "value_error") -> ValidationFailed:
    """The 422 of one malformed part of a chat request (what a broken rule raises when enforced)."""
    return ValidationFailed(items=[ErrorItem(detail, pointer=pointer, kind=kind)])


@functools.lru_cache(maxsize=256)
def catalogue_id(model: str) -> str | None:
    """The catalogue's canonical id for ``model`` (aliases resolved), or None. The catalogue is
    fixed, so the answer is kept: every request asks it for the same few names."""
    return canonical(model) if chat_model(model) is not None else None


def model_for(ctx: RequestContext, engine: ModelEngine, model: str) -> str:
    """The canonical id to answer as: ``model`` when known, else (warn mode) the default model."""
    known = catalogue_id(model)
    if known is not None:  # the catalogue's: known to every tenant, no tenant lookup needed
        return known
    if engine.is_known(model, tenant=ctx.tenant):
        return engine.resolve_model(model, tenant=ctx.tenant)
    ctx.business_rule(KNOWN_MODEL, engine.unknown_model(model))
    return DEFAULT_CHAT_MODEL


def check_schema(ctx: Checks, schema: Any, pointer: str) -> bool:
    """Whether ``schema`` is a usable JSON Schema; False (warn mode) means: drop the constraint."""
    try:
        structured.check_schema(schema, pointer)
    except ApiError as error:
        ctx.business_rule(REQUEST_SHAPE, error)
        return False
    return True


def check_turns(ctx: RequestContext, messages: list[Message], pointer: str = "/messages") -> list[Message]:
    """``messages`` when they form a conversation; else (warn mode) the substitute conversation."""
    try:
        ModelEngine.check_conversation(messages, pointer)
    except ApiError as error:
        ctx.business_rule(CONVERSATION_TURNS, error)
    else:
        return messages
    called: set[str] = set()
    out: list[Message] = []
    for message in messages:
        called.update(c.id for c in message.tool_calls)
        if message.role == "tool" and message.tool_call_id not in called:
            message = Message("user", message.content)
        out.append(message)
    if not any(m.role != "system" for m in out):
        out.append(Message("user", ""))
    return out
