"""AI on calls: gather_using_ai results parsed from what the party says (or generated from the
schema), AI assistant conversations recorded under /ai/conversations."""

from __future__ import annotations

from pathlib import Path

import jsonschema

from tests.support.calls import AUTH, CLIENT_STATE, Calls, calls_env

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


def answered(h: Calls, *steps: object, to: str = "+15550002000") -> str:
    h.script(to, "answer", *steps)
    ccid = h.dial(to, client_state=CLIENT_STATE)
    h.rx.wait(2)
    return ccid


def test_ai_gather_parses_the_scripted_utterance(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "say: my name is Ada and I am 42")
        reply = h.action(
            ccid,
            "gather_using_ai",
            {"parameters": PERSON, "greeting": "Hi, who am I talking to?", "send_partial_results": True, "send_message_history_updates": True},
        )
        conversation_id = reply["data"]["conversation_id"]
        assert reply["data"]["result"] == "ok"
        h.advance(5)
        hits = h.rx.wait(6)
        h.verify(hits)
        assert h.types(hits)[2:] == [
            "call.ai_gather.partial_results",
            "call.ai_gather.message_history_updated",
            "call.ai_gather.ended",
            "call.conversation.ended",
        ]
        end = hits[4].payload
        assert end["result"] == {"name": "Ada", "age": 42} and end["status"] == "valid"
        assert end["client_state"] == CLIENT_STATE and end["call_control_id"] == ccid
        assert end["message_history"][:2] == [
            {"role": "assistant", "content": "Hi, who am I talking to?"},
            {"role": "user", "content": "my name is Ada and I am 42"},
        ]
        assert hits[2].payload["partial_results"] == {"name": "Ada", "age": 42}
        assert hits[5].payload["conversation_id"] == conversation_id

        listed = h.c.get("/v2/ai/conversations", headers=AUTH).json()
        rows = listed["data"] if isinstance(listed, dict) else listed
        assert conversation_id in [row["id"] for row in rows]
        messages = h.c.get(f"/v2/ai/conversations/{conversation_id}/messages", headers=AUTH).json()
        # listed newest first, like the product
        assert [m["text"] for m in reversed(messages["data"])] == [
            "Hi, who am I talking to?",
            "my name is Ada and I am 42",
            "Thank you, I have everything I need.",
        ]


def test_ai_gather_invalid_when_required_field_missing(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "say: my name is Ada")
        h.action(ccid, "gather_using_ai", {"parameters": PERSON})
        h.advance(3)
        hits = h.rx.wait(4)
        assert h.types(hits)[2:] == ["call.ai_gather.ended", "call.conversation.ended"]
        assert hits[2].payload["result"] == {"name": "Ada"} and hits[2].payload["status"] == "invalid"


def test_ai_gather_asks_again_for_missing_fields(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "say: my name is Ada", "say: I am 42 years old")
        h.action(ccid, "gather_using_ai", {"parameters": PERSON, "send_message_history_updates": True})
        h.advance(10)
        hits = h.rx.wait(5)
        end = next(x.payload for x in hits if x.event_type == "call.ai_gather.ended")
        assert end["result"] == {"name": "Ada", "age": 42} and end["status"] == "valid"
        assert [m["role"] for m in end["message_history"]] == ["user", "assistant", "user", "assistant"]
        assert "age" in end["message_history"][1]["content"]


def test_unscripted_ai_gather_result_validates_against_the_schema(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email"},
            "plan": {"type": "string", "enum": ["gold", "silver"]},
            "seats": {"type": "integer", "minimum": 5, "maximum": 9},
            "vip": {"type": "boolean"},
        },
        "required": ["email", "plan", "seats", "vip"],
    }
    with calls_env(tmp_path) as h:
        ccid = h.dial()
        h.rx.wait(2)
        h.action(ccid, "gather_using_ai", {"parameters": schema})
        h.advance(2)
        end = h.rx.wait(3)[2].payload
        assert end["status"] == "valid"
        jsonschema.validate(end["result"], schema)


def test_ai_gather_times_out_without_an_answer(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "silence")
        h.action(ccid, "gather_using_ai", {"parameters": PERSON, "user_response_timeout_ms": 4000})
        h.advance(3.9)
        assert len(h.rx.settle()) == 2
        h.advance(0.1)
        end = h.rx.wait(3)[2].payload
        assert end["status"] == "invalid" and end["result"] == {}


def test_assistant_conversation_start_say_add_stop(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h)
        started = h.action(ccid, "ai_assistant_start", {"greeting": "How can I help?", "assistant": {"id": "assistant-42"}})
        conversation_id = started["data"]["conversation_id"]
        assert h.action(ccid, "ai_assistant_start", {}, expect=422)["errors"][0]["code"] == "90061"
        assert h.action(ccid, "gather_using_ai", {"parameters": PERSON}, expect=422)["errors"][0]["code"] == "90061"
        h.advance(2)
        assert h.admin(f"/calls/{ccid}/say", {"text": "I want to change my billing address"})["data"]["outcome"] == "heard"
        h.action(ccid, "ai_assistant_add_messages", {"messages": [{"role": "user", "content": "Also my phone number"}]})
        # a second call joins the running conversation
        other = h.dial("+15550002999")
        h.rx.wait(4)
        joined = h.action(other, "ai_assistant_join", {"conversation_id": conversation_id, "participant": {"id": other, "role": "user"}})
        assert joined["data"] == {"conversation_id": conversation_id, "result": "ok"}
        h.action(ccid, "ai_assistant_stop", {})
        hits = [x for x in h.rx.settle() if x.payload["call_control_id"] == ccid]
        h.verify(hits)
        assert h.types(hits) == ["call.initiated", "call.answered", "call.conversation.ended", "call.conversation_insights.generated"]
        ended = hits[2].payload
        assert ended["conversation_id"] == conversation_id and ended["assistant_id"] == "assistant-42"
        assert ended["duration_sec"] == 2 and ended["client_state"] == CLIENT_STATE
        assert hits[3].payload["results"][0]["result"].endswith("last: Also my phone number")
        texts = [m["text"] for m in reversed(h.c.get(f"/v2/ai/conversations/{conversation_id}/messages", headers=AUTH).json()["data"])]
        assert texts[0] == "How can I help?" and texts[1] == "I want to change my billing address"
        assert texts[3] == "Also my phone number"
        # the assistant can be started again once stopped
        h.action(ccid, "ai_assistant_start", {})


def test_hangup_ends_the_assistant_conversation(tmp_path: Path) -> None:
    with calls_env(tmp_path) as h:
        ccid = answered(h, "say: hello there", {"action": "hangup", "after": 3})
        h.action(ccid, "ai_assistant_start", {"transcription": {"model": "distil-whisper/distil-large-v2"}})
        h.action(ccid, "transcription_start", {})
        h.advance(5)
        hits = h.rx.wait(6)
        assert h.types(hits)[2:] == ["call.transcription", "call.hangup", "call.conversation.ended", "call.conversation_insights.generated"]
        assert hits[2].payload["transcription_data"]["transcript"] == "hello there"
        assert hits[4].payload["reason"] == "call_hangup"
