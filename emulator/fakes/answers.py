"""The fake model's default (unscripted) answers, and scripted tool calls' ids.

A choice is a pure function of its *seed key*: a digest of the emulator seed, the model, the
conversation, temperature, seed, the choice's index, the tools (names and descriptions),
``tool_choice``, the forced tool and the output constraint. The key's text is spelled exactly
as it always was — a different spelling would move every seeded answer users' tests pin — so
the work saved here is in *building* it: the conversation is digested once per request, the
request-wide parts are turned into text once for all ``n`` choices, and a tool-message-free
turn skips formatting an empty list of calls.

What an answer is: a scripted rule's tool calls; else a tool call the conversation asks for
(``tool_choice`` semantics, schema-valid arguments echoing the user's places and queries);
else text — a sample of the output constraint (choice, regex, JSON Schema, JSON object), a
summary of trailing tool results, or a reply built from the user's content words — cut at the
first stop sequence and at ``max_tokens``.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import orjson

from emulator.core.errors import ErrorItem, ValidationFailed
from emulator.fakes import replies, structured, tokens
from emulator.fakes.chat_types import ChatRequest, Choice, FinishReason, Message, Tool, ToolCall
from emulator.fakes.conversation import EarlierPart, digest_of, earlier_turns, message_tokens, turn_text
from emulator.fakes.reply_rules import Rule


def digest(*parts: object) -> str:
    """The seed digest of ``parts`` (their ``str``, joined by the unit separator)."""
    return hashlib.sha256("\x1f".join([str(p) for p in parts]).encode()).hexdigest()


def conversation_digest(messages: list[Message]) -> str:
    """The conversation's seed digest, worked out from scratch (what :func:`choices` gets from
    the kept earlier turns, ``fakes/conversation.py``)."""
    return digest(*[turn_text(m) for m in messages])


def choices(seed: object, request: ChatRequest, rule: Rule | None, last_user: str, options: KeptOptions | None = None,
            earlier: EarlierPart | None = None) -> list[Choice]:
    """The ``n`` choices answering ``request`` (``rule``: the scripted rule that matched, if any;
    ``options``, ``earlier``: :func:`kept_options` and ``earlier_turns`` of the request, when the
    caller already has them)."""
    conversation = digest_of(request.messages, earlier or earlier_turns(request.messages))
    options = options or kept_options(request)
    # One f-string of every part's ``str`` (``!s``), the index between the head and the tail.
    head = f"{seed!s}\x1f{request.model!s}\x1f{conversation}\x1f{request.temperature!s}\x1f{request.seed!s}\x1f"
    if request.n <= 1:  # one choice (most requests)
        return [_choice(request, rule, last_user, hashlib.sha256(f"{head}0\x1f{options.text}".encode()).hexdigest(), 0, options)]
    return [_choice(request, rule, last_user, hashlib.sha256(f"{head}{index}\x1f{options.text}".encode()).hexdigest(), index, options)
            for index in range(request.n)]


@dataclass(frozen=True, slots=True)
class KeptOptions:
    """What a request's tools, tool choice and output constraint contribute, worked out once
    per those objects (see :func:`kept_options`)."""

    refs: tuple[object, ...]  # the objects whose ids key the entry, kept alive beside it
    text: str  # their part of every choice's seed key
    tool_tokens: int  # what the tools add to the prompt's token count
    encoded: bytes | None  # their JSON, the engine memo key's tail (None: not JSON-able)
    tool_words: frozenset[str]  # every word a tool's name or description scores with
    name_prefixes: tuple[str, ...]  # name words' five-letter starts that score beyond their word


_KEPT_OPTIONS: dict[tuple[Any, ...], KeptOptions] = {}
OPTIONS_TEXT_KEPT = 256


def kept_options(request: ChatRequest) -> KeptOptions:
    """The tools, tool choice and output constraint as they enter every choice's seed key
    (``str`` of each, joined by the unit separator), the prompt's token count and the memo key.
    The ``str`` of an output constraint is the repr of its schema, and a tool's tokens are
    counted over its schema's JSON: work redone on every turn though a conversation's options
    never change (the :class:`Tool` and :class:`OutputFormat` objects of one options reading
    are shared by all its requests, ``families/chat/options.py``, and only read), so it is kept
    per those objects: keyed by their ids, the objects kept beside it so an id cannot be reused
    while its entry lives — a live object with a kept id *is* the kept object (bounded; emptied
    when full)."""
    refs: tuple[object, ...] = (request.output, *request.tools)
    key = (request.tool_choice, request.forced_tool, *map(id, refs))
    kept = _KEPT_OPTIONS.get(key)
    if kept is not None:
        return kept
    parts = ([(t.name, t.description) for t in request.tools], request.tool_choice, request.forced_tool, request.output)
    try:
        encoded: bytes | None = orjson.dumps([request.tools, request.tool_choice, request.forced_tool, request.output])
    except TypeError:  # a value JSON cannot hold (a huge int, a non-str key)
        encoded = None
    names = [p for t in request.tools for p in _name_parts(t.name)]
    kept = KeptOptions(refs, "\x1f".join([str(p) for p in parts]),
                       sum(_tool_tokens(t.name, t.description, orjson.dumps(t.parameters)) for t in request.tools), encoded,
                       frozenset(names).union(*[_description_words(t.description) for t in request.tools]),
                       tuple(dict.fromkeys([" " + p[:5] for p in names if len(p) >= 5])))
    if len(_KEPT_OPTIONS) >= OPTIONS_TEXT_KEPT:
        _KEPT_OPTIONS.clear()
    _KEPT_OPTIONS[key] = kept
    return kept


def _choice(request: ChatRequest, rule: Rule | None, last_user: str, key: str, index: int, options: KeptOptions | None = None) -> Choice:
    if rule is not None and rule.tool_calls:
        calls = [
            ToolCall(f"call_{digest(key, i)[:24]}", c.name, c.arguments if isinstance(c.arguments, str) else orjson.dumps(c.arguments).decode())
            for i, c in enumerate(rule.tool_calls)
        ]
        return _tool_choice(index, calls)
    if rule is None:
        tool = tool_to_call(request, last_user, options)
        if tool is not None:
            hints = {"_query": " ".join(replies.content_words(last_user)) or last_user[:40]}
            places = replies.proper_nouns(last_user)
            if places:
                hints["_place"] = places[0]
            args = schema_value(tool.parameters or {"type": "object"}, key, hints, f"/tools/{tool.name}/parameters")
            return _tool_choice(index, [ToolCall(f"call_{key[:24]}", tool.name, orjson.dumps(args).decode())])
    used: int | None = None  # the text's count, when it came with the text
    if rule is not None and rule.content is not None:
        text = rule.content
    else:
        text, used = _default_text(request, last_user, key)
    finish: FinishReason = "stop"
    text, hit = tokens.cut_at_stop(text, request.stop) if request.stop else (text, None)
    if used is None or hit is not None:
        used = tokens.count(text)  # counted without splitting: most texts fit (split only to cut)
    if request.max_tokens is not None and used > request.max_tokens:
        text = "".join(tokens.pieces(text)[: max(request.max_tokens, 0)])
        used = tokens.count(text)
        finish, hit = "length", None
    return Choice(index, text, [], finish, used, hit)


def _tool_choice(index: int, calls: list[ToolCall]) -> Choice:
    used = sum(tokens.count(c.name) + tokens.count(c.arguments) for c in calls)
    return Choice(index, None, calls, "tool_calls", used)


@functools.lru_cache(maxsize=1024)
def _name_parts(name: str) -> tuple[str, ...]:
    """The words of a tool's name (cached: the same tools come with every turn)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ")
    return tuple(p.lower() for p in spaced.split() if len(p) >= 3 and p.lower() not in replies.STOPWORDS)


