"""What a chat-completions request asks for besides its messages, read once per distinct set.

A voice agent sends the same model, tools, ``tool_choice``, limits and output constraint with
every turn; only the messages change. Reading those options — every tool's schema checked,
the constraint's schema compiled, each business rule asked — was half of the family's work
per request, so a *clean* reading is kept, keyed by the options' JSON bytes (the body without
its messages; any field counts, so nothing read here can be missed by the key).

Clean = no business rule broke and nothing was raised while reading. Such a reading is the
same in every mode, so a hit only has to resolve the model (a tenant's fine-tuned models and
the scripted rules' model names change at run time). A reading that broke a rule is never
kept: it is redone against the caller's context each time, in the original order — model,
stop, tools, tool_choice, limits, *the model's rule*, n, output, top_logprobs — so a strict
caller gets the same first error and a warn-mode caller the same warnings in the same order.

A kept reading is parsed from its own copy of the bytes (never from a request's body), so no
request's body is kept alive or shared; each request gets a :class:`ChatRequest` with lists of
its own, the tools and output constraint in them shared and only read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from emulator.core.errors import ApiError
from emulator.fakes.catalogue import DEFAULT_CHAT_MODEL
from emulator.fakes.llm import ChatRequest, Message, OutputFormat, Tool
from emulator.families.chat.rules import REQUEST_SHAPE, TOKEN_LIMITS, Checks, check_schema, invalid, model_for

if TYPE_CHECKING:
    from emulator.core.rules import BusinessRule
    from emulator.fakes.llm import ModelEngine
    from emulator.http.context import RequestContext

OPTIONS_KEPT = 256  # distinct clean readings kept (a few per agent configuration)


@dataclass(frozen=True)
class ChatOptions:
    model: str  # as the caller named it: resolved per request (see the module docstring)
    stop: tuple[str, ...]
    tools: tuple[Tool, ...]
    tool_choice: str  # none | auto | required | function
    forced_tool: str | None
    max_tokens: int | None
    n: int
    temperature: float | None
    seed: int | None
    output: OutputFormat
    top_logprobs: int | None  # None = logprobs not requested; else how many alternatives
    stream: bool
    include_usage: bool

    def request(self, messages: list[Message], model: str, api_key: str) -> ChatRequest:
        """A :class:`ChatRequest` with lists of its own; the :class:`Tool` and
        :class:`OutputFormat` in it (and their schema dicts) are this reading's, shared by every
        request it serves — the engine only reads them."""
        # Positional, in the field order (keywords double the cost of this per-request call).
        return ChatRequest(
            messages, model, api_key, self.max_tokens, self.n, list(self.stop), self.temperature, self.seed,
            list(self.tools), self.tool_choice, self.forced_tool, self.output,
        )


def options_for(ctx: RequestContext, engine: ModelEngine) -> tuple[ChatOptions, str]:
    """The request's options and the model to answer as (a kept reading when there is one)."""
    body = ctx.json
    key = options_key(body)
    options = clean_reading(key) if key is not None else None
    if options is not None:
        return options, model_for(ctx, engine, options.model)
    return read_options(ctx, body, lambda model: model_for(ctx, engine, model))


def options_key(body: dict[str, Any]) -> bytes | None:
    """The key of a body's options: its JSON without the messages (None: not JSON-able)."""
    options = body.copy()
    options.pop("messages", None)
    try:
        return orjson.dumps(options)
    except TypeError:  # a value JSON cannot hold (a huge int): read it every time
        return None


class _Recorder:
    """A :class:`Checks` that only notes that a rule broke (the reading is then not kept)."""

    broke = False

    def business_rule(self, rule: BusinessRule, error: ApiError) -> None:
        self.broke = True


@functools.lru_cache(maxsize=OPTIONS_KEPT)
def clean_reading(key: bytes) -> ChatOptions | None:
    """The reading of the options ``key`` encodes, or None when it is not clean."""
    recorder = _Recorder()
    try:
        options, _ = read_options(recorder, orjson.loads(key), str)
    except Exception:  # noqa: BLE001 - whatever it was, the caller's own reading redoes it in order
        return None
    return None if recorder.broke else options


