"""The seed key of a choice: the same text whether the options' part is kept or built anew."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

from emulator.app import create_app
from emulator.fakes import answers, tokens
from emulator.fakes.chat_types import ChatRequest, Message, OutputFormat, Tool
from tests.conftest import make_settings

TOOLS = [Tool("get_weather", "Weather for a city", {"type": "object", "properties": {"city": {"type": "string"}}}), Tool("book", "Book a slot", {})]


def _first_key(request: ChatRequest, index: int) -> str:
    """The key as it was always built: every part's ``str`` joined, nothing kept."""
    head = ["0", str(request.model), answers.conversation_digest(request.messages), str(request.temperature), str(request.seed)]
    tail = [str(p) for p in ([(t.name, t.description) for t in request.tools], request.tool_choice, request.forced_tool, request.output)]
    return hashlib.sha256("\x1f".join([*head, str(index), *tail]).encode()).hexdigest()


def _request(text: str, output: OutputFormat, tools: list[Tool] = TOOLS, tool_choice: str = "auto") -> ChatRequest:
    return ChatRequest([Message("user", text)], "m", "k", n=2, tools=list(tools), tool_choice=tool_choice, output=output)


def test_keptoptions_text_is_what_str_gives() -> None:
    shared = OutputFormat("json_schema", {"type": "object", "properties": {"a": {"type": "integer"}}})
    for turn in ("first turn", "second turn", "third turn"):  # the options objects shared, as a kept reading shares them
        request = _request(turn, shared)
        head = "\x1f".join(["0", "m", answers.conversation_digest(request.messages), "None", "None"])
        assert [hashlib.sha256(f"{head}\x1f{i}\x1f{answers.kept_options(request).text}".encode()).hexdigest() for i in range(2)] == [
            _first_key(request, i) for i in range(2)
        ]


def test_other_options_objects_get_their_own_text() -> None:
    a = _request("hi", OutputFormat("regex", pattern="[a-z]+"))
    b = _request("hi", OutputFormat("regex", pattern="[0-9]+"))
    c = _request("hi", a.output, tools=TOOLS[:1])
    d = _request("hi", a.output, tool_choice="required")
    texts = [answers.kept_options(r).text for r in (a, b, c, d)]
    assert len(set(texts)) == 4
    assert texts == [answers.kept_options(r).text for r in (a, b, c, d)]  # and the same again when kept
    assert "[0-9]+" in texts[1] and "required" in texts[3]


def test_choices_answer_the_same_as_before() -> None:
    output = OutputFormat()
    request = _request("What's the weather in Berlin today?", output)
    first = answers.choices(0, request, None, "What's the weather in Berlin today?")
    again = answers.choices(0, _request("What's the weather in Berlin today?", output), None, "What's the weather in Berlin today?")
    assert [(c.content, [(t.id, t.name, t.arguments) for t in c.tool_calls]) for c in first] == [
        (c.content, [(t.id, t.name, t.arguments) for t in c.tool_calls]) for c in again
    ]
    assert first[0].tool_calls and first[0].tool_calls[0].id == f"call_{_first_key(request, 0)[:24]}"


def test_kept_options_count_and_key_what_the_tools_hold(tmp_path: Path) -> None:
    """Token counts and memo keys from the kept options equal those worked out anew, and tools
    that differ only in their parameters get their own count and key."""
    engine = create_app(make_settings(tmp_path)).state.emulator.services.model
    output = OutputFormat()
    request = _request("Weather in Berlin?", output)
    expected = tokens.REPLY_PRIMING + tokens.MESSAGE_OVERHEAD + tokens.count("Weather in Berlin?") + sum(
        tokens.count(t.name) + tokens.count(t.description) + tokens.count(orjson.dumps(t.parameters).decode()) for t in TOOLS)
    assert answers.prompt_tokens(request) == expected == answers.prompt_tokens(_request("Weather in Berlin?", output))
    wider = [Tool("get_weather", "Weather for a city", {"type": "object", "properties": {"city": {"type": "string"}, "day": {"type": "string"}}}), TOOLS[1]]
    other = _request("Weather in Berlin?", output, tools=wider)
    assert answers.prompt_tokens(other) > expected
    assert engine.memo_key(request) == engine.memo_key(_request("Weather in Berlin?", output)) != engine.memo_key(other)


def test_the_kept_tool_words_pick_the_tool_the_scores_pick() -> None:
    """``tool_to_call`` skips scoring when no word of the turn scores (``KeptOptions.tool_words``,
    ``name_prefixes``); it must pick what scoring every tool picks, for any turn."""
    import random  # noqa: PLC0415

    tools = [Tool("check_availability", "List free slots for a treatment on a day."), Tool("bookAppointment", "Book a slot for a patient."),
             Tool("get-weather", "Current weather"), Tool("x", "")]
    vocabulary = ["check", "checking", "avail", "availability", "available", "book", "booking", "appointments", "appoi", "slot", "slots",
                  "free", "weather", "Berlin", "Tuesday", "the", "a", "x", "weath", "patient", "day", "2", "possible.3", "I'd", "well-"]
    rnd = random.Random(5)
    for _ in range(1500):
        text = " ".join(rnd.choice(vocabulary) for _ in range(rnd.randrange(8)))
        some = rnd.sample(tools, rnd.randrange(1, len(tools) + 1))
        for choice in ("auto", "required"):
            request = ChatRequest([Message("user", text)], "m", tools=some, tool_choice=choice)
            assert answers.tool_to_call(request, text, answers.kept_options(request)) is answers.tool_to_call(request, text), (text, choice)