@functools.lru_cache(maxsize=1024)
def _description_words(description: str) -> frozenset[str]:
    return frozenset(replies.content_words(description, 32))


def tool_to_call(request: ChatRequest, last_user: str, options: KeptOptions | None = None) -> Tool | None:
    """Which tool the default behaviour calls, if any (see ``tool_choice`` semantics;
    ``options``: :func:`kept_options` of the request, when the caller has it)."""
    if not request.tools or request.tool_choice == "none":
        return None
    if request.forced_tool is not None:
        return next((t for t in request.tools if t.name == request.forced_tool), None)
    if request.tool_choice != "required" and request.messages and request.messages[-1].role == "tool":
        return None  # auto after a tool result: answer it instead of looping
    found = replies.kept_content_words(last_user)
    if options is not None and options.tool_words.isdisjoint(found) and not _starts_any(found, options.name_prefixes):
        # No word scores for any tool (most turns of a voice agent): every score is 0, so the
        # first tool is the best, and it is called only when a call is required.
        return request.tools[0] if request.tool_choice == "required" else None
    words = set(found)
    prefixes = {w[:5] for w in words}
    best, top = request.tools[0], -1
    for tool in request.tools:  # the first of the best scores wins
        parts = _name_parts(tool.name)
        by_name = 0
        for p in parts:
            if p in words or p[:5] in prefixes:
                by_name += 1
        score = (10 * by_name if parts and by_name == len(parts) else by_name) + len(_description_words(tool.description) & words)
        if score > top:
            best, top = tool, score
    return best if request.tool_choice == "required" or top >= 2 else None


