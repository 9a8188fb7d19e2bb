"""Chat completions through the official ``openai`` SDK against a real uvicorn server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import jsonschema
import openai
import pytest

from tests.conftest import LiveServer
from tests.support.chat import add_rule, chunks, live, reset

USER = [{"role": "user", "content": "Which hiking trails near Denver are good for beginners?"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live(tmp_path_factory.mktemp("chat")) as srv:
        yield srv


@pytest.fixture
def client(server: LiveServer) -> openai.OpenAI:
    reset(server)
    return openai.OpenAI(api_key="k", base_url=f"{server.url}/v2/ai/openai", max_retries=0)


def test_plain_completion_is_deterministic_and_derived_from_the_prompt(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=USER)
    second = client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=USER)
    other = client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=[{"role": "user", "content": "Explain invoice refunds"}])
    text = first.choices[0].message.content
    assert text == second.choices[0].message.content
    assert "hiking" in text and "trails" in text  # built from the prompt's content words
    assert other.choices[0].message.content != text and "invoice" in other.choices[0].message.content
    assert first.object == "chat.completion" and first.model == "moonshotai/Kimi-K2.6"
    assert first.choices[0].finish_reason == "stop" and first.choices[0].message.role == "assistant"
    usage = first.usage
    assert usage.completion_tokens > 5 and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert first.id != second.id


def test_seed_and_temperature_change_the_reply_deterministically(client: openai.OpenAI) -> None:
    texts = {
        seed: client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=USER, seed=seed, temperature=0.9).choices[0].message.content
        for seed in range(6)
    }
    again = client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=USER, seed=3, temperature=0.9)
    assert again.choices[0].message.content == texts[3]
    assert len(set(texts.values())) > 1


def test_streamed_text_equals_non_streamed(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER).choices[0].message.content
    stream = client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER, stream=True)
    got = list(stream)
    assert len({c.id for c in got}) == 1 and all(c.object == "chat.completion.chunk" for c in got)
    assert got[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in got) == whole
    assert [c.choices[0].finish_reason for c in got][-1] == "stop"
    assert all(c.choices[0].finish_reason is None for c in got[:-1])
    assert len(got) > 10  # one chunk per token, not one blob


def test_raw_stream_format_include_usage_and_done(server: LiveServer, client: openai.OpenAI) -> None:
    body = {"model": "zai-org/GLM-5.2", "messages": USER, "stream": True, "stream_options": {"include_usage": True}}
    with httpx.stream("POST", f"{server.url}/v2/ai/openai/chat/completions", json=body, headers={"Authorization": "Bearer k"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        text = r.read().decode()
    assert text.endswith("data: [DONE]\n\n")
    parsed = chunks(text)
    assert parsed[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(c["usage"] is None for c in parsed[:-1])
    last = parsed[-1]
    assert last["choices"] == [] and last["usage"]["completion_tokens"] == len(parsed) - 3  # role + finish + usage chunks
    plain = client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER)
    assert last["usage"]["prompt_tokens"] == plain.usage.prompt_tokens
    assert last["usage"]["completion_tokens"] == plain.usage.completion_tokens


def test_max_tokens_truncates_with_length(client: openai.OpenAI) -> None:
    full = client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER).choices[0].message.content
    cut = client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER, max_tokens=4)
    assert cut.choices[0].finish_reason == "length" and cut.usage.completion_tokens == 4
    assert full.startswith(cut.choices[0].message.content) and len(cut.choices[0].message.content) < len(full)


def test_n_choices_differ_and_first_matches_single(client: openai.OpenAI) -> None:
    single = client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER, n=1)
    many = client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER, n=3)
    texts = [c.message.content for c in many.choices]
    assert [c.index for c in many.choices] == [0, 1, 2]
    assert texts[0] == single.choices[0].message.content
    assert len(set(texts)) > 1
    assert many.usage.completion_tokens > single.usage.completion_tokens


def test_stop_sequence_cuts_the_text(client: openai.OpenAI) -> None:
    full = client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER).choices[0].message.content
    stopped = client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER, stop=["."])
    assert stopped.choices[0].message.content == full.split(".")[0]
    assert stopped.choices[0].finish_reason == "stop"


def test_unknown_model_is_a_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="acme/not-a-model", messages=USER)
    assert "acme/not-a-model" in json.dumps(err.value.body)


def test_bad_input_is_a_clear_422(server: LiveServer, client: openai.OpenAI) -> None:
    url = f"{server.url}/v2/ai/openai/chat/completions"
    auth = {"Authorization": "Bearer k"}
    r = httpx.post(url, json={"messages": []}, headers=auth)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "messages"]
    r = httpx.post(url, json={"messages": [{"role": "wizard", "content": "hi"}]}, headers=auth)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "messages", 0, "role"]
    orphan = [*USER, {"role": "tool", "tool_call_id": "call_nope", "content": "{}"}]
    r = httpx.post(url, json={"messages": orphan}, headers=auth)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "messages", 1, "tool_call_id"]
    assert "call_nope" in r.json()["detail"][0]["msg"]
    bad_schema = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": 5}}}}}
    r = httpx.post(url, json={"messages": USER, "tools": [bad_schema]}, headers=auth)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:3] == ["body", "tools", 0]


def test_tool_calling_round_trip(client: openai.OpenAI) -> None:
    ask = [{"role": "user", "content": "What is the weather in Chicago right now?"}]
    first = client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=ask, tools=[WEATHER_TOOL])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather" and call.id.startswith("call_")
    args = json.loads(call.function.arguments)
    jsonschema.validate(args, WEATHER_TOOL["function"]["parameters"])
    assert args["city"] == "Chicago"  # the place the user named
    follow = [
        *ask,
        {"role": "assistant", "content": "", "tool_calls": [{"id": call.id, "type": "function", "function": {"name": call.function.name, "arguments": call.function.arguments}}]},
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temperature": 21, "conditions": "sunny"})},
    ]
    final = client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=follow, tools=[WEATHER_TOOL])
    text = final.choices[0].message.content
    assert final.choices[0].finish_reason == "stop"
    assert "get_weather" in text and "temperature is 21" in text and "sunny" in text


def test_tool_choice_none_and_required(client: openai.OpenAI) -> None:
    unrelated = [{"role": "user", "content": "Tell me a joke"}]
    auto = client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=unrelated, tools=[WEATHER_TOOL])
    assert auto.choices[0].finish_reason == "stop"  # nothing in the prompt calls for the tool
    forced = client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=unrelated, tools=[WEATHER_TOOL], tool_choice="required")
    assert forced.choices[0].message.tool_calls[0].function.name == "get_weather"
    ask = [{"role": "user", "content": "What is the weather in Chicago?"}]
    none = client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=ask, tools=[WEATHER_TOOL], tool_choice="none")
    assert none.choices[0].message.tool_calls is None and none.choices[0].message.content


def test_streamed_tool_call_deltas_assemble(client: openai.OpenAI) -> None:
    ask = [{"role": "user", "content": "What is the weather in Chicago right now?"}]
    plain = client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=ask, tools=[WEATHER_TOOL])
    got = list(client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=ask, tools=[WEATHER_TOOL], stream=True))
    deltas = [tc for c in got for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].id == plain.choices[0].message.tool_calls[0].id and deltas[0].function.name == "get_weather"
    assert all(d.index == 0 for d in deltas) and all(d.id is None for d in deltas[1:])
    assert "".join(d.function.arguments or "" for d in deltas) == plain.choices[0].message.tool_calls[0].function.arguments
    assert got[-1].choices[0].finish_reason == "tool_calls"


def test_scripted_rule_consumed_then_default_again(server: LiveServer, client: openai.OpenAI) -> None:
    rule = add_rule(server, {"match": {"contains": "trails"}, "reply": {"content": "Scripted: try Red Rocks."}})
    assert rule["remaining"] == 1
    default = client.chat.completions.create(model="zai-org/GLM-5.2", messages=[{"role": "user", "content": "something else"}])
    assert default.choices[0].message.content != "Scripted: try Red Rocks."  # did not match: not consumed
    hit = client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER)
    assert hit.choices[0].message.content == "Scripted: try Red Rocks."
    after = client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER)
    assert after.choices[0].message.content != "Scripted: try Red Rocks."
    listed = httpx.get(f"{server.url}/_emulator/rules").json()["data"]
    assert [(r["id"], r["hits"], r["remaining"]) for r in listed] == [(rule["id"], 1, 0)]


def test_scripted_tool_call_and_error_rules(server: LiveServer, client: openai.OpenAI) -> None:
    add_rule(server, {"match": {"regex": r"book .* table"}, "reply": {"tool_calls": [{"name": "book", "arguments": {"party": 4}}]}})
    add_rule(server, {"match": {"model": "zai-org/GLM-5.2"}, "reply": {"error": {"status": 429, "detail": "slow down"}}, "times": 2})
    r = client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=[{"role": "user", "content": "please book a table"}])
    call = r.choices[0].message.tool_calls[0]
    assert (call.function.name, json.loads(call.function.arguments)) == ("book", {"party": 4})
    for _ in range(2):
        with pytest.raises(openai.RateLimitError) as err:
            client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER)
        assert "slow down" in json.dumps(err.value.body)
    assert client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER).choices[0].message.content


def test_repeating_rule_scoped_to_one_api_key(server: LiveServer, client: openai.OpenAI) -> None:
    add_rule(server, {"match": {"contains": "ping"}, "reply": {"content": "pong"}, "repeat": True, "api_key": "k"})
    other = openai.OpenAI(api_key="someone-else", base_url=f"{server.url}/v2/ai/openai", max_retries=0)
    ping = [{"role": "user", "content": "ping"}]
    assert [client.chat.completions.create(model="zai-org/GLM-5.2", messages=ping).choices[0].message.content for _ in range(3)] == ["pong"] * 3
    assert other.chat.completions.create(model="zai-org/GLM-5.2", messages=ping).choices[0].message.content != "pong"
    httpx.post(f"{server.url}/_emulator/reset", json={"api_key": "k"}).raise_for_status()
    assert client.chat.completions.create(model="zai-org/GLM-5.2", messages=ping).choices[0].message.content != "pong"


def test_json_object_output(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER, response_format={"type": "json_object"})
    value = json.loads(r.choices[0].message.content)
    assert isinstance(value, dict) and "hiking" in value["keywords"]


@pytest.fixture(scope="module")
def compat_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[openai.OpenAI]:
    tmp = tmp_path_factory.mktemp("compat")
    # The embedded document's OpenAI-compatibility correction (emulator/openapi/derive/corrections.py)
    # is what lets these SDK requests through validation.
    with live(tmp) as srv:
        yield openai.OpenAI(api_key="k", base_url=f"{srv.url}/v2/ai/openai", max_retries=0)


def test_json_schema_output_validates(compat_client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer", "minimum": 18, "maximum": 99},
            "email": {"type": "string", "format": "email"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "plan": {"enum": ["free", "pro"]},
        },
        "required": ["name", "age", "plan"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": True}}
    r = compat_client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER, response_format=fmt)
    jsonschema.validate(json.loads(r.choices[0].message.content), schema)
    with pytest.raises(openai.UnprocessableEntityError):
        bad = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "required": "name"}}}
        compat_client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER, response_format=bad)


def test_sdk_message_objects_round_trip(compat_client: openai.OpenAI) -> None:
    """The usual loop: append the SDK's own assistant message (content null) and the result."""
    messages: list = [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "What is the weather in Chicago?"}]
    first = compat_client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=messages, tools=[WEATHER_TOOL],
                                                  tool_choice={"type": "function", "function": {"name": "get_weather"}})
    messages.append(first.choices[0].message)
    call = first.choices[0].message.tool_calls[0]
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"})
    final = compat_client.chat.completions.create(model="moonshotai/Kimi-K2.6", messages=messages, tools=[WEATHER_TOOL])
    assert "According to get_weather, sunny, 21C" in final.choices[0].message.content


