"""Earlier turns read once (``families/chat/turns.py``) and what the engine keeps of them
(``fakes/conversation.py``): a request reads only its new turns, answers exactly as a fresh
reading would, and nothing read with a broken rule (or a value ``==`` cannot tell apart) is kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.fakes import answers, conversation
from emulator.fakes.llm import Message, ToolCall
from emulator.families.chat.turns import EarlierTurns
from tests.conftest import make_settings

CHAT = "/v2/ai/openai/chat/completions"
WARN = {"Authorization": "Bearer warn-key"}
STRICT = {"Authorization": "Bearer strict-key"}
SYSTEM = {"role": "system", "content": "You are a booking assistant."}
CALL = {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "slots", "arguments": "{}"}}]}


def chat(c: TestClient, messages: list[dict[str, Any]], headers: dict[str, str] = STRICT) -> Any:
    reply = c.post(CHAT, json={"model": "gpt-4o", "messages": messages}, headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


def answer(data: Any) -> tuple[Any, ...]:
    return data["choices"][0]["message"]["content"], data["usage"]["prompt_tokens"], data["usage"]["completion_tokens"]


def test_kept_turns_answer_as_a_fresh_reading(tmp_path: Path) -> None:
    """Turn after turn (the same earlier turns, and a conversation that grows by an answer and a
    new turn), each answer equals the one an emulator that never saw the earlier requests gives."""
    growing = [SYSTEM, {"role": "user", "content": [{"type": "text", "text": "Book a cleaning."}]}]
    requests = []
    for k in range(4):
        requests.append([SYSTEM, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                         {"role": "user", "content": f"Tuesday at {k} pm?"}])
        requests.append(list(growing))
        growing += [{"role": "assistant", "content": f"Reply {k}."}, {"role": "user", "content": f"And turn {k}?"}]
    requests.append([SYSTEM, {"role": "user", "content": "slots?"}, CALL, {"role": "tool", "tool_call_id": "c1", "content": "{\"free\": 2}"}])
    requests.append([SYSTEM, {"role": "user", "content": "slots?"}, CALL, {"role": "tool", "tool_call_id": "c1", "content": "{\"free\": 3}"}])
    with TestClient(create_app(make_settings(tmp_path / "a"))) as c:
        kept = [answer(chat(c, m)) for m in requests]
        assert len(c.app.state.emulator.services.family(EarlierTurns))  # something was kept
    for i, messages in enumerate(requests):
        with TestClient(create_app(make_settings(tmp_path / f"fresh{i}"))) as fresh:
            assert answer(chat(fresh, messages)) == kept[i], i


def test_turns_read_with_a_broken_rule_are_not_kept(tmp_path: Path) -> None:
    bad = [SYSTEM, {"role": "tool", "content": "x"}, {"role": "user", "content": "Any slots?"}]  # a tool result without its call's id
    with TestClient(create_app(make_settings(tmp_path))) as c:
        assert c.put("/_emulator/modes/warn-key", json={"business_rules": "warn"}).status_code == 200
        for _ in range(2):  # warned each time; strict still refuses, after a warn-mode reading
            warned = c.post(CHAT, json={"model": "gpt-4o", "messages": bad}, headers=WARN)
            assert warned.status_code == 200 and "chat.request_shape" in warned.headers["x-emulator-warning"]
            assert c.post(CHAT, json={"model": "gpt-4o", "messages": bad}, headers=STRICT).status_code == 422
        assert not len(c.app.state.emulator.services.family(EarlierTurns))


def test_values_equal_under_eq_but_read_apart_are_not_kept() -> None:
    turns = EarlierTurns(None)  # type: ignore[arg-type]
    numbers = [SYSTEM, {"role": "assistant", "content": "x", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": 1}}]}, {"role": "user", "content": "y"}]
    turns.keep(numbers, [Message("system", "s"), Message("assistant", "x", [ToolCall("c", "f", "1")])], 0)
    assert turns.find([*numbers[:1], {**numbers[1], "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": True}}]}, numbers[2]]) is None
    plain = [SYSTEM, {"role": "user", "content": "Hi"}, {"role": "user", "content": "y"}]
    messages = [Message("system", "s"), Message("user", "Hi")]
    turns.keep(plain, messages, 0)
    assert turns.find([SYSTEM, {"role": "user", "content": "Hi"}, {"role": "user", "content": "z"}]) == tuple(messages)
    assert turns.find([SYSTEM, {"role": "user", "content": "Ho"}, {"role": "user", "content": "z"}]) is None


def test_the_engine_keeps_earlier_turns_per_objects() -> None:
    convo = [Message("system", "Be brief."), Message("assistant", "", [ToolCall("c", "f", "{\"a\": 1}")]), Message("tool", "ok", [], "c")]
    for last in ("first", "second é"):
        messages = [*convo, Message("user", last)]
        earlier = conversation.earlier_turns(messages)
        assert conversation.earlier_turns(messages) is earlier  # the same objects: kept
        assert conversation.digest_of(messages, earlier) == answers.conversation_digest(messages)
        assert earlier.tokens == sum(conversation.message_tokens(m) for m in convo)
    copies = [Message(m.role, m.content, list(m.tool_calls), m.tool_call_id) for m in convo]
    assert conversation.earlier_turns([*copies, Message("user", "x")]) is not conversation.earlier_turns([*convo, Message("user", "x")])
    assert conversation.digest_of([Message("user", "only")], conversation.earlier_turns([Message("user", "only")])) == answers.conversation_digest([Message("user", "only")])
    assert conversation.digest_of([], conversation.earlier_turns([])) == answers.conversation_digest([])