def _starts_any(words: tuple[str, ...], prefixes: tuple[str, ...]) -> bool:
    """Whether a word starts with one of ``prefixes`` (each " " + five letters): a name word
    of five letters or more scores for a word of the same first five (a shorter one only for
    itself, a tool word)."""
    if not prefixes:
        return False
    spaced = " " + " ".join(words)  # words hold no spaces
    for prefix in prefixes:  # noqa: SIM110 - a loop, not a generator (any() of one costs a frame per item)
        if prefix in spaced:
            return True
    return False


def schema_value(schema: dict[str, Any], key: str, hints: dict[str, str], pointer: str) -> Any:
    """Seeded value for a caller's schema, echoing places and queries from the prompt where
    they fit (``fakes/structured.py``, over the one schema value generator); it always
    validates, or the request gets a 422 naming the schema."""
    try:
        return structured.value_for_schema(schema, key, hints)
    except structured.ConstraintError as exc:
        raise ValidationFailed(items=[ErrorItem(str(exc), pointer=pointer)]) from exc


def _default_text(request: ChatRequest, last_user: str, key: str) -> tuple[str, int | None]:
    """The unscripted text, and its token count when that came cheaper than counting it."""
    # Seeded here, not for every choice: seeding a Mersenne Twister costs more than the rest of
    # a tool call's choice, and only text needs it.
    rng = replies.Draws(int(key[:16], 16))
    out = request.output
    if out.kind == "choice":
        return rng.choice(out.choices), None
    if out.kind == "regex":
        try:
            return structured.regex_sample(out.pattern or "", key), None
        except structured.ConstraintError as exc:
            raise ValidationFailed(items=[ErrorItem(str(exc), pointer="/guided_regex")]) from exc
    if out.kind == "json_schema":
        return orjson.dumps(schema_value(out.schema or {}, key, {}, "/response_format/json_schema/schema")).decode(), None
    if out.kind == "json_object":
        return orjson.dumps(replies.json_answer(last_user, rng)).decode(), None
    messages = request.messages
    if not messages or messages[-1].role != "tool":  # no trailing tool results (most turns)
        return replies.answer_counted(last_user, rng)
    trailing: list[tuple[str, str]] = []
    names = {c.id: c.name for m in messages for c in m.tool_calls}
    for msg in reversed(messages):
        if msg.role != "tool":
            break
        trailing.insert(0, (names.get(msg.tool_call_id or "", "the tool"), msg.content))
    return replies.summarise_tool_results(trailing, rng), None


# -- accounting ----------------------------------------------------------------------------

@functools.lru_cache(maxsize=1024)
def _tool_tokens(name: str, description: str, parameters: bytes) -> int:
    """What a tool adds to the prompt's token count (cached per tool, keyed by its JSON)."""
    return tokens.count(name) + tokens.count(description) + tokens.count(parameters.decode())


def prompt_tokens(request: ChatRequest, options: KeptOptions | None = None, earlier: EarlierPart | None = None) -> int:
    """The prompt's token count (``options``, ``earlier``: :func:`kept_options` and
    ``earlier_turns`` of the request, if known)."""
    messages = request.messages
    total = tokens.REPLY_PRIMING + (options or kept_options(request)).tool_tokens + (earlier or earlier_turns(messages)).tokens
    if not messages:
        return total
    # The last turn's text is counted as it is, not through the kept counts of texts sent again:
    # a conversation's new turn is not sent again, and a repeated body's count is memoized with
    # its answer.
    return total + message_tokens(messages[-1], tokens.count)
