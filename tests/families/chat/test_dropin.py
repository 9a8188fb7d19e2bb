"""Drop-in use of the chat endpoints: the ``anthropic`` and ``openai`` SDKs as their users write
them (own model ids, replies appended to the history as the SDK dumps them), and the lenient
mode's business rules (unknown model → the default model, with ``x-emulator-warning``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest

from emulator.fakes.catalogue import DEFAULT_CHAT_MODEL, chat_model
from tests.conftest import LiveServer
from tests.support.chat import live, reset

WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
LENIENT_KEY = "lenient-key"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live(tmp_path_factory.mktemp("dropin")) as srv:
        yield srv


@pytest.fixture
def url(server: LiveServer) -> str:
    reset(server)
    r = httpx.put(f"{server.url}/_emulator/modes/{LENIENT_KEY}", json={"lenient": True})
    assert r.status_code == 200, r.text
    return server.url


def claude(url: str, key: str = "k") -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=key, base_url=f"{url}/v2/ai/anthropic", max_retries=0)


# -- Anthropic ------------------------------------------------------------------------------------
def test_anthropic_sdk_answers_with_its_own_model_ids(url: str) -> None:
    message = claude(url).messages.create(
        model="claude-sonnet-4-5", max_tokens=200,
        messages=[{"role": "user", "content": "Which hiking trails near Denver are good for beginners?"}],
    )
    assert message.type == "message" and message.role == "assistant"
    assert message.model == "anthropic/claude-sonnet-4-5"
    assert message.stop_reason == "end_turn" and "hiking" in message.content[0].text  # type: ignore[union-attr]
    dated = claude(url).messages.create(model="claude-haiku-4-5-20251001", max_tokens=50, messages=[{"role": "user", "content": "hi"}])
    assert dated.model == "anthropic/claude-haiku-4-5"
    assert chat_model("anthropic/claude-opus-4-5") is not None and chat_model("claude-opus-4-5") is not None


def test_anthropic_sdk_tool_use_round_trip_and_stream(url: str) -> None:
    client = claude(url)
    tool = {"name": WEATHER["name"], "description": WEATHER["description"], "input_schema": WEATHER["parameters"]}
    question = {"role": "user", "content": "What is the weather in Paris today?"}
    first = client.messages.create(model="claude-haiku-4-5", max_tokens=200, tools=[tool], messages=[question])  # type: ignore[list-item]
    assert first.stop_reason == "tool_use"
    use = next(b for b in first.content if b.type == "tool_use")
    assert use.name == "get_weather" and isinstance(use.input, dict) and "city" in use.input
    follow_up = [question, {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny, 24 C"}]}]
    second = client.messages.create(model="claude-haiku-4-5", max_tokens=200, tools=[tool], messages=follow_up)  # type: ignore[arg-type,list-item]
    assert second.stop_reason == "end_turn" and second.content[0].type == "text"
    with client.messages.stream(model="claude-sonnet-4-5", max_tokens=200, messages=[question]) as stream:  # type: ignore[list-item]
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text and final.content[0].text == text and final.model == "anthropic/claude-sonnet-4-5"  # type: ignore[union-attr]


def test_anthropic_models_are_listed(url: str) -> None:
    ids = {m.id for m in openai.OpenAI(api_key="k", base_url=f"{url}/v2/ai/openai", max_retries=0).models.list()}
    assert {"anthropic/claude-sonnet-4-5", "anthropic/claude-haiku-4-5", "anthropic/claude-opus-4-5"} <= ids


# -- OpenAI: the SDK's own reply in the history ---------------------------------------------------
@pytest.mark.parametrize("base", ["/v2/ai/openai", "/v2/ai"])
def test_assistant_tool_call_without_content_is_accepted(url: str, base: str) -> None:
    client = openai.OpenAI(api_key="k", base_url=f"{url}{base}", max_retries=0)
    messages: list[dict[str, object]] = [{"role": "user", "content": "What is the weather in Paris today?"}]
    first = client.chat.completions.create(model="openai/gpt-4o", messages=messages, tools=[{"type": "function", "function": WEATHER}])  # type: ignore[arg-type,list-item]
    reply = first.choices[0].message
    assert reply.tool_calls
    dumped = reply.model_dump(exclude_none=True)
    assert "content" not in dumped  # what the SDK sends back: no content key at all
    messages += [dumped, {"role": "tool", "tool_call_id": reply.tool_calls[0].id, "content": "sunny, 24 C"}]
    second = client.chat.completions.create(model="openai/gpt-4o", messages=messages, tools=[{"type": "function", "function": WEATHER}])  # type: ignore[arg-type,list-item]
    assert second.choices[0].finish_reason == "stop" and second.choices[0].message.content


# -- business rules: strict keeps its errors, lenient substitutes and says so --------------------
def test_unknown_model_is_404_strict_and_the_default_model_lenient(url: str) -> None:
    body = {"model": "no-such/model", "messages": [{"role": "user", "content": "hello"}]}
    strict = httpx.post(f"{url}/v2/ai/openai/chat/completions", json=body, headers={"Authorization": "Bearer k"})
    assert strict.status_code == 404 and "no-such/model" in strict.text
    assert "x-emulator-warning" not in strict.headers
    lenient = httpx.post(f"{url}/v2/ai/openai/chat/completions", json=body, headers={"Authorization": f"Bearer {LENIENT_KEY}"})
    assert lenient.status_code == 200, lenient.text
    assert lenient.json()["model"] == DEFAULT_CHAT_MODEL
    assert lenient.headers["x-emulator-warning"] == "chat.known_model"
    msg = claude(url, LENIENT_KEY).messages.with_raw_response.create(model="claude-nonexistent", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert msg.headers["x-emulator-warning"] == "chat.known_model" and msg.parse().model == DEFAULT_CHAT_MODEL


def test_what_the_document_leaves_open_warns_in_lenient_mode(url: str) -> None:
    """The requests a generated SDK test sends (``messages: [{}]``, ``max_tokens: 0``...)."""
    for key, expected in (("k", 422), (LENIENT_KEY, 200)):
        r = httpx.post(f"{url}/v2/ai/anthropic/v1/messages", json={"model": "string", "messages": [{}], "max_tokens": 0},
                       headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == expected, r.text
    assert r.json()["type"] == "message"
    assert set(r.headers["x-emulator-warning"].split(", ")) >= {"chat.request_shape", "chat.token_limits", "chat.known_model"}
    strict = httpx.post(f"{url}/v2/ai/chat/completions", json={"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0},
                        headers={"Authorization": "Bearer k"})
    assert strict.status_code == 422 and strict.json()["detail"][0]["loc"] == ["body", "max_tokens"]
    lenient = httpx.post(f"{url}/v2/ai/chat/completions", json={"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0, "n": 0},
                         headers={"Authorization": f"Bearer {LENIENT_KEY}"})
    assert lenient.status_code == 200 and len(lenient.json()["choices"]) == 1
    assert lenient.headers["x-emulator-warning"] == "chat.token_limits"


def test_responses_unknown_conversation_and_empty_input(url: str) -> None:
    body = {"conversation": "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e", "input": "hello"}
    strict = httpx.post(f"{url}/v2/ai/openai/responses", json=body, headers={"Authorization": "Bearer k"})
    assert strict.status_code == 404
    lenient = httpx.post(f"{url}/v2/ai/openai/responses", json=body, headers={"Authorization": f"Bearer {LENIENT_KEY}"})
    assert lenient.status_code == 200 and lenient.json()["status"] == "completed"
    assert lenient.headers["x-emulator-warning"] == "chat.known_conversation"
    # Nothing was stored under the unknown id: it is still unknown.
    listed = httpx.get(f"{url}/v2/ai/conversations", headers={"Authorization": f"Bearer {LENIENT_KEY}"})
    assert body["conversation"] not in json.dumps(listed.json())
    empty = httpx.post(f"{url}/v2/ai/responses", headers={"Authorization": f"Bearer {LENIENT_KEY}"})
    assert empty.status_code == 200 and empty.headers["x-emulator-warning"] == "chat.conversation_turns"
    assert httpx.post(f"{url}/v2/ai/responses", headers={"Authorization": "Bearer k"}).status_code == 422


def test_chat_rules_are_listed(url: str) -> None:
    rules = {r["name"]: r for r in httpx.get(f"{url}/_emulator/business-rules").json()["data"]}
    assert {"chat.known_model", "chat.token_limits", "chat.request_shape", "chat.conversation_turns", "chat.known_conversation"} <= set(rules)
    assert DEFAULT_CHAT_MODEL in rules["chat.known_model"]["substitute"]
