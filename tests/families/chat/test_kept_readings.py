"""What the chat family reads once and keeps: the options of a request (``options.py``, per
distinct set of options) and whole repeated bodies (``repeats.py``, per emulator). A kept
reading serves every request it matches, gives each its own lists and messages, never carries a
broken rule from one mode into another, and still resolves the model per request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.errors import ValidationFailed
from emulator.fakes import conversation, tokens
from emulator.fakes.llm import ChatRequest, Message
from emulator.families.chat import options as chat_options
from emulator.families.chat.options import ChatOptions, read_options
from tests.conftest import make_settings

CHAT = "/v2/ai/openai/chat/completions"
TOOL = {"type": "function", "function": {"name": "check_availability", "description": "Free slots for a day",
                                         "parameters": {"type": "object", "properties": {"day": {"type": "string"}}, "required": ["day"]}}}
WARN = {"Authorization": "Bearer warn-key"}
STRICT = {"Authorization": "Bearer strict-key"}


class Raising:
    def business_rule(self, rule: Any, error: Exception) -> None:
        raise error


def body(**extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": [{"role": "user", "content": "Any slots on Tuesday?"}], "tools": [TOOL], **extra}


def test_a_clean_reading_is_kept_and_each_request_gets_its_own_lists() -> None:
    chat_options.clean_reading.cache_clear()
    key = chat_options.options_key(body(max_tokens=20))
    assert key is not None
    first = chat_options.clean_reading(key)
    assert isinstance(first, ChatOptions) and chat_options.clean_reading(key) is first  # kept
    assert first.max_tokens == 20 and [t.name for t in first.tools] == ["check_availability"]
    one, two = first.request([Message("user", "a")], "openai/gpt-4o", "k"), first.request([Message("user", "b")], "openai/gpt-4o", "k")
    one.tools.clear()
    one.stop.append("x")
    assert len(two.tools) == 1 and two.stop == [] and len(first.tools) == 1  # lists of its own
    other = chat_options.clean_reading(chat_options.options_key(body(max_tokens=21)) or b"")
    assert other is not first and other is not None and other.max_tokens == 21  # different options, different reading


def test_the_reading_is_what_the_checks_say() -> None:
    options, model = read_options(Raising(), body(n=2, stop="END", tool_choice="required", logprobs=True, top_logprobs=3, stream=True,
                                                  stream_options={"include_usage": True}), str.upper)
    assert (options.n, options.stop, options.tool_choice, options.top_logprobs, options.stream, options.include_usage) == (2, ("END",), "required", 3, True, True)
    assert model == "GPT-4O"  # resolved where the known-model rule is asked
    turns = [Message("user", "hi")]
    assert options.request(turns, model, "k") == ChatRequest(
        messages=turns, model="GPT-4O", api_key="k", max_tokens=None, n=2, stop=["END"], temperature=None, seed=None,
        tools=list(options.tools), tool_choice="required", forced_tool=None, output=options.output,
    )
    tuned, _ = read_options(Raising(), body(temperature=0.3, seed=5, max_tokens=9), str)
    assert (tuned.request(turns, "m", "k").temperature, tuned.request(turns, "m", "k").seed, tuned.request(turns, "m", "k").max_tokens) == (0.3, 5, 9)
    with pytest.raises(ValidationFailed):
        read_options(Raising(), body(n=0), str)


def test_a_reading_that_broke_a_rule_is_not_kept_and_modes_stay_apart(tmp_path: Path) -> None:
    chat_options.clean_reading.cache_clear()
    bad = body(n=0)
    assert chat_options.clean_reading(chat_options.options_key(bad) or b"") is None
    with TestClient(create_app(make_settings(tmp_path))) as c:
        assert c.put("/_emulator/modes/warn-key", json={"business_rules": "warn"}).status_code == 200
        for _ in range(2):  # warn first, then strict, twice: nothing carries over
            warned = c.post(CHAT, json=bad, headers=WARN)
            assert warned.status_code == 200 and warned.headers["x-emulator-warning"] == "chat.token_limits"
            strict = c.post(CHAT, json=bad, headers=STRICT)
            assert strict.status_code == 422 and strict.json()["detail"][0]["loc"] == ["body", "n"]
        # a clean body answers the same in both modes, without a warning
        a, b = c.post(CHAT, json=body(), headers=WARN), c.post(CHAT, json=body(), headers=STRICT)
        assert "x-emulator-warning" not in a.headers and a.json()["choices"] == b.json()["choices"]
        # an unknown model is still resolved per request on a kept reading
        unknown = body(model="acme/none")
        assert c.post(CHAT, json=unknown, headers=STRICT).status_code == 404
        assert c.post(CHAT, json=unknown, headers=WARN).headers["x-emulator-warning"] == "chat.known_model"


def test_kept_token_counts_agree_with_the_tokenizer() -> None:
    for text in ("", "Hello, world!", "  spaced\n\nlines. ", "x" * (conversation.COUNTED_MAX_CHARS + 1)):
        assert conversation.count(text) == tokens.count(text) == conversation.count(text)


def test_streamed_pieces_are_the_tokenizers_encoded() -> None:
    import orjson  # noqa: PLC0415

    from emulator.families.chat.completions import STREAMED_MAX_CHARS, encoded_pieces  # noqa: PLC0415

    for text in ("Hello, world!", 'quote " and \\ back', "émoji 🎉 ok", "word " * (STREAMED_MAX_CHARS // 5 + 1)):
        assert encoded_pieces(text) == tuple(orjson.dumps(p) for p in tokens.pieces(text)) == encoded_pieces(text)
    assert encoded_pieces("one two") != encoded_pieces("one three")


def test_a_repeated_body_is_read_once_and_each_repeat_gets_its_own_messages(tmp_path: Path) -> None:
    from emulator.families.chat.repeats import RepeatedBodies  # noqa: PLC0415

    app = create_app(make_settings(tmp_path))
    repeats = app.state.emulator.services.family(RepeatedBodies)
    with TestClient(app) as c:
        first = c.post(CHAT, json=body(), headers=STRICT)
        assert len(repeats._kept) == 1  # noqa: SLF001 - the table itself is what is under test
        (reading,) = repeats._kept.values()  # noqa: SLF001
        engine = app.state.emulator.services.model
        one, two = reading.request("m", "k", engine), reading.request("m", "k", engine)
        # the engine's memo key, worked out once per (seed, model) and exactly what it computes
        assert one.memo_key is not None and one.memo_key == two.memo_key == engine.memo_key(ChatRequest(**{**vars(two), "memo_key": None}))
        assert set(reading.memo_keys) == {(engine.settings.seed, "m")} and reading.request("n", "k", engine).memo_key != one.memo_key
        one.messages[0].content = "changed"
        one.messages.append(Message("user", "more"))
        assert [m.content for m in two.messages] == ["Any slots on Tuesday?"] and reading.messages[0].content == "Any slots on Tuesday?"
        again = c.post(CHAT, json=body(), headers=STRICT)
        assert again.json()["choices"] == first.json()["choices"] and again.json()["id"] != first.json()["id"]
        c.post(CHAT, json=body(max_tokens=3), headers=STRICT)
        assert len(repeats._kept) == 2  # noqa: SLF001 - another body, another reading
    assert create_app(make_settings(tmp_path / "other")).state.emulator.services.family(RepeatedBodies)._kept == {}  # noqa: SLF001


def test_a_kept_body_still_resolves_its_model_and_a_warned_one_is_not_kept(tmp_path: Path) -> None:
    scripted = body(model="acme/custom-1")
    with TestClient(create_app(make_settings(tmp_path))) as c:
        assert c.put("/_emulator/modes/warn-key", json={"business_rules": "warn"}).status_code == 200
        assert c.post(CHAT, json=scripted, headers=WARN).headers["x-emulator-warning"] == "chat.known_model"
        assert c.post(CHAT, json=scripted, headers=STRICT).status_code == 404  # the warned reading was not kept
        rule = c.post("/_emulator/rules", json={"match": {"model": "acme/custom-1"}, "reply": {"content": "custom"}, "repeat": True}).json()["data"]
        for _ in range(2):
            assert c.post(CHAT, json=scripted, headers=STRICT).json()["choices"][0]["message"]["content"] == "custom"
        assert c.delete(f"/_emulator/rules/{rule['id']}").status_code == 204
        assert c.post(CHAT, json=scripted, headers=STRICT).status_code == 404  # kept body, model resolved again
        no_turn: dict[str, Any] = {"messages": []}  # a rule of the messages this time
        assert c.post(CHAT, json=no_turn, headers=WARN).headers["x-emulator-warning"] == "chat.conversation_turns"
        assert c.post(CHAT, json=no_turn, headers=STRICT).status_code == 422


def test_a_first_sending_skips_the_answer_memo_unless_its_body_is_too_large_to_keep(tmp_path: Path) -> None:
    """A kept body's first sending is answered without the engine's memo (its repeats are
    memoized from their reading); a body over ``RepeatedBodies.MAX_BYTES`` is never kept, so
    the engine memoizes it from its first sending, as it always did."""
    from emulator.families.chat.repeats import RepeatedBodies  # noqa: PLC0415

    app = create_app(make_settings(tmp_path))
    engine = app.state.emulator.services.model
    with TestClient(app) as c:
        first = c.post(CHAT, json=body(), headers=STRICT)
        assert first.status_code == 200 and len(engine._memo) == 0  # noqa: SLF001 - the memo itself is what is under test
        assert c.post(CHAT, json=body(), headers=STRICT).json()["choices"] == first.json()["choices"]
        assert len(engine._memo) == 1  # noqa: SLF001 - memoized from the second sending
        long = body(messages=[{"role": "system", "content": "x" * (RepeatedBodies.MAX_BYTES + 1)}, {"role": "user", "content": "Any slots?"}])
        answered = c.post(CHAT, json=long, headers=STRICT)
        assert answered.status_code == 200 and len(engine._memo) == 2  # noqa: SLF001
        assert c.post(CHAT, json=long, headers=STRICT).json()["choices"] == answered.json()["choices"]