def test_client_disconnect_mid_stream_leaves_server_healthy(server: LiveServer, client: openai.OpenAI, tmp_path: Path) -> None:
    body = {"model": "zai-org/GLM-5.2", "messages": USER, "stream": True, "n": 16}
    for _ in range(5):
        with httpx.stream("POST", f"{server.url}/v2/ai/openai/chat/completions", json=body, headers={"Authorization": "Bearer k"}) as r:
            next(r.iter_lines())  # read one chunk, then drop the connection
    assert client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER).choices[0].message.content


def test_logprobs_cover_every_token(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER, logprobs=True, top_logprobs=3)
    entries = r.choices[0].logprobs.content
    assert "".join(e.token for e in entries) == r.choices[0].message.content and len(entries) == r.usage.completion_tokens
    assert all(len(e.top_logprobs) == 3 and e.top_logprobs[0].token == e.token and e.logprob <= 0 for e in entries)
    assert all(e.top_logprobs[0].logprob > e.top_logprobs[1].logprob for e in entries)
    streamed = [c for c in client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER, logprobs=True, top_logprobs=3, stream=True)]
    tokens = [e for c in streamed if c.choices and c.choices[0].logprobs for e in c.choices[0].logprobs.content]
    assert [(t.token, t.logprob) for t in tokens] == [(e.token, e.logprob) for e in entries]
    assert client.chat.completions.create(model="zai-org/GLM-5.2", messages=USER).choices[0].logprobs is None
