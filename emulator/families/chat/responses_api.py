"""OpenAI Responses API shape: ``/ai/openai/responses`` and the deprecated ``/ai/responses``.

Input items (``message`` with ``input_text`` parts, ``function_call``, ``function_call_output``)
and ``instructions`` become an engine conversation; the answer is a ``response`` object whose
``output`` holds a ``message`` item (``output_text``) or ``function_call`` items. With
``stream: true`` the OpenAI event sequence is sent (``response.created``, ``response.in_progress``,
``response.output_item.added``, ``response.content_part.added``, ``response.output_text.delta``*,
``…done`` events, ``response.completed`` — or ``response.incomplete`` when
``max_output_tokens`` cut the text), each with a ``sequence_number``.

With ``conversation`` (a Telnyx conversation id, ``POST /ai/conversations``) the conversation's
stored messages are the context before this turn's input, and the turn's input items and the
model's output are appended to it afterwards (an unknown id is a 404 before anything is written).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from emulator.core.errors import NotFound
from emulator.fakes import tokens
from emulator.fakes.catalogue import DEFAULT_CHAT_MODEL
from emulator.fakes.llm import ChatRequest, Completion, Message, ModelEngine, OutputFormat, Tool, ToolCall
from emulator.families.chat.completions import text_of
from emulator.families.chat.options import positive_int
from emulator.families.chat.rules import CONVERSATION_TURNS, KNOWN_CONVERSATION, REQUEST_SHAPE, check_schema, check_turns, invalid, model_for
from emulator.families.conversations.service import conversation_store
from emulator.http.binding import operation
from emulator.http.sse import named_event, sse_response

if TYPE_CHECKING:
    from emulator.http.context import RequestContext


def history(ctx: RequestContext) -> list[Message] | None:
    """The prior turns of the Telnyx conversation named by ``conversation`` ([] without one);
    an unknown id is a 404, or (warn mode) None: answer without history, store nothing."""
    conversation_id = ctx.json.get("conversation")
    if conversation_id is None:
        return []
    if not isinstance(conversation_id, str):
        raise invalid("conversation must be a conversation id.", "/conversation", "type_error.str")
    store = conversation_store(ctx.emulator, ctx.api_key)
    try:
        store.get(conversation_id)
    except NotFound as error:
        ctx.business_rule(KNOWN_CONVERSATION, error)
        return None
    out = []
    for m in store.list_messages(conversation_id):
        calls = [ToolCall(c["id"], c["function"]["name"], c["function"]["arguments"]) for c in m.get("tool_calls") or []]
        role = m["role"] if m["role"] in ("system", "user", "assistant", "tool") else "assistant"
        out.append(Message(role, m.get("text") or "", calls, m.get("tool_call_id")))
    return out


def persist(ctx: RequestContext, new_turns: list[Message], completion: Completion) -> None:
    """Append this turn's input and the model's output to the named conversation."""
    conversation_id = ctx.json.get("conversation")
    if not isinstance(conversation_id, str):
        return
    store = conversation_store(ctx.emulator, ctx.api_key)
    for m in new_turns:
        calls = [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in m.tool_calls]
        store.add_message(conversation_id, m.role, m.content, calls or None, tool_call_id=m.tool_call_id)
    choice = completion.choices[0]
    calls = [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in choice.tool_calls]
    store.add_message(conversation_id, "assistant", choice.content or "", calls or None)


def parse_input(ctx: RequestContext, body: dict[str, Any], prior: list[Message] | None = None) -> list[Message]:
    """Instructions, then the conversation's prior turns, then this request's input items."""
    out: list[Message] = []
    if isinstance(body.get("instructions"), str) and body["instructions"]:
        out.append(Message("system", body["instructions"]))
    out.extend(prior or [])
    raw = body.get("input")
    if isinstance(raw, str):
        raw = [{"role": "user", "content": raw}]
    elif isinstance(raw, dict):  # one item on its own (the telnyx SDK types `input` as an object)
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        ctx.business_rule(CONVERSATION_TURNS, invalid("input must be a non-empty string or array of input items.", "/input", "value_error.missing"))
        raw = [{"role": "user", "content": ""}]
    for i, item in enumerate(raw):
        at = f"/input/{i}"
        if not isinstance(item, dict):
            raise invalid("input items must be objects.", at, "type_error.dict")
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role")
            if role not in ("user", "system", "developer", "assistant"):
                ctx.business_rule(REQUEST_SHAPE, invalid(f"role must be user, system, developer or assistant; got {role!r}.", f"{at}/role", "value_error.enum"))
                role = "user"
            out.append(Message("system" if role == "developer" else role, text_of(item.get("content"), f"{at}/content")))
        elif kind == "function_call":
            call = ToolCall(str(item.get("call_id")), str(item.get("name")), str(item.get("arguments") or "{}"))
            if out and out[-1].role == "assistant" and not out[-1].content:
                out[-1].tool_calls.append(call)
            else:
                out.append(Message("assistant", "", [call]))
        elif kind == "function_call_output":
            if not isinstance(item.get("call_id"), str):
                ctx.business_rule(REQUEST_SHAPE, invalid("function_call_output items need a call_id.", f"{at}/call_id", "value_error.missing"))
                continue
            output = item.get("output")
            out.append(Message("tool", output if isinstance(output, str) else text_of(output, f"{at}/output"), [], item["call_id"]))
        else:
            ctx.business_rule(REQUEST_SHAPE, invalid(f"unsupported input item type {kind!r}.", f"{at}/type", "value_error.enum"))
    return check_turns(ctx, out, pointer="/input")


def parse_request(ctx: RequestContext, engine: ModelEngine, prior: list[Message]) -> ChatRequest:
    body = ctx.json
    tools = []
    for i, t in enumerate(body.get("tools") or []):
        if not isinstance(t, dict) or t.get("type") != "function" or not isinstance(t.get("name"), str):
            continue  # hosted tools (web search, file search, ...) are not emulated
        params = t.get("parameters") or {"type": "object", "properties": {}}
        if not check_schema(ctx, params, f"/tools/{i}/parameters"):
            params = {"type": "object", "properties": {}}
        tools.append(Tool(t["name"], str(t.get("description") or ""), params))
    choice = body.get("tool_choice", "auto" if tools else "none")
    forced = None
    if isinstance(choice, dict):
        forced, choice = choice.get("name"), "function"
        if forced not in {t.name for t in tools}:
            ctx.business_rule(REQUEST_SHAPE, invalid(f"tool_choice names function {forced!r}, which is not in tools.", "/tool_choice/name"))
            forced, choice = None, "auto"
    elif choice not in ("none", "auto", "required"):
        ctx.business_rule(REQUEST_SHAPE, invalid("tool_choice must be none, auto, required or a named function.", "/tool_choice", "value_error.enum"))
        choice = "auto"
    output = OutputFormat()
    fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        if check_schema(ctx, fmt.get("schema"), "/text/format/schema"):
            output = OutputFormat("json_schema", schema=fmt["schema"])
    elif isinstance(fmt, dict) and fmt.get("type") == "json_object":
        output = OutputFormat("json_object")
    temperature = body.get("temperature")
    model = body.get("model") or DEFAULT_CHAT_MODEL
    return ChatRequest(
        messages=parse_input(ctx, body, prior),
        model=model_for(ctx, engine, str(model)),
        api_key=ctx.api_key,
        max_tokens=positive_int(ctx, "max_output_tokens", None),
        temperature=float(temperature) if isinstance(temperature, (int, float)) else None,
        seed=body.get("seed") if isinstance(body.get("seed"), int) else None,
        tools=tools if choice != "none" else [],
        tool_choice=choice if tools else "none",
        forced_tool=forced,
        output=output,
    )


def output_items(completion: Completion, status: str = "completed") -> list[dict[str, Any]]:
    choice = completion.choices[0]
    suffix = completion.id.removeprefix("resp_")
    if choice.tool_calls:
        return [{"type": "function_call", "id": f"fc_{suffix}_{k}", "call_id": c.id, "name": c.name,
                 "arguments": c.arguments, "status": status} for k, c in enumerate(choice.tool_calls)]
    return [{"type": "message", "id": f"msg_{suffix}", "status": status, "role": "assistant",
             "content": [{"type": "output_text", "text": choice.content or "", "annotations": [], "logprobs": []}]}]


def response_json(ctx: RequestContext, request: ChatRequest, completion: Completion, *, final: bool = True) -> dict[str, Any]:
    body = ctx.json
    choice = completion.choices[0]
    incomplete = choice.finish_reason == "length"
    status = ("incomplete" if incomplete else "completed") if final else "in_progress"
    fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
    return {
        "id": completion.id,
        "object": "response",
        "created_at": completion.created,
        "status": status,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete and final else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": request.max_tokens,
        "model": completion.model,
        "output": output_items(completion) if final else [],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "conversation": {"id": body["conversation"]} if isinstance(body.get("conversation"), str) else None,
        "reasoning": {"effort": None, "summary": None},
        "store": False,
        "temperature": request.temperature if request.temperature is not None else 1.0,
        "text": {"format": fmt if isinstance(fmt, dict) else {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": {
            "input_tokens": completion.prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": completion.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": completion.total_tokens,
        } if final else None,
        "metadata": body.get("metadata") or {},
    }


async def stream_events(ctx: RequestContext, engine: ModelEngine, request: ChatRequest, completion: Completion) -> AsyncIterator[bytes]:
    seq = iter(range(1_000_000))

    def event(kind: str, **fields: Any) -> bytes:
        return named_event(kind, {"type": kind, "sequence_number": next(seq), **fields})

    yield event("response.created", response=response_json(ctx, request, completion, final=False))
    yield event("response.in_progress", response=response_json(ctx, request, completion, final=False))
    for index, item in enumerate(output_items(completion)):
        if item["type"] == "message":
            text = item["content"][0]["text"]
            yield event("response.output_item.added", output_index=index, item={**item, "status": "in_progress", "content": []})
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            yield event("response.content_part.added", item_id=item["id"], output_index=index, content_index=0, part=part)
            for piece in tokens.pieces(text):
                await engine.pace()
                yield event("response.output_text.delta", item_id=item["id"], output_index=index, content_index=0, delta=piece, logprobs=[])
            yield event("response.output_text.done", item_id=item["id"], output_index=index, content_index=0, text=text, logprobs=[])
            yield event("response.content_part.done", item_id=item["id"], output_index=index, content_index=0, part={**part, "text": text})
        else:
            yield event("response.output_item.added", output_index=index, item={**item, "arguments": "", "status": "in_progress"})
            for piece in tokens.pieces(item["arguments"]):
                await engine.pace()
                yield event("response.function_call_arguments.delta", item_id=item["id"], output_index=index, delta=piece)
            yield event("response.function_call_arguments.done", item_id=item["id"], output_index=index, name=item["name"], arguments=item["arguments"])
        yield event("response.output_item.done", output_index=index, item=item)
    final = response_json(ctx, request, completion)
    yield event("response.incomplete" if final["status"] == "incomplete" else "response.completed", response=final)


@operation("chat_public_openai_responses_completions_post", "chat_public_responses_completions_post")
async def create_response(ctx: RequestContext) -> Any:
    engine = ctx.emulator.services.model
    prior = history(ctx)
    request = parse_request(ctx, engine, prior or [])
    completion = engine.complete(request, id_prefix="resp_")
    if prior is not None:  # None: an unknown conversation let through (warn mode) stores nothing
        # messages = [instructions?] + prior + this turn; instructions are stored too, so later
        # turns can omit them (the documented way to use a persisted conversation).
        has_instructions = int(bool(request.messages) and request.messages[0].role == "system" and bool(ctx.json.get("instructions")))
        persist(ctx, request.messages[:has_instructions] + request.messages[has_instructions + len(prior):], completion)
    if ctx.json.get("stream") is True:
        return sse_response(stream_events(ctx, engine, request, completion))
    return response_json(ctx, request, completion)
