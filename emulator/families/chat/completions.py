"""OpenAI-compatible chat completions: ``/ai/openai/chat/completions`` and the deprecated
``/ai/chat/completions`` (same request schema, same behaviour).

Wire format in, :class:`~emulator.fakes.llm.ChatRequest` to the shared model engine,
``chat.completion`` (or a ``chat.completion.chunk`` stream) out.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from emulator.fakes import tokens
from emulator.fakes.llm import ChatRequest, Completion, Message, ModelEngine, ToolCall
from emulator.families.chat.options import ChatOptions, options_for
from emulator.families.chat.repeats import RepeatedBodies
from emulator.families.chat.rules import REQUEST_SHAPE, Checks, check_turns, invalid, model_for
from emulator.families.chat.turns import EarlierTurns
from emulator.http.binding import operation
from emulator.http.sse import DONE, data_event, sse_response

if TYPE_CHECKING:
    from emulator.core.errors import ApiError
    from emulator.core.rules import BusinessRule
    from emulator.http.context import RequestContext

ROLES = ("system", "developer", "user", "assistant", "tool")
PLAIN_ROLES = ("user", "assistant", "system")  # roles a message of only role + content keeps as is
FINGERPRINT = "fp_telnyx_emulator"
YIELD_EVERY = 16  # streamed pieces between loop turns when no per-token delay is set


def text_of(content: Any, pointer: str) -> str:
    """The text of a message ``content``: a string, text parts (joined), or null."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for i, part in enumerate(content):
            if not isinstance(part, dict):
                raise invalid("content parts must be objects.", f"{pointer}/{i}", "type_error")
            text = part.get("text")
            if isinstance(text, str):
                texts.append(text)
        return "\n".join(texts)
    raise invalid("content must be a string or an array of content parts.", pointer, "type_error")


def parse_messages(ctx: RequestContext, raw: Any, earlier: EarlierTurns | None = None) -> list[Message]:
    """The conversation of ``raw``; with ``earlier``, turns read cleanly before are not read
    again (``turns.py``), and the earlier turns of a clean reading are kept there."""
    if not isinstance(raw, list):
        raise invalid("messages must be an array.", "/messages", "type_error.list")
    out: list[Message] = []
    start, last = 0, len(raw) - 1
    if earlier is not None and last >= 1:
        found = earlier.find(raw)
        if found is not None:
            start = len(found)
            out.extend(found)
        watch = _Watch(ctx)
        read_messages(watch, raw, start, last, out)
        if not watch.broke and start < last:
            earlier.keep(raw, out, start)
        read_messages(ctx, raw, last, last + 1, out)
    else:
        read_messages(ctx, raw, 0, last + 1, out)
    return check_turns(ctx, out)


class _Watch:
    """The request's :class:`Checks` that also notes whether a rule broke (a warning already
    given in the request is not given twice, so counting them would not tell)."""

    broke = False

    def __init__(self, ctx: Checks) -> None:
        self.ctx = ctx

    def business_rule(self, rule: BusinessRule, error: ApiError) -> None:
        self.broke = True
        self.ctx.business_rule(rule, error)


def read_messages(ctx: Checks, raw: list[Any], start: int, stop: int, out: list[Message]) -> None:
    """Read ``raw[start:stop]`` onto ``out``."""
    # The checks of each message in their long-standing order (role, tool calls, tool_call_id,
    # content); the pointers of the errors are only spelled out when one is raised.
    for i in range(start, stop):
        item = raw[i]
        if not isinstance(item, dict):
            raise invalid("each message must be an object.", f"/messages/{i}", "type_error.dict")
        role = item.get("role")
        content = item.get("content")
        if len(item) == 2 and role in PLAIN_ROLES and type(content) is str:
            # Just a role and a text (most turns): nothing else to check, the same message.
            out.append(Message(role, content, [], None))
            continue
        if role not in ROLES:
            ctx.business_rule(REQUEST_SHAPE, invalid(f"role must be one of {', '.join(ROLES)}; got {role!r}.", f"/messages/{i}/role", "value_error.enum"))
            role = "user"
        # An assistant turn carrying tool calls may have no content at all (what
        # ``message.model_dump(exclude_none=True)`` sends back): its text is "".
        raw_calls = item.get("tool_calls")
        calls = tool_calls_of(ctx, raw_calls, i) if raw_calls else []
        call_id = item.get("tool_call_id")
        if role == "tool" and not isinstance(call_id, str):
            ctx.business_rule(REQUEST_SHAPE, invalid("tool messages need a tool_call_id.", f"/messages/{i}/tool_call_id", "value_error.missing"))
            role = "user"
        text = content if isinstance(content, str) else text_of(content, f"/messages/{i}/content")
        out.append(Message("system" if role == "developer" else role, text, calls, call_id))