def read_options(checks: Checks, body: dict[str, Any], resolve: Callable[[str], str]) -> tuple[ChatOptions, str]:
    """Every option check, in the order the endpoint has always made them; ``resolve`` gives the
    model to answer as, called where the known-model rule has always been asked."""
    model = body.get("model") or DEFAULT_CHAT_MODEL
    if not isinstance(model, str):
        raise invalid("model must be a string.", "/model", "type_error.str")
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else stop or []
    if not isinstance(stops, list) or len(stops) > 4 or not all(isinstance(s, str) for s in stops):
        checks.business_rule(REQUEST_SHAPE, invalid("stop must be a string or up to 4 strings.", "/stop"))
        stops = []
    tools = parse_tools(checks, body.get("tools"))
    choice, forced = parse_tool_choice(checks, body, tools)
    max_tokens = positive_int_in(checks, body, "max_completion_tokens", None) or positive_int_in(checks, body, "max_tokens", None)
    answer_as = resolve(model)
    n = positive_int_in(checks, body, "n", 1, maximum=16) or 1
    output = parse_output(checks, body)
    top = None
    if body.get("logprobs") is True:
        top = body.get("top_logprobs") or 0
        if isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= 20:
            checks.business_rule(TOKEN_LIMITS, invalid("top_logprobs must be an integer from 0 to 20.", "/top_logprobs", "value_error.number"))
            top = 0
    stream = body.get("stream") is True
    stream_options = (body.get("stream_options") or {}) if stream else {}
    temperature = body.get("temperature")
    seed = body.get("seed")
    return ChatOptions(
        model=model,
        stop=tuple(stops),
        tools=tuple(tools),
        tool_choice=choice,
        forced_tool=forced,
        max_tokens=max_tokens,
        n=n,
        temperature=float(temperature) if isinstance(temperature, (int, float)) else None,
        seed=seed if isinstance(seed, int) else None,
        output=output,
        top_logprobs=top,
        stream=stream,
        include_usage=isinstance(stream_options, dict) and stream_options.get("include_usage") is True,
    ), answer_as


def parse_tools(checks: Checks, raw: Any) -> list[Tool]:
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
            checks.business_rule(REQUEST_SHAPE, invalid("function tools need function.name.", f"/tools/{i}/function/name"))
            continue
        params = fn.get("parameters") or {"type": "object", "properties": {}}
        if not check_schema(checks, params, f"/tools/{i}/function/parameters"):
            params = {"type": "object", "properties": {}}
        out.append(Tool(fn["name"], str(fn.get("description") or ""), params))
    return out


def parse_output(checks: Checks, body: dict[str, Any]) -> OutputFormat:
    """``response_format`` and Telnyx's ``guided_*`` constraints (at most one applies)."""
    if body.get("guided_choice") is not None:
        choices = body["guided_choice"]
        if isinstance(choices, list) and choices and all(isinstance(c, str) for c in choices):
            return OutputFormat("choice", choices=choices)
        checks.business_rule(REQUEST_SHAPE, invalid("guided_choice must be a non-empty array of strings.", "/guided_choice"))
    elif body.get("guided_regex") is not None:
        if isinstance(body["guided_regex"], str):
            return OutputFormat("regex", pattern=body["guided_regex"])
        checks.business_rule(REQUEST_SHAPE, invalid("guided_regex must be a string.", "/guided_regex", "type_error.str"))
    elif body.get("guided_json") is not None and check_schema(checks, body["guided_json"], "/guided_json"):
        return OutputFormat("json_schema", schema=body["guided_json"])
    fmt = body.get("response_format")
    if fmt is None:
        return OutputFormat()
    if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
        checks.business_rule(REQUEST_SHAPE, invalid("response_format.type must be text, json_object or json_schema.", "/response_format/type", "value_error.enum"))
        return OutputFormat()
    if fmt["type"] == "json_schema":
        spec = fmt.get("json_schema")
        if not isinstance(spec, dict) or "schema" not in spec:
            checks.business_rule(REQUEST_SHAPE, invalid("response_format.json_schema.schema is required.", "/response_format/json_schema/schema", "value_error.missing"))
            return OutputFormat()
        if not check_schema(checks, spec["schema"], "/response_format/json_schema/schema"):
            return OutputFormat()
        return OutputFormat("json_schema", schema=spec["schema"])
    return OutputFormat(fmt["type"])


def positive_int(ctx: RequestContext, name: str, default: int | None, *, maximum: int | None = None) -> int | None:
    """``name`` of the request's body as a whole number of at least 1 (at most ``maximum``)."""
    return positive_int_in(ctx, ctx.json, name, default, maximum=maximum)


def positive_int_in(checks: Checks, body: dict[str, Any], name: str, default: int | None, *, maximum: int | None = None) -> int | None:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1 or (maximum and value > maximum):
        bound = f" and at most {maximum}" if maximum else ""
        checks.business_rule(TOKEN_LIMITS, invalid(f"{name} must be an integer of at least 1{bound}.", f"/{name}", "value_error.number"))
        return default
    return int(value)


def parse_tool_choice(checks: Checks, body: dict[str, Any], tools: list[Tool]) -> tuple[str, str | None]:
    """(none | auto | required | function, the forced function's name)."""
    choice = body.get("tool_choice", "auto" if tools else "none")
    fallback = "auto" if tools else "none"
    if isinstance(choice, dict):
        forced = (choice.get("function") or {}).get("name")
        if forced in {t.name for t in tools}:
            return "function", forced
        checks.business_rule(REQUEST_SHAPE, invalid(f"tool_choice names function {forced!r}, which is not in tools.", "/tool_choice/function/name"))
        return fallback, None
    if choice not in ("none", "auto", "required"):
        checks.business_rule(REQUEST_SHAPE, invalid("tool_choice must be none, auto, required or a named function.", "/tool_choice", "value_error.enum"))
        return fallback, None
    if choice == "required" and not tools:
        checks.business_rule(REQUEST_SHAPE, invalid("tool_choice 'required' needs at least one function in tools.", "/tool_choice"))
        return "none", None
    return choice, None
