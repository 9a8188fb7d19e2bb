"""AI gather end to end with the official SDK on a real server: what the callee says (its script)
becomes the ``call.ai_gather.ended`` result, the assistant asks again for what is missing, and
status, result and message_history agree — read from signature-verified webhooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.support.calls import API_KEY, CLIENT_STATE, Hit, SdkSession, sdk_session

AGE_AND_LOCATION = {  # the issue's example (and the published one: "webhook" reads as a string)
    "type": "object",
    "properties": {
        "age": {"type": "integer", "description": "The age of the customer."},
        "location": {"type": "webhook", "description": "The location of the customer."},
    },
    "required": ["age", "location"],
}


def gather(s: SdkSession, to: str, steps: list[str], parameters: dict[str, Any], **options: Any) -> tuple[str, list[Hit]]:
    """Script the callee, dial it, run gather_using_ai, let the emulator clock run; return the
    call id and every webhook through call.conversation.ended, each signature verified."""
    r = httpx.post(f"{s.server.url}/_emulator/calls/scripts", json={"to": to, "steps": ["answer", *steps], "api_key": API_KEY})
    assert r.status_code == 201, r.text
    ccid = s.client.calls.dial(connection_id="conn-1", from_="+13125550001", to=to, webhook_url=s.rx.url(), client_state=CLIENT_STATE).data.call_control_id
    s.rx.wait(2)
    reply = s.client.calls.actions.gather_using_ai(ccid, parameters=parameters, **options)
    assert reply.data is not None and reply.data.result == "ok"
    for _ in range(12):
        httpx.post(f"{s.server.url}/_emulator/clock", json={"advance": 5})
        hits = s.rx.settle()
        if hits and hits[-1].event_type == "call.conversation.ended":
            break
    for hit in hits:
        s.verifier.webhooks.unwrap(hit.body.decode(), headers=hit.headers)
    assert hits[-1].event_type == "call.conversation.ended"
    return ccid, hits


def ended(hits: list[Hit]) -> dict[str, Any]:
    return next(h.payload for h in hits if h.event_type == "call.ai_gather.ended")


def test_the_issue_example_gathers_age_and_location(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        greeting = "Hello, can you tell me your age and where you live?"
        ccid, hits = gather(
            s, "+13125550201", ["say: I am 42 years old and I live in Chicago"], AGE_AND_LOCATION,
            greeting=greeting, send_partial_results=True, send_message_history_updates=True,
        )
        assert [h.event_type for h in hits][2:] == [
            "call.ai_gather.partial_results",
            "call.ai_gather.message_history_updated",
            "call.ai_gather.ended",
            "call.conversation.ended",
        ]
        end = ended(hits)
        assert end["call_control_id"] == ccid and end["client_state"] == CLIENT_STATE
        assert end["result"] == {"age": 42, "location": "Chicago"} and end["status"] == "valid"
        assert end["message_history"] == [
            {"role": "assistant", "content": greeting},
            {"role": "user", "content": "I am 42 years old and I live in Chicago"},
            {"role": "assistant", "content": "Thank you, I have everything I need."},
        ]
        assert hits[2].payload["partial_results"] == {"age": 42, "location": "Chicago"}
        assert hits[3].payload["message_history"] == end["message_history"]


def test_a_missing_value_is_asked_for_again_and_the_answer_completes_it(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "appointment": {"type": "string", "format": "date"},
            "insured": {"type": "boolean", "description": "Whether the customer has insurance."},
        },
        "required": ["name", "appointment", "insured"],
    }
    with sdk_session(tmp_path) as s:
        _, hits = gather(
            s, "+13125550202", ["say: My name is Jane Doe and I'd like to come on March 3rd 2026", "say: Yes, I do."], schema,
            greeting="Hi! Who am I speaking with, and when would you like to come in?",
            gather_ended_speech="Thanks, see you then.",
        )
        assert [h.event_type for h in hits][2:] == ["call.ai_gather.ended", "call.conversation.ended"]
        end = ended(hits)
        assert end["result"] == {"name": "Jane Doe", "appointment": "2026-03-03", "insured": True}
        assert end["status"] == "valid"
        assert end["message_history"] == [
            {"role": "assistant", "content": "Hi! Who am I speaking with, and when would you like to come in?"},
            {"role": "user", "content": "My name is Jane Doe and I'd like to come on March 3rd 2026"},
            {"role": "assistant", "content": "Could you tell me whether you have insurance?"},
            {"role": "user", "content": "Yes, I do."},
            {"role": "assistant", "content": "Thanks, see you then."},
        ]


def test_a_value_never_given_ends_invalid_and_the_assistant_says_so(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        _, hits = gather(
            s, "+13125550203", ["say: I'm forty two.", "say: I'd rather not say.", "say: Not telling you."], AGE_AND_LOCATION,
            send_message_history_updates=True,
        )
        end = ended(hits)
        assert end["result"] == {"age": 42} and end["status"] == "invalid"
        history = end["message_history"]
        assert [m["role"] for m in history] == ["user", "assistant"] * 3
        assert [m["content"] for m in history if m["role"] == "user"] == ["I'm forty two.", "I'd rather not say.", "Not telling you."]
        assert history[1]["content"] == history[3]["content"] == "Could you tell me your location?"
        assert history[-1]["content"] == "I'm sorry, I still don't know your location."
        # each assistant turn was announced, the last one with the whole history
        updates = [h.payload["message_history"] for h in hits if h.event_type == "call.ai_gather.message_history_updated"]
        assert len(updates) == 3 and updates[-1] == history