def tool_calls_of(ctx: Checks, raw: Any, index: int) -> list[ToolCall]:
    """The tool calls of message ``index`` (a malformed one is a broken request-shape rule)."""
    calls: list[ToolCall] = []
    for j, call in enumerate(raw):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not isinstance(call.get("id"), str) or not isinstance(fn.get("name"), str):
            ctx.business_rule(REQUEST_SHAPE, invalid("tool calls need an id and a function name.", f"/messages/{index}/tool_calls/{j}"))
            continue
        calls.append(ToolCall(call["id"], fn["name"], str(fn.get("arguments") or "{}")))
    return calls


def parse_request(ctx: RequestContext, engine: ModelEngine) -> tuple[ChatRequest, ChatOptions]:
    """The engine's request, and the options it was built from (the handler renders by them).

    A body read cleanly before is not read again (``repeats.py``); only its model is resolved."""
    repeats = ctx.emulator.services.family(RepeatedBodies)
    seen = repeats.reading(ctx)
    if seen is not None:
        return seen.request(model_for(ctx, engine, seen.options.model), ctx.api_key, engine), seen.options
    warned = len(ctx.warnings)
    messages = parse_messages(ctx, ctx.json.get("messages"), ctx.emulator.services.family(EarlierTurns))
    options, model = options_for(ctx, engine)
    request = options.request(messages, model, ctx.api_key)
    # Kept (no rule broke: an enforced one would have raised), a repeat of these bytes is
    # memoized from its reading; this first sending is not (its memo key, most likely a
    # conversation's new turn, would never hit: ``ChatRequest.memoize``). A body too large to
    # keep is memoized as before.
    if len(ctx.warnings) == warned and repeats.keep(ctx, messages, options):
        request.memoize = False
    return request, options


_ALTERNATES = (" the", " a", ",", ".", " and", " to", " of", " is", " it", " in", " that", " for", " on", " with", " as", " at", " by", " this", " be", " or")


def token_logprob(piece: str, position: int, top: int) -> dict[str, Any]:
    """A deterministic, plausible logprob entry for one emitted token (the emitted token is
    always the most likely; ``top`` alternatives follow with lower values)."""
    digest = hashlib.blake2b(f"{position}:{piece}".encode(), digest_size=4).digest()
    best = -round(int.from_bytes(digest, "big") % 2000 / 1000, 4)
    alternates = [a for a in _ALTERNATES if a != piece][: max(top - 1, 0)]
    tops = ([{"token": piece, "logprob": best, "bytes": list(piece.encode())}] if top else []) + [
        {"token": a, "logprob": round(best - 1.5 - k, 4), "bytes": list(a.encode())} for k, a in enumerate(alternates)
    ]
    return {"token": piece, "logprob": best, "bytes": list(piece.encode()), "top_logprobs": tops}


def logprobs_json(text: str | None, top: int) -> dict[str, Any] | None:
    if text is None:
        return None
    return {"content": [token_logprob(p, i, top) for i, p in enumerate(tokens.pieces(text))], "refusal": None}


def tool_call_json(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}


def usage_json(completion: Completion) -> dict[str, Any]:
    return {
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "total_tokens": completion.total_tokens,
    }


def completion_json(completion: Completion, top_logprobs: int | None = None) -> dict[str, Any]:
    """``top_logprobs`` None = logprobs not requested; otherwise how many alternatives to list."""
    choices = []
    for c in completion.choices:
        message: dict[str, Any] = {"role": "assistant", "content": c.content}
        if c.tool_calls:
            message["tool_calls"] = [tool_call_json(t) for t in c.tool_calls]
        logprobs = logprobs_json(c.content, top_logprobs) if top_logprobs is not None else None
        choices.append({"index": c.index, "message": message, "logprobs": logprobs, "finish_reason": c.finish_reason})
    return {
        "id": completion.id,
        "object": "chat.completion",
        "created": completion.created,
        "model": completion.model,
        "system_fingerprint": FINGERPRINT,
        "choices": choices,
        "usage": usage_json(completion),
    }


