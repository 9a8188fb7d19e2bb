"""The model engine used directly (as other API families use it), the rules control API, fixture
rules, and the pieces under them (tokenizer, constrained generation)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.errors import ApiError, NotFound, ValidationFailed
from emulator.fakes import structured, tokens
from emulator.fakes.llm import ChatRequest, Message, ModelEngine, OutputFormat, Tool
from tests.conftest import AUTH, make_settings

CHAT = "/v2/ai/openai/chat/completions"


def engine_of(tmp_path: Path, **settings: object) -> ModelEngine:
    return create_app(make_settings(tmp_path, **settings)).state.emulator.services.model


def ask(text: str, **kw: object) -> ChatRequest:
    return ChatRequest(messages=[Message("user", text)], model="zai-org/GLM-5.2", api_key="k", **kw)  # type: ignore[arg-type]


def test_engine_api_is_deterministic_across_emulators(tmp_path: Path) -> None:
    a, b = engine_of(tmp_path / "a"), engine_of(tmp_path / "b")
    ca, cb = a.complete(ask("Summarise the billing dispute")), b.complete(ask("Summarise the billing dispute"))
    assert ca.choices[0].content == cb.choices[0].content and "billing" in (ca.choices[0].content or "")
    assert ca.prompt_tokens == tokens.REPLY_PRIMING + tokens.MESSAGE_OVERHEAD + tokens.count("Summarise the billing dispute")
    by_seed = {ca.choices[0].content} | {engine_of(tmp_path / f"s{s}", seed=s).complete(ask("Summarise the billing dispute")).choices[0].content for s in (1, 2)}
    assert len(by_seed) > 1  # the emulator's --seed changes default replies


def test_engine_structured_and_tools(tmp_path: Path) -> None:
    engine = engine_of(tmp_path)
    choice = engine.complete(ask("x", output=OutputFormat("choice", choices=["yes", "no"]))).choices[0]
    assert choice.content in ("yes", "no")
    schema = {"type": "object", "properties": {"when": {"type": "string", "format": "date-time"}}, "required": ["when"]}
    tool = Tool("schedule_callback", "Schedule a callback to the customer", schema)
    called = engine.complete(ask("Please schedule a callback tomorrow", tools=[tool])).choices[0]
    assert called.finish_reason == "tool_calls" and json.loads(called.tool_calls[0].arguments)["when"]
    with pytest.raises(NotFound):
        engine.resolve_model("nobody/none")
    assert engine.resolve_model("gpt-4o") == "openai/gpt-4o"
    with pytest.raises(ValidationFailed):
        ModelEngine.check_conversation([Message("user", "hi"), Message("tool", "{}", tool_call_id="call_x")])


def test_rules_control_api(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as c:
        bad = c.post("/_emulator/rules", json={"match": {"regex": "("}, "reply": {"content": "x"}})
        assert bad.status_code == 422 and bad.json()["errors"][0]["source"]["pointer"] == "/match/regex"
        assert c.post("/_emulator/rules", json={"match": {"contains": "x"}}).status_code == 422
        assert c.post("/_emulator/rules", json={"reply": {"content": "x"}, "times": 0}).status_code == 422
        batch = c.post("/_emulator/rules", json={"rules": [{"reply": {"content": "one"}}, {"reply": {"content": "bad"}, "times": -1}]})
        assert batch.status_code == 422 and c.get("/_emulator/rules").json()["data"] == []  # all or nothing
        batch = c.post("/_emulator/rules", json={"rules": [{"reply": {"content": "first"}}, {"reply": {"content": "second"}}]})
        ids = [r["id"] for r in batch.json()["data"]]
        said = [c.post(CHAT, json={"messages": [{"role": "user", "content": "hi"}]}, headers=AUTH).json()["choices"][0]["message"]["content"] for _ in range(3)]
        assert said[:2] == ["first", "second"] and said[2] not in ("first", "second")  # consumed in order
        assert c.delete(f"/_emulator/rules/{ids[0]}").status_code == 204
        assert c.delete(f"/_emulator/rules/{ids[0]}").status_code == 404
        c.post("/_emulator/rules", json={"match": {"model": "acme/custom-1"}, "reply": {"content": "custom"}, "repeat": True})
        r = c.post(CHAT, json={"model": "acme/custom-1", "messages": [{"role": "user", "content": "hi"}]}, headers=AUTH)
        assert r.json()["choices"][0]["message"]["content"] == "custom"  # a scripted model id is served
        assert c.delete("/_emulator/rules").status_code == 204 and c.get("/_emulator/rules").json()["data"] == []
        assert c.post(CHAT, json={"model": "acme/custom-1", "messages": [{"role": "user", "content": "hi"}]}, headers=AUTH).status_code == 404


def test_fixture_rules_load_and_come_back_after_reset(tmp_path: Path) -> None:
    folder = tmp_path / "fx" / "rules"
    folder.mkdir(parents=True)
    (folder / "greet.json").write_text(json.dumps({"rules": [{"match": {"contains": "hello"}, "reply": {"content": "Fixture hello."}}]}))
    (folder / "err.yaml").write_text("- match: {contains: explode}\n  reply: {error: {status: 503, detail: model overloaded}}\n  repeat: true\n")
    with TestClient(create_app(make_settings(tmp_path, fixtures=tmp_path / "fx"))) as c:
        listed = c.get("/_emulator/rules").json()["data"]
        assert sorted(r["source"] for r in listed) == ["err.yaml", "greet.json"]
        hello = {"messages": [{"role": "user", "content": "hello there"}]}
        assert c.post(CHAT, json=hello, headers=AUTH).json()["choices"][0]["message"]["content"] == "Fixture hello."
        assert c.post(CHAT, json=hello, headers=AUTH).json()["choices"][0]["message"]["content"] != "Fixture hello."
        boom = c.post(CHAT, json={"messages": [{"role": "user", "content": "explode"}]}, headers=AUTH)
        assert boom.status_code == 503 and boom.json()["errors"][0]["detail"] == "model overloaded"
        c.post("/_emulator/reset")
        assert c.post(CHAT, json=hello, headers=AUTH).json()["choices"][0]["message"]["content"] == "Fixture hello."


def test_scripted_error_in_the_engine(tmp_path: Path) -> None:
    engine = engine_of(tmp_path)
    engine.rules.add({"match": {"contains": "quota"}, "reply": {"error": {"status": 429, "code": "10011", "detail": "Too many"}}})
    with pytest.raises(ApiError) as err:
        engine.complete(ask("quota please"))
    assert (err.value.instance_status, err.value.instance_code) == (429, "10011")


def test_stream_token_delay_paces_the_stream(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, stream_token_delay=0.01))) as c:
        started = time.perf_counter()
        r = c.post(CHAT, json={"messages": [{"role": "user", "content": "hello"}], "stream": True, "max_tokens": 10}, headers=AUTH)
        assert r.status_code == 200 and time.perf_counter() - started >= 0.09  # 10 tokens x 10 ms


@pytest.mark.parametrize("text", ["Hello, world!", "  spaced\n\nlines. ", '{"a": [1, 2.5]}', "", "émoji 🎉 ok"])
def test_tokenizer_round_trips(text: str) -> None:
    assert "".join(tokens.pieces(text)) == text
    cut, was_cut = tokens.truncate(text, 2)
    assert text.startswith(cut) and was_cut == (tokens.count(text) > 2)


@pytest.mark.parametrize("pattern", [r"\d{5}", r"[a-f0-9]{8}-[a-f0-9]{4}", r"(cat|dog)s?", r"^\+1[2-9]\d{9}$", r"\w+@\w+\.com", r"[^aeiou ]{3,6}", r"a.b\.c"])
def test_regex_subset(pattern: str) -> None:
    assert re.fullmatch(pattern, structured.regex_sample(pattern, "k"))
    assert structured.regex_sample(pattern, "k") == structured.regex_sample(pattern, "k")


def test_unsupported_regex_constructs_are_refused() -> None:
    for pattern in (r"(?=a)a", r"(a)\1", "(unclosed"):
        with pytest.raises(structured.ConstraintError):
            structured.regex_sample(pattern, "k")


def test_engine_conveniences_for_other_families(tmp_path: Path) -> None:
    engine = engine_of(tmp_path)
    text = engine.say("What are your opening hours on Saturday?", api_key="k", instructions="You are a shop assistant.")
    assert "opening" in text and text == engine.say("What are your opening hours on Saturday?", api_key="k", instructions="You are a shop assistant.")
    schema = {"type": "object", "properties": {"resolved": {"type": "boolean"}, "topic": {"type": "string"}}, "required": ["resolved", "topic"]}
    value = engine.fill_schema(schema, [Message("user", "My internet is down")], api_key="k")
    assert isinstance(value["resolved"], bool) and isinstance(value["topic"], str)
    engine.rules.add({"match": {"turn": "tool"}, "reply": {"content": "Done with the tool."}})
    engine.rules.add({"match": {"turn": "user", "contains": "refund"}, "reply": {"tool_calls": [{"name": "refund", "arguments": {"id": 1}}]}})
    first = engine.complete(ask("I want a refund", tools=[Tool("refund")]))
    call = first.choices[0].tool_calls[0]
    assert call.name == "refund"
    convo = [Message("user", "I want a refund"), Message("assistant", "", [call]), Message("tool", "ok", tool_call_id=call.id)]
    assert engine.say(convo, api_key="k") == "Done with the tool."


def test_rules_survive_snapshot_and_restore(tmp_path: Path) -> None:
    engine = engine_of(tmp_path)
    engine.rules.add({"match": {"contains": "a"}, "reply": {"content": "one"}, "times": 2})
    engine.rules.add({"match": {"regex": "b+"}, "reply": {"tool_calls": [{"name": "f", "arguments": {}}]}, "repeat": True, "api_key": "k"})
    assert engine.say("a", api_key="k") == "one"
    dumped = json.loads(json.dumps(engine.snapshot_dump()))
    other = engine_of(tmp_path / "other")
    other.snapshot_load(dumped)
    assert [r.to_json() for r in other.rules.list()] == [r.to_json() for r in engine.rules.list()]
    assert other.say("a", api_key="k") == "one" and other.say("a", api_key="k") != "one"  # 1 hit left, then gone
    assert other.rules.add({"reply": {"content": "x"}}).id == "rule_3"
    with pytest.raises(ValueError):
        other.snapshot_load({"rules": [{"id": "rule_1", "reply": {}}]})
    assert len(other.rules.list()) == 3  # a bad snapshot changes nothing


def test_chunks_are_flushed_as_produced_not_buffered(tmp_path: Path) -> None:
    import httpx  # noqa: PLC0415

    from tests.support.chat import live  # noqa: PLC0415

    with live(tmp_path, stream_token_delay=0.03) as server:
        body = {"messages": [{"role": "user", "content": "Tell me about hiking trails near Denver"}], "stream": True, "max_tokens": 10}
        started = time.perf_counter()
        arrivals = []
        with httpx.stream("POST", f"{server.url}{CHAT}", json=body, headers=AUTH) as r:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    arrivals.append(time.perf_counter() - started)
        assert len(arrivals) == 13  # role, 10 tokens, finish, [DONE]
        # Buffered output would arrive all at once; paced, the first chunk precedes the last by
        # at least the 10 x 30 ms of token delay (timing-robust under a loaded machine).
        assert arrivals[-1] - arrivals[0] >= 0.25
        assert arrivals[6] - arrivals[1] >= 0.1  # tokens arrive spread out at ~the configured pace


SCHEMAS = [
    {"type": "object", "properties": {"a": {"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 9, "multipleOf": 2}}, "required": ["a"]},
    {"type": "object", "properties": {"n": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}}, "required": ["n"]},
    {"type": "array", "items": {"type": "string", "enum": ["x", "y", "z"]}, "minItems": 2, "maxItems": 3, "uniqueItems": True},
    {"$defs": {"item": {"type": "object", "properties": {"sku": {"type": "string", "pattern": "^[A-Z]{3}-\\d{3}$"}}, "required": ["sku"]}},
     "type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/item"}, "minItems": 1}}, "required": ["items"]},
    {"anyOf": [{"type": "string", "minLength": 3}, {"type": "integer"}]},
    {"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
               {"properties": {"b": {"type": "boolean"}}, "required": ["b"]}]},
    {"type": "object", "properties": {"kind": {"const": "fixed"}, "when": {"type": "string", "format": "date"},
                                      "email": {"type": "string", "format": "email"}, "maybe": {"type": ["null", "string"]}},
     "required": ["kind", "when", "email", "maybe"], "additionalProperties": False},
    {"type": "object", "properties": {"name": {"type": "string", "maxLength": 4}, "tags": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 1}}}},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_schema_values_validate(schema: dict) -> None:
    import jsonschema  # noqa: PLC0415

    for key in ("a", "b", "c"):
        jsonschema.validate(structured.value_for_schema(schema, key), schema)


def test_the_seed_key_is_spelled_as_it_always_was(tmp_path: Path) -> None:
    """``fakes/answers.py`` builds the key faster; its text must not move (users pin answers)."""
    import hashlib  # noqa: PLC0415

    engine = engine_of(tmp_path)
    tool = Tool("get_weather", "Current weather for a city", {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
    convo = [Message("system", "Be brief."), Message("user", "weather in Berlin?")]
    request = ChatRequest(convo, "zai-org/GLM-5.2", "k", tools=[tool], temperature=0.5, seed=7)

    def old_digest(*parts: object) -> str:
        return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()

    conversation = old_digest(*(f"{m.role}:{m.content}:{[(c.name, c.arguments) for c in m.tool_calls]}:{m.tool_call_id}" for m in convo))
    key = old_digest(engine.settings.seed, request.model, conversation, 0.5, 7, 0, [(tool.name, tool.description)], "auto", None, OutputFormat())
    call = engine.complete(request).choices[0].tool_calls[0]
    assert call.id == f"call_{key[:24]}" and json.loads(call.arguments)["city"] == "Berlin"


def test_memoized_answers_are_handed_out_as_copies(tmp_path: Path) -> None:
    engine = engine_of(tmp_path)
    tool = Tool("schedule_callback", "Schedule a callback to the customer", {"type": "object", "properties": {"when": {"type": "string"}}})
    first = engine.complete(ask("Please schedule a callback tomorrow", tools=[tool]))
    first.choices[0].tool_calls.append(first.choices[0].tool_calls[0])  # a caller changing its answer
    second = engine.complete(ask("Please schedule a callback tomorrow", tools=[tool]))
    assert len(second.choices[0].tool_calls) == 1 and second.choices[0].tool_calls[0] == first.choices[0].tool_calls[0]
    assert second.id != first.id and second.prompt_tokens == first.prompt_tokens
    other = engine.complete(ask("Please schedule a callback on Friday", tools=[tool]))
    assert other.choices[0].tool_calls[0].id != first.choices[0].tool_calls[0].id  # another turn, another answer


def test_a_request_not_to_memoize_gets_the_memoized_answer_and_leaves_no_entry(tmp_path: Path) -> None:
    """``ChatRequest.memoize`` (a body sent for the first time) only skips the memo."""
    engine = engine_of(tmp_path)
    tool = Tool("schedule_callback", "Schedule a callback to the customer", {"type": "object", "properties": {"when": {"type": "string"}}})
    for text in ("Please schedule a callback tomorrow", "What are your opening hours?"):
        fresh = ask(text, tools=[tool])
        fresh.memoize = False
        first = engine.complete(fresh)
        assert engine._memo == {}  # noqa: SLF001
        kept = engine.complete(ask(text, tools=[tool]))
        assert len(engine._memo) == 1 and kept.choices == first.choices and kept.prompt_tokens == first.prompt_tokens  # noqa: SLF001
        engine._memo.clear()  # noqa: SLF001
