"""Anthropic Messages API shape: ``/ai/anthropic/v1/messages``.

Anthropic's request (``system``, content blocks, ``tool_use`` / ``tool_result`` blocks,
``input_schema`` tools, ``stop_sequences``) is mapped onto the shared model engine; the answer
is a ``type: "message"`` object, or — with ``stream: true`` — Anthropic's SSE sequence:
``message_start``, per block ``content_block_start`` / ``ping`` (once) / ``content_block_delta``* /
``content_block_stop``, then ``message_delta`` (stop reason, output tokens) and ``message_stop``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from emulator.fakes import tokens
from emulator.fakes.llm import ChatRequest, Completion, Message, ModelEngine, Tool, ToolCall
from emulator.families.chat.options import positive_int
from emulator.families.chat.rules import CONVERSATION_TURNS, REQUEST_SHAPE, check_schema, check_turns, invalid, model_for
from emulator.http.binding import operation
from emulator.http.sse import named_event, sse_response

if TYPE_CHECKING:
    from emulator.http.context import RequestContext

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def _blocks(ctx: RequestContext, content: Any, at: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list) and all(isinstance(b, dict) for b in content):
        return content
    ctx.business_rule(REQUEST_SHAPE, invalid("content must be a string or an array of content blocks.", at, "type_error"))
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(b.get("text", "") for b in value if isinstance(b, dict))
    return "" if value is None else orjson.dumps(value).decode()


def parse_messages(ctx: RequestContext, body: dict[str, Any]) -> list[Message]:
    raw = body.get("messages")
    if not isinstance(raw, list):
        raise invalid("messages must be an array.", "/messages", "type_error.list")
    out: list[Message] = []
    system = body.get("system")
    if system:
        out.append(Message("system", _text(system)))
    for i, item in enumerate(raw):
        at = f"/messages/{i}"
        role = item.get("role") if isinstance(item, dict) else None
        if role not in ("user", "assistant"):
            ctx.business_rule(REQUEST_SHAPE, invalid(f"role must be user or assistant; got {role!r}.", f"{at}/role", "value_error.enum"))
            role = "user"
        texts: list[str] = []
        calls: list[ToolCall] = []
        content = item.get("content") if isinstance(item, dict) else None
        for j, block in enumerate(_blocks(ctx, content, f"{at}/content")):
            kind = block.get("type")
            if kind == "text":
                texts.append(str(block.get("text", "")))
            elif kind == "tool_use" and role == "assistant":
                calls.append(ToolCall(str(block.get("id")), str(block.get("name")), orjson.dumps(block.get("input") or {}).decode()))
            elif kind == "tool_result" and role == "user":
                if not isinstance(block.get("tool_use_id"), str):
                    ctx.business_rule(REQUEST_SHAPE, invalid("tool_result blocks need a tool_use_id.", f"{at}/content/{j}/tool_use_id", "value_error.missing"))
                    texts.append(_text(block.get("content")))
                    continue
                out.append(Message("tool", _text(block.get("content")), [], block["tool_use_id"]))
        if texts or calls or not out or out[-1].role != "tool":
            out.append(Message(role, "\n".join(texts), calls))
    system_turns = [m for m in out if m.role == "system"]
    turns = check_turns(ctx, [m for m in out if m.role != "system"] or out)
    out = [*system_turns, *(m for m in turns if m.role != "system")]
    if not any(m.role != "system" for m in out):
        ctx.business_rule(CONVERSATION_TURNS, invalid("messages must contain at least one message.", "/messages", "value_error.list.min_items"))
        out.append(Message("user", ""))
    return out


def parse_request(ctx: RequestContext, engine: ModelEngine) -> ChatRequest:
    body = ctx.json
    messages = parse_messages(ctx, body)
    tools: list[Tool] = []
    for i, t in enumerate(body.get("tools") or []):
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            ctx.business_rule(REQUEST_SHAPE, invalid("tools need a name.", f"/tools/{i}/name", "value_error.missing"))
            continue
        schema = t.get("input_schema") or {"type": "object", "properties": {}}
        if not check_schema(ctx, schema, f"/tools/{i}/input_schema"):
            schema = {"type": "object", "properties": {}}
        tools.append(Tool(t["name"], str(t.get("description") or ""), schema))
    choice = body.get("tool_choice") or {"type": "auto"}
    kind = choice.get("type") if isinstance(choice, dict) else None
    mapping = {"auto": "auto", "any": "required", "none": "none", "tool": "function"}
    if kind not in mapping:
        ctx.business_rule(REQUEST_SHAPE, invalid("tool_choice.type must be auto, any, tool or none.", "/tool_choice/type", "value_error.enum"))
        kind = "auto"
    forced = choice.get("name") if kind == "tool" and isinstance(choice, dict) else None
    if kind == "tool" and forced not in {t.name for t in tools}:
        ctx.business_rule(REQUEST_SHAPE, invalid(f"tool_choice names tool {forced!r}, which is not in tools.", "/tool_choice/name"))
        kind, forced = "auto", None
    stops = body.get("stop_sequences") or []
    if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
        ctx.business_rule(REQUEST_SHAPE, invalid("stop_sequences must be an array of strings.", "/stop_sequences"))
        stops = []
    temperature = body.get("temperature")
    return ChatRequest(
        messages=messages,
        model=model_for(ctx, engine, str(body.get("model"))),
        api_key=ctx.api_key,
        max_tokens=positive_int(ctx, "max_tokens", None),
        stop=stops,
        temperature=float(temperature) if isinstance(temperature, (int, float)) else None,
        tools=tools,
        tool_choice=mapping[kind] if tools else "none",
        forced_tool=forced,
    )


def content_blocks(completion: Completion) -> list[dict[str, Any]]:
    choice = completion.choices[0]
    blocks: list[dict[str, Any]] = []
    if choice.content:
        blocks.append({"type": "text", "text": choice.content})
    for call in choice.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id.replace("call_", "toolu_", 1), "name": call.name, "input": orjson.loads(call.arguments)})
    return blocks


def message_json(completion: Completion, stop_sequence: str | None) -> dict[str, Any]:
    choice = completion.choices[0]
    reason = "stop_sequence" if stop_sequence else STOP_REASONS[choice.finish_reason]
    return {
        "id": completion.id,
        "type": "message",
        "role": "assistant",
        "model": completion.model,
        "content": content_blocks(completion),
        "stop_reason": reason,
        "stop_sequence": stop_sequence,
        "usage": {"input_tokens": completion.prompt_tokens, "output_tokens": completion.completion_tokens},
    }


async def stream_events(engine: ModelEngine, completion: Completion, stop_sequence: str | None) -> AsyncIterator[bytes]:
    final = message_json(completion, stop_sequence)
    start = {**final, "content": [], "stop_reason": None, "stop_sequence": None,
             "usage": {"input_tokens": completion.prompt_tokens, "output_tokens": 1}}
    yield named_event("message_start", {"type": "message_start", "message": start})
    pinged = False
    for index, block in enumerate(final["content"]):
        empty = {"type": "text", "text": ""} if block["type"] == "text" else {**block, "input": {}}
        yield named_event("content_block_start", {"type": "content_block_start", "index": index, "content_block": empty})
        if not pinged:
            yield named_event("ping", {"type": "ping"})
            pinged = True
        if block["type"] == "text":
            pieces = [("text_delta", "text", p) for p in tokens.pieces(block["text"])]
        else:
            pieces = [("input_json_delta", "partial_json", p) for p in tokens.pieces(orjson.dumps(block["input"]).decode())]
        for kind, field, piece in pieces:
            await engine.pace()
            yield named_event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": {"type": kind, field: piece}})
        yield named_event("content_block_stop", {"type": "content_block_stop", "index": index})
    yield named_event("message_delta", {"type": "message_delta", "delta": {"stop_reason": final["stop_reason"], "stop_sequence": stop_sequence},
                                        "usage": {"output_tokens": completion.completion_tokens}})
    yield named_event("message_stop", {"type": "message_stop"})


@operation("create_anthropic_message")
async def create_message(ctx: RequestContext) -> Any:
    engine = ctx.emulator.services.model
    request = parse_request(ctx, engine)
    completion = engine.complete(request, id_prefix="msg_")
    stop_sequence = completion.choices[0].stop_sequence
    if ctx.json.get("stream") is True:
        return sse_response(stream_events(engine, completion, stop_sequence))
    return message_json(completion, stop_sequence)
