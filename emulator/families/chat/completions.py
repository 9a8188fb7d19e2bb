"""OpenAI-compatible chat completions: ``/ai/openai/chat/completions`` and the deprecated
``/ai/chat/completions`` (same request schema, same behaviour).

Wire format in, :class:`~emulator.fakes.llm.ChatRequest` to the shared model engine,
``chat.completion`` (or a ``chat.completion.chunk`` stream) out.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.fakes import tokens
from emulator.fakes.catalogue import DEFAULT_CHAT_MODEL
from emulator.fakes.llm import ChatRequest, Completion, Message, ModelEngine, OutputFormat, Tool, ToolCall
from emulator.families.chat.rules import REQUEST_SHAPE, TOKEN_LIMITS, check_schema, check_turns, model_for
from emulator.http.binding import operation
from emulator.http.sse import DONE, data_event, sse_response

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

ROLES = ("system", "developer", "user", "assistant", "tool")
FINGERPRINT = "fp_telnyx_emulator"
YIELD_EVERY = 16  # streamed pieces between loop turns when no per-token delay is set


def invalid(detail: str, pointer: str, kind: str = "value_error") -> ValidationFailed:
    return ValidationFailed(items=[ErrorItem(detail, pointer=pointer, kind=kind)])


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
            if isinstance(part.get("text"), str):
                texts.append(part["text"])
        return "\n".join(texts)
    raise invalid("content must be a string or an array of content parts.", pointer, "type_error")


def parse_messages(ctx: RequestContext, raw: Any) -> list[Message]:
    if not isinstance(raw, list):
        raise invalid("messages must be an array.", "/messages", "type_error.list")
    out: list[Message] = []
    for i, item in enumerate(raw):
        at = f"/messages/{i}"
        if not isinstance(item, dict):
            raise invalid("each message must be an object.", at, "type_error.dict")
        role = item.get("role")
        if role not in ROLES:
            ctx.business_rule(REQUEST_SHAPE, invalid(f"role must be one of {', '.join(ROLES)}; got {role!r}.", f"{at}/role", "value_error.enum"))
            role = "user"
        calls: list[ToolCall] = []
        # An assistant turn carrying tool calls may have no content at all (what
        # ``message.model_dump(exclude_none=True)`` sends back): its text is "".
        for j, call in enumerate(item.get("tool_calls") or []):
            fn = call.get("function") if isinstance(call, dict) else None
            if not isinstance(fn, dict) or not isinstance(call.get("id"), str) or not isinstance(fn.get("name"), str):
                ctx.business_rule(REQUEST_SHAPE, invalid("tool calls need an id and a function name.", f"{at}/tool_calls/{j}"))
                continue
            calls.append(ToolCall(call["id"], fn["name"], str(fn.get("arguments") or "{}")))
        if role == "tool" and not isinstance(item.get("tool_call_id"), str):
            ctx.business_rule(REQUEST_SHAPE, invalid("tool messages need a tool_call_id.", f"{at}/tool_call_id", "value_error.missing"))
            role = "user"
        out.append(Message("system" if role == "developer" else role, text_of(item.get("content"), f"{at}/content"), calls, item.get("tool_call_id")))
    return check_turns(ctx, out)


def parse_tools(ctx: RequestContext, raw: Any) -> list[Tool]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid("tools must be an array.", "/tools", "type_error.list")
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, dict) and item.get("type") == "retrieval":
            continue  # Telnyx retrieval tool: grounding data, not a callable function
        fn = item.get("function") if isinstance(item, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
            ctx.business_rule(REQUEST_SHAPE, invalid("function tools need function.name.", f"/tools/{i}/function/name"))
            continue
        params = fn.get("parameters") or {"type": "object", "properties": {}}
        if not check_schema(ctx, params, f"/tools/{i}/function/parameters"):
            params = {"type": "object", "properties": {}}
        out.append(Tool(fn["name"], str(fn.get("description") or ""), params))
    return out


def parse_output(ctx: RequestContext, body: dict[str, Any]) -> OutputFormat:
    """``response_format`` and Telnyx's ``guided_*`` constraints (at most one applies)."""
    if body.get("guided_choice") is not None:
        choices = body["guided_choice"]
        if isinstance(choices, list) and choices and all(isinstance(c, str) for c in choices):
            return OutputFormat("choice", choices=choices)
        ctx.business_rule(REQUEST_SHAPE, invalid("guided_choice must be a non-empty array of strings.", "/guided_choice"))
    elif body.get("guided_regex") is not None:
        if isinstance(body["guided_regex"], str):
            return OutputFormat("regex", pattern=body["guided_regex"])
        ctx.business_rule(REQUEST_SHAPE, invalid("guided_regex must be a string.", "/guided_regex", "type_error.str"))
    elif body.get("guided_json") is not None and check_schema(ctx, body["guided_json"], "/guided_json"):
        return OutputFormat("json_schema", schema=body["guided_json"])
    fmt = body.get("response_format")
    if fmt is None:
        return OutputFormat()
    if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
        ctx.business_rule(REQUEST_SHAPE, invalid("response_format.type must be text, json_object or json_schema.", "/response_format/type", "value_error.enum"))
        return OutputFormat()
    if fmt["type"] == "json_schema":
        spec = fmt.get("json_schema")
        if not isinstance(spec, dict) or "schema" not in spec:
            ctx.business_rule(REQUEST_SHAPE, invalid("response_format.json_schema.schema is required.", "/response_format/json_schema/schema", "value_error.missing"))
            return OutputFormat()
        if not check_schema(ctx, spec["schema"], "/response_format/json_schema/schema"):
            return OutputFormat()
        return OutputFormat("json_schema", schema=spec["schema"])
    return OutputFormat(fmt["type"])


