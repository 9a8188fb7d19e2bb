"""Insights of an AI assistant call are readable (issue 11.6): after the call's conversation ends
and ``call.conversation_insights.generated`` is sent, ``GET /ai/conversations/{id}/conversations-insights``,
the insight group and the aggregates show exactly what the webhook carried — through the
official SDK, with the webhook signatures verified."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jsonschema

from tests.support.calls import API_KEY, CLIENT_STATE, SdkSession, sdk_session

SENTIMENT = {"type": "object", "properties": {"sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]}},
             "required": ["sentiment"]}
CALLEE = "+13125550142"


def _call_with_assistant(s: SdkSession, assistant_id: str | None) -> tuple[str, str]:
    """Dial a callee that answers, says one thing and hangs up 4 s later; start the assistant;
    play the call out. (call_control_id, conversation_id)."""
    script = {"to": CALLEE, "api_key": API_KEY, "steps": ["answer", "say: My invoice is wrong, please fix it", {"action": "hangup", "after": 4}]}
    httpx.post(f"{s.server.url}/_emulator/calls/scripts", json=script).raise_for_status()
    ccid = s.client.calls.dial(connection_id="conn-1", from_="+13125550001", to=CALLEE, webhook_url=s.rx.url(), client_state=CLIENT_STATE).data.call_control_id
    s.rx.wait(2)
    started = s.client.calls.actions.start_ai_assistant(ccid, assistant={"id": assistant_id} if assistant_id else {}, greeting="How can I help?")
    assert started.data.conversation_id
    _advance(s, 20)  # the assistant greets, the callee speaks, the assistant answers, the callee hangs up
    return ccid, started.data.conversation_id


def _advance(s: SdkSession, seconds: float) -> None:
    httpx.post(f"{s.server.url}/_emulator/clock", json={"advance": seconds}).raise_for_status()


def test_insights_of_the_assistants_group_are_readable_after_the_call(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        c = s.client
        summary = c.ai.conversations.insights.create(name="summary", instructions="Summarise the call.").data
        sentiment = c.ai.conversations.insights.create(name="sentiment", instructions="Rate the sentiment.", json_schema=SENTIMENT).data
        group = c.ai.conversations.insight_groups.insight_groups(name="post-call").data
        for insight in (summary, sentiment):
            c.ai.conversations.insight_groups.insights.assign(insight.id, group_id=group.id)
        assistant = c.ai.assistants.create(name="Billing", instructions="Help with invoices.", insight_settings={"insight_group_id": group.id})

        ccid, conversation_id = _call_with_assistant(s, assistant.id)
        assert c.ai.conversations.retrieve_conversations_insights(conversation_id).data[0].status in ("pending", "in_progress")
        _advance(s, 1)  # the insight run completes on the clock
        s.rx.wait(5)
        hits = s.rx.settle()
        assert [h.event_type for h in hits] == [
            "call.initiated", "call.answered", "call.hangup", "call.conversation.ended", "call.conversation_insights.generated",
        ]
        for hit in hits:
            s.verifier.webhooks.unwrap(hit.body.decode(), headers=hit.headers)
            assert hit.payload["call_control_id"] == ccid and hit.payload["client_state"] == CLIENT_STATE
        assert hits[3].payload["conversation_id"] == conversation_id and hits[3].payload["assistant_id"] == assistant.id
        event = hits[4].payload
        assert event["insight_group_id"] == group.id and event["conversation_id"] == conversation_id
        sent = {r["insight_id"]: r["result"] for r in event["results"]}
        assert set(sent) == {summary.id, sentiment.id}
        jsonschema.validate(json.loads(sent[sentiment.id]), SENTIMENT)

        runs = c.ai.conversations.retrieve_conversations_insights(conversation_id).data
        assert [r.status for r in runs] == ["completed"]
        assert {r.insight_id: r.result for r in runs[0].conversation_insights} == sent
        counts = {row.to_dict()["insight_id"]: row.record_count
                  for row in c.ai.conversations.conversation_insights.retrieve_aggregates(group_by=["insight_id"]).data}
        assert counts == {summary.id: 1, sentiment.id: 1}
        mine = c.ai.conversations.conversation_insights.retrieve_aggregates(metadata={"assistant_id": f"eq.{assistant.id}"}).data
        assert sum(row.record_count for row in mine) == 2
        assert [i.id for i in c.ai.conversations.insight_groups.retrieve(group.id).data.insights] == [summary.id, sentiment.id]


def test_without_a_group_the_default_summary_is_readable(tmp_path: Path) -> None:
    with sdk_session(tmp_path) as s:
        c = s.client
        assistant = c.ai.assistants.create(name="Plain", instructions="Help.")
        ccid, conversation_id = _call_with_assistant(s, assistant.id)
        hits = s.rx.wait(5)  # the default group answers at once, right after the conversation ends
        assert [h.event_type for h in hits][2:] == ["call.hangup", "call.conversation.ended", "call.conversation_insights.generated"]
        for hit in hits:
            s.verifier.webhooks.unwrap(hit.body.decode(), headers=hit.headers)
        event = hits[4].payload
        assert event["call_control_id"] == ccid and event["conversation_id"] == conversation_id
        [result] = event["results"]
        assert result["result"] == "The caller said 1 thing(s), last: My invoice is wrong, please fix it"

        [run] = c.ai.conversations.retrieve_conversations_insights(conversation_id).data
        assert run.status == "completed"
        assert [(r.insight_id, r.result) for r in run.conversation_insights] == [(result["insight_id"], result["result"])]
        default = c.ai.conversations.insight_groups.retrieve(event["insight_group_id"]).data
        assert default.name == "Default" and [i.id for i in default.insights] == [result["insight_id"]]
        insight = c.ai.conversations.insights.retrieve(result["insight_id"]).data
        assert insight.insight_type == "default" and insight.name == "Summary"
        assert [g.id for g in c.ai.conversations.insight_groups.retrieve_insight_groups()] == [default.id]
        counts = [row.to_dict() for row in c.ai.conversations.conversation_insights.retrieve_aggregates().data]
        assert counts == [{"insight_id": result["insight_id"], "record_count": 1}]

        # a second call reuses the same default group and insight
        httpx.post(f"{s.server.url}/_emulator/calls/scripts", json={"to": CALLEE, "api_key": API_KEY, "steps": ["answer", {"action": "hangup", "after": 2}]}).raise_for_status()
        second = c.calls.dial(connection_id="conn-1", from_="+13125550001", to=CALLEE, webhook_url=s.rx.url()).data.call_control_id
        s.rx.wait(7)
        c.calls.actions.start_ai_assistant(second, assistant={"id": assistant.id})
        _advance(s, 5)
        again = [h for h in s.rx.wait(10) if h.payload["call_control_id"] == second][-1]
        assert again.event_type == "call.conversation_insights.generated"
        assert again.payload["insight_group_id"] == default.id and again.payload["results"][0]["insight_id"] == insight.id
        assert [row.record_count for row in c.ai.conversations.conversation_insights.retrieve_aggregates().data] == [2]