STREAMED_KEPT = 512  # distinct streamed texts whose encoded pieces are kept
STREAMED_MAX_CHARS = 8192  # longer texts are split each time (bounds the cache's memory)


@functools.lru_cache(maxsize=STREAMED_KEPT)
def _encoded_pieces(text: str) -> tuple[bytes, ...]:
    return tuple(orjson.dumps(p) for p in tokens.pieces(text))


def encoded_pieces(text: str) -> tuple[bytes, ...]:
    """The JSON strings of ``text``'s token pieces, each as its own bytes."""
    return _encoded_pieces(text) if len(text) <= STREAMED_MAX_CHARS else tuple(orjson.dumps(p) for p in tokens.pieces(text))


async def stream_chunks(engine: ModelEngine, completion: Completion, include_usage: bool,
                        top_logprobs: int | None = None) -> AsyncIterator[bytes]:
    """The ``chat.completion.chunk`` sequence for ``completion`` (one id for every chunk).

    Token chunks are the hot path (one per token, times concurrent streams), so their JSON is a
    pre-encoded head and tail around the encoded piece instead of a fresh dict per token (the
    pieces of a text, encoded, are kept: a memoized answer streams the same text again). Without
    a per-token delay the loop is given a turn every ``YIELD_EVERY`` pieces rather than after
    each one (a turn per token was a third of a stream's CPU); each event is still its own write.
    """
    delay = engine.token_delay
    produced = 0

    async def pace() -> None:
        nonlocal produced
        if delay:
            await engine.pace()
            return
        produced += 1
        if produced % YIELD_EVERY == 0:
            await asyncio.sleep(0)

    base = {"id": completion.id, "object": "chat.completion.chunk", "created": completion.created,
            "model": completion.model, "system_fingerprint": FINGERPRINT}
    extra = {"usage": None} if include_usage else {}

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return data_event({**base, "choices": [choice], **extra})

    def template(index: int, delta_prefix: bytes) -> tuple[bytes, bytes]:
        marker = "\x00piece\x00"
        whole = chunk(index, {"content": marker})
        at = whole.index(b'{"content":')
        end = whole.index(orjson.dumps(marker)) + len(orjson.dumps(marker))
        return whole[:at] + delta_prefix, whole[end:]

    for c in completion.choices:
        yield chunk(c.index, {"role": "assistant", "content": "" if c.content is not None else None})
    for c in completion.choices:
        if c.content is not None and top_logprobs is not None:
            for position, piece in enumerate(tokens.pieces(c.content)):
                await pace()
                entry = {"content": [token_logprob(piece, position, top_logprobs)], "refusal": None}
                yield data_event({**base, "choices": [{"index": c.index, "delta": {"content": piece}, "logprobs": entry, "finish_reason": None}], **extra})
        elif c.content is not None:
            head, tail = template(c.index, b'{"content":')
            for encoded in encoded_pieces(c.content):
                if delay:  # pace(), inline: a coroutine per token was a sixth of this loop
                    await engine.pace()
                else:
                    produced += 1
                    if produced % YIELD_EVERY == 0:
                        await asyncio.sleep(0)
                yield head + encoded + tail
        for k, call in enumerate(c.tool_calls):
            await pace()
            yield chunk(c.index, {"tool_calls": [{"index": k, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}]})
            for piece in tokens.pieces(call.arguments):
                await pace()
                yield chunk(c.index, {"tool_calls": [{"index": k, "function": {"arguments": piece}}]})
        yield chunk(c.index, {}, c.finish_reason)
    if include_usage:
        yield data_event({**base, "choices": [], "usage": usage_json(completion)})
    yield DONE


@operation("create_openai_chat_completion", "chat_public_chat_completions_post")
async def create_chat_completion(ctx: RequestContext) -> Any:
    engine = ctx.emulator.services.model
    request, options = parse_request(ctx, engine)
    completion = engine.complete(request)
    if options.stream:
        return sse_response(stream_chunks(engine, completion, options.include_usage, options.top_logprobs))
    return completion_json(completion, options.top_logprobs)