def positive_int(ctx: RequestContext, name: str, default: int | None, *, maximum: int | None = None) -> int | None:
    value = ctx.json.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1 or (maximum and value > maximum):
        bound = f" and at most {maximum}" if maximum else ""
        ctx.business_rule(TOKEN_LIMITS, invalid(f"{name} must be an integer of at least 1{bound}.", f"/{name}", "value_error.number"))
        return default
    return int(value)


def parse_tool_choice(ctx: RequestContext, tools: list[Tool]) -> tuple[str, str | None]:
    """(none | auto | required | function, the forced function's name)."""
    choice = ctx.json.get("tool_choice", "auto" if tools else "none")
    fallback = "auto" if tools else "none"
    if isinstance(choice, dict):
        forced = (choice.get("function") or {}).get("name")
        if forced in {t.name for t in tools}:
            return "function", forced
        ctx.business_rule(REQUEST_SHAPE, invalid(f"tool_choice names function {forced!r}, which is not in tools.", "/tool_choice/function/name"))
        return fallback, None
    if choice not in ("none", "auto", "required"):
        ctx.business_rule(REQUEST_SHAPE, invalid("tool_choice must be none, auto, required or a named function.", "/tool_choice", "value_error.enum"))
        return fallback, None
    if choice == "required" and not tools:
        ctx.business_rule(REQUEST_SHAPE, invalid("tool_choice 'required' needs at least one function in tools.", "/tool_choice"))
        return "none", None
    return choice, None


def parse_request(ctx: RequestContext, engine: ModelEngine) -> ChatRequest:
    body = ctx.json
    messages = parse_messages(ctx, body.get("messages"))
    model = body.get("model") or DEFAULT_CHAT_MODEL
    if not isinstance(model, str):
        raise invalid("model must be a string.", "/model", "type_error.str")
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else stop or []
    if not isinstance(stops, list) or len(stops) > 4 or not all(isinstance(s, str) for s in stops):
        ctx.business_rule(REQUEST_SHAPE, invalid("stop must be a string or up to 4 strings.", "/stop"))
        stops = []
    tools = parse_tools(ctx, body.get("tools"))
    choice, forced = parse_tool_choice(ctx, tools)
    max_tokens = positive_int(ctx, "max_completion_tokens", None) or positive_int(ctx, "max_tokens", None)
    temperature = body.get("temperature")
    seed = body.get("seed")
    return ChatRequest(
        messages=messages,
        model=model_for(ctx, engine, model),
        api_key=ctx.api_key,
        max_tokens=max_tokens,
        n=positive_int(ctx, "n", 1, maximum=16) or 1,
        stop=stops,
        temperature=float(temperature) if isinstance(temperature, (int, float)) else None,
        seed=seed if isinstance(seed, int) else None,
        tools=tools,
        tool_choice=choice,
        forced_tool=forced,
        output=parse_output(ctx, body),
    )


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


async def stream_chunks(engine: ModelEngine, completion: Completion, include_usage: bool,
                        top_logprobs: int | None = None) -> AsyncIterator[bytes]:
    """The ``chat.completion.chunk`` sequence for ``completion`` (one id for every chunk).

    Token chunks are the hot path (one per token, times concurrent streams), so their JSON is a
    pre-encoded head and tail around the encoded piece instead of a fresh dict per token. Without
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
            for piece in tokens.pieces(c.content):
                await pace()
                yield head + orjson.dumps(piece) + tail
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
    request = parse_request(ctx, engine)
    top = None
    if ctx.json.get("logprobs") is True:
        top = ctx.json.get("top_logprobs") or 0
        if isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= 20:
            ctx.business_rule(TOKEN_LIMITS, invalid("top_logprobs must be an integer from 0 to 20.", "/top_logprobs", "value_error.number"))
            top = 0
    completion = engine.complete(request)
    if ctx.json.get("stream") is True:
        options = ctx.json.get("stream_options") or {}
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        return sse_response(stream_chunks(engine, completion, include_usage, top))
    return completion_json(completion, top)
