"""The other chat shapes: the ``telnyx`` SDK's chat call, Telnyx's guided_* constraints, the
Anthropic Messages shape (plain and streamed) and the Responses API (plain and streamed)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import jsonschema
import openai
import orjson
import pytest
import telnyx

from tests.conftest import LiveServer
from tests.support.chat import add_rule, live, reset, sse_events

USER = [{"role": "user", "content": "Which hiking trails near Denver are good for beginners?"}]
AUTH = {"Authorization": "Bearer k"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live(tmp_path_factory.mktemp("shapes")) as srv:
        yield srv


@pytest.fixture
def tx(server: LiveServer) -> telnyx.Telnyx:
    reset(server)
    return telnyx.Telnyx(api_key="k", base_url=f"{server.url}/v2", _strict_response_validation=True, max_retries=0)


def test_telnyx_sdk_chat_matches_openai_endpoint_and_deprecated_path(server: LiveServer, tx: telnyx.Telnyx) -> None:
    via_sdk = tx.ai.openai.chat.create_completion(messages=USER, model="Qwen/Qwen3-235B-A22B")
    text = via_sdk["choices"][0]["message"]["content"]
    oa = openai.OpenAI(api_key="k", base_url=f"{server.url}/v2/ai/openai", max_retries=0)
    assert oa.chat.completions.create(model="Qwen/Qwen3-235B-A22B", messages=USER).choices[0].message.content == text
    legacy = httpx.post(f"{server.url}/v2/ai/chat/completions", json={"messages": USER, "model": "Qwen/Qwen3-235B-A22B"}, headers=AUTH)
    assert legacy.status_code == 200 and legacy.json()["choices"][0]["message"]["content"] == text
    default_model = tx.ai.openai.chat.create_completion(messages=USER)
    assert default_model["model"] == "meta-llama/Meta-Llama-3.1-8B-Instruct"


def test_guided_json_regex_and_choice(tx: telnyx.Telnyx) -> None:
    schema = {"type": "object", "properties": {"sentiment": {"enum": ["positive", "negative"]}, "score": {"type": "number", "minimum": 0, "maximum": 1}},
              "required": ["sentiment", "score"]}
    r = tx.ai.openai.chat.create_completion(messages=USER, extra_body={"guided_json": schema})
    jsonschema.validate(json.loads(r["choices"][0]["message"]["content"]), schema)
    for pattern in (r"\d{3}-\d{3}-\d{4}", r"(yes|no|maybe)", r"[A-Z]{2}[0-9]{2}[a-z]?", r"ID-[^\s]{4,6}"):
        r = tx.ai.openai.chat.create_completion(messages=USER, extra_body={"guided_regex": pattern})
        assert re.fullmatch(pattern, r["choices"][0]["message"]["content"]), pattern
    r = tx.ai.openai.chat.create_completion(messages=USER, extra_body={"guided_choice": ["red", "green", "blue"]})
    assert r["choices"][0]["message"]["content"] in ("red", "green", "blue")


def test_guided_errors_are_422(tx: telnyx.Telnyx) -> None:
    with pytest.raises(telnyx.UnprocessableEntityError) as err:
        tx.ai.openai.chat.create_completion(messages=USER, extra_body={"guided_json": {"type": "object", "properties": {"a": {"type": "nope"}}}})
    assert err.value.body["detail"][0]["loc"][:2] == ["body", "guided_json"]
    with pytest.raises(telnyx.UnprocessableEntityError) as err:  # valid schema, but nothing satisfies it
        tx.ai.openai.chat.create_completion(messages=USER, extra_body={"guided_json": {"type": "string", "minLength": 5, "maxLength": 2}})
    assert err.value.body["detail"][0]["msg"].startswith("no value satisfies")
    with pytest.raises(telnyx.UnprocessableEntityError) as err:
        tx.ai.openai.chat.create_completion(messages=USER, extra_body={"guided_regex": "(?<=a)b"})
    assert "unsupported" in err.value.body["detail"][0]["msg"]


def test_anthropic_message_shape_and_tools(tx: telnyx.Telnyx) -> None:
    msg = tx.ai.anthropic.v1.messages(model="zai-org/GLM-5.2", max_tokens=256, system="Be brief.", messages=USER)
    assert msg["type"] == "message" and msg["role"] == "assistant" and msg["stop_reason"] == "end_turn"
    assert msg["content"][0]["type"] == "text" and "hiking" in msg["content"][0]["text"]
    assert msg["usage"]["output_tokens"] > 5 and msg["id"].startswith("msg_")
    cut = tx.ai.anthropic.v1.messages(model="zai-org/GLM-5.2", max_tokens=3, messages=USER)
    assert cut["stop_reason"] == "max_tokens" and cut["usage"]["output_tokens"] == 3
    stopped = tx.ai.anthropic.v1.messages(model="zai-org/GLM-5.2", max_tokens=256, messages=USER, stop_sequences=["."])
    assert stopped["stop_reason"] == "stop_sequence" and stopped["stop_sequence"] == "."
    tool = {"name": "get_weather", "description": "Weather for a city", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
    ask = [{"role": "user", "content": "What's the weather in Berlin?"}]
    used = tx.ai.anthropic.v1.messages(model="zai-org/GLM-5.2", max_tokens=256, messages=ask, tools=[tool])
    assert used["stop_reason"] == "tool_use"
    block = used["content"][0]
    assert block["type"] == "tool_use" and block["name"] == "get_weather" and block["input"] == {"city": "Berlin"}
    follow = [*ask, {"role": "assistant", "content": used["content"]},
              {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block["id"], "content": "Cloudy, 12C"}]}]
    final = tx.ai.anthropic.v1.messages(model="zai-org/GLM-5.2", max_tokens=256, messages=follow, tools=[tool])
    assert final["stop_reason"] == "end_turn" and "Cloudy, 12C" in final["content"][0]["text"]
    with pytest.raises(telnyx.UnprocessableEntityError):
        tx.ai.anthropic.v1.messages(model="zai-org/GLM-5.2", max_tokens=256,
                                    messages=[*ask, {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "?"}]}])


def test_anthropic_stream_event_sequence(server: LiveServer, tx: telnyx.Telnyx) -> None:
    plain = tx.ai.anthropic.v1.messages(model="zai-org/GLM-5.2", max_tokens=256, messages=USER)
    body = {"model": "zai-org/GLM-5.2", "max_tokens": 256, "messages": USER, "stream": True}
    r = httpx.post(f"{server.url}/v2/ai/anthropic/v1/messages", json=body, headers=AUTH)
    assert r.headers["content-type"].startswith("text/event-stream")
    events = [(name, orjson.loads(data)) for name, data in sse_events(r.text)]
    names = [n for n, _ in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(names[3:-3]) == {"content_block_delta"}
    assert all(n == d["type"] for n, d in events)
    text = "".join(d["delta"]["text"] for n, d in events if n == "content_block_delta")
    assert text == plain["content"][0]["text"]
    assert events[-2][1]["delta"]["stop_reason"] == "end_turn" and events[-2][1]["usage"]["output_tokens"] == plain["usage"]["output_tokens"]
    assert events[0][1]["message"]["usage"]["input_tokens"] == plain["usage"]["input_tokens"]


def test_responses_api_with_openai_sdk(server: LiveServer, tx: telnyx.Telnyx) -> None:
    oa = openai.OpenAI(api_key="k", base_url=f"{server.url}/v2/ai/openai", max_retries=0)
    resp = oa.responses.create(model="zai-org/GLM-5.1-FP8", instructions="Be brief.", input="Which hiking trails near Denver are good for beginners?")
    assert resp.status == "completed" and "hiking" in resp.output_text
    assert resp.usage.total_tokens == resp.usage.input_tokens + resp.usage.output_tokens
    events = list(oa.responses.create(model="zai-org/GLM-5.1-FP8", instructions="Be brief.", input="Which hiking trails near Denver are good for beginners?", stream=True))
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"] and kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == resp.output_text
    via_telnyx = tx.ai.openai.create_response(model="zai-org/GLM-5.1-FP8", instructions="Be brief.",
                                              input=[{"role": "user", "content": [{"type": "input_text", "text": "Which hiking trails near Denver are good for beginners?"}]}])  # type: ignore[arg-type]
    assert via_telnyx["output"][0]["content"][0]["text"] == resp.output_text
    single = tx.ai.openai.create_response(model="zai-org/GLM-5.1-FP8", input={"role": "user", "content": "hi"})
    assert single["status"] == "completed" and single["output"][0]["content"][0]["text"]
    legacy = httpx.post(f"{server.url}/v2/ai/responses", json={"model": "zai-org/GLM-5.1-FP8", "input": "hi"}, headers=AUTH)
    assert legacy.status_code == 200 and legacy.json()["object"] == "response"


def test_responses_api_function_calls(server: LiveServer, tx: telnyx.Telnyx) -> None:
    oa = openai.OpenAI(api_key="k", base_url=f"{server.url}/v2/ai/openai", max_retries=0)
    tool = {"type": "function", "name": "lookup_order", "description": "Find an order by its number",
            "parameters": {"type": "object", "properties": {"order_number": {"type": "string", "pattern": "^ORD-[0-9]{5}$"}}, "required": ["order_number"]}}
    first = oa.responses.create(model="zai-org/GLM-5.2", input="Please lookup my order", tools=[tool])
    call = first.output[0]
    assert call.type == "function_call" and call.name == "lookup_order"
    assert re.fullmatch(r"ORD-[0-9]{5}", json.loads(call.arguments)["order_number"])
    events = list(oa.responses.create(model="zai-org/GLM-5.2", input="Please lookup my order", tools=[tool], stream=True))
    assert "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta") == call.arguments
    done = [e for e in events if e.type == "response.output_item.done"]
    assert len(done) == 1 and done[0].item.call_id == call.call_id and events[-1].type == "response.completed"
    second = oa.responses.create(model="zai-org/GLM-5.2", tools=[tool], input=[
        {"role": "user", "content": "Please lookup my order"},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": json.dumps({"status": "shipped"})},
    ])
    assert "status is shipped" in second.output_text
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "stars": {"type": "integer", "minimum": 1, "maximum": 5}},
              "required": ["city", "stars"], "additionalProperties": False}
    structured = oa.responses.create(model="zai-org/GLM-5.2", input="Rate a city", text={"format": {"type": "json_schema", "name": "rating", "schema": schema}})
    jsonschema.validate(json.loads(structured.output_text), schema)
    cut = oa.responses.create(model="zai-org/GLM-5.2", input="Tell me about hiking trails", max_output_tokens=3)
    assert cut.status == "incomplete" and cut.incomplete_details.reason == "max_output_tokens"


def test_rules_apply_across_shapes(server: LiveServer, tx: telnyx.Telnyx) -> None:
    add_rule(server, {"match": {"contains": "magic word"}, "reply": {"content": "Abracadabra."}, "times": 2})
    msg = tx.ai.anthropic.v1.messages(model="zai-org/GLM-5.2", max_tokens=50, messages=[{"role": "user", "content": "say the magic word"}])
    assert msg["content"][0]["text"] == "Abracadabra."
    resp = httpx.post(f"{server.url}/v2/ai/openai/responses", json={"model": "zai-org/GLM-5.2", "input": "the magic word?"}, headers=AUTH)
    assert resp.json()["output"][0]["content"][0]["text"] == "Abracadabra."
    again = httpx.post(f"{server.url}/v2/ai/openai/responses", json={"model": "zai-org/GLM-5.2", "input": "the magic word?"}, headers=AUTH)
    assert again.json()["output"][0]["content"][0]["text"] != "Abracadabra."


def test_responses_conversation_is_context_and_is_appended(server: LiveServer, tx: telnyx.Telnyx) -> None:
    conversation = tx.ai.conversations.create(name="support")
    cid = conversation.id
    oa = openai.OpenAI(api_key="k", base_url=f"{server.url}/v2/ai/openai", max_retries=0)
    tool = {"type": "function", "name": "lookup_order", "description": "Find an order by its number",
            "parameters": {"type": "object", "properties": {"order_number": {"type": "string"}}, "required": ["order_number"]}}
    first = oa.responses.create(model="zai-org/GLM-5.2", input="Please lookup my order", tools=[tool], instructions="Be brief.",
                                extra_body={"conversation": cid})
    call = first.output[0]
    assert call.type == "function_call"
    # The follow-up sends only the tool result: the call it answers comes from the stored thread.
    second = oa.responses.create(model="zai-org/GLM-5.2", tools=[tool], extra_body={"conversation": cid},
                                 input=[{"type": "function_call_output", "call_id": call.call_id, "output": json.dumps({"status": "shipped"})}])
    assert "status is shipped" in second.output_text
    stored = httpx.get(f"{server.url}/v2/ai/conversations/{cid}/messages", headers=AUTH).json()["data"]
    texts = [m["text"] for m in reversed(stored)]
    assert texts[0] == "Be brief." and texts[1] == "Please lookup my order" and texts[-1] == second.output_text
    assert len(stored) == 5  # instructions, user, assistant tool call, tool result, assistant answer
    missing = httpx.post(f"{server.url}/v2/ai/openai/responses", headers=AUTH,
                         json={"model": "zai-org/GLM-5.2", "input": "hi", "conversation": "00000000-0000-4000-8000-000000000000"})
    assert missing.status_code == 404
    orphan = httpx.post(f"{server.url}/v2/ai/openai/responses", headers=AUTH,
                        json={"model": "zai-org/GLM-5.2", "input": [{"type": "function_call_output", "call_id": "call_zzz", "output": "x"}]})
    assert orphan.status_code == 422
