"""Insights and insight groups through the telnyx SDK: CRUD, assign/unassign, insight runs when
a conversation ends (pending -> in_progress -> completed), schema-conforming results, the signed
webhook to the group, aggregates, and conversation-history search."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator

import jsonschema
import pytest
import telnyx
from nacl.signing import VerifyKey

from tests.support.ai import Emu, live_emulator
from tests.support.webhooks import Receiver

SCHEMA = {"type": "object", "properties": {"sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
                                           "score": {"type": "integer", "minimum": 1, "maximum": 5}},
          "required": ["sentiment", "score"]}


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    yield from live_emulator(tmp_path_factory.mktemp("insights"))


def test_insight_and_group_crud(emu: Emu) -> None:
    c = emu.sdk("ins-crud")
    i = c.ai.conversations.insights.create(name="summary", instructions="Summarise the call.").data
    assert i.insight_type == "custom" and i.name == "summary"
    assert c.ai.conversations.insights.retrieve(i.id).data.instructions == "Summarise the call."
    assert c.ai.conversations.insights.update(i.id, instructions="Summarise briefly.").data.instructions == "Summarise briefly."
    assert [x.id for x in c.ai.conversations.insights.list()] == [i.id]
    g = c.ai.conversations.insight_groups.insight_groups(name="default", description="d").data
    assert c.ai.conversations.insight_groups.retrieve(g.id).data.insights == []
    c.ai.conversations.insight_groups.insights.assign(i.id, group_id=g.id)
    with pytest.raises(telnyx.ConflictError):
        c.ai.conversations.insight_groups.insights.assign(i.id, group_id=g.id)
    assert [x.id for x in c.ai.conversations.insight_groups.retrieve(g.id).data.insights] == [i.id]
    c.ai.conversations.insight_groups.insights.delete_unassign(i.id, group_id=g.id)
    with pytest.raises(telnyx.NotFoundError):
        c.ai.conversations.insight_groups.insights.delete_unassign(i.id, group_id=g.id)
    assert c.ai.conversations.insight_groups.update(g.id, name="renamed").data.name == "renamed"
    assert [x.name for x in c.ai.conversations.insight_groups.retrieve_insight_groups()] == ["renamed"]
    c.ai.conversations.insight_groups.insights.assign(i.id, group_id=g.id)
    c.ai.conversations.insights.delete(i.id)
    assert c.ai.conversations.insight_groups.retrieve(g.id).data.insights == []
    with pytest.raises(telnyx.NotFoundError):
        c.ai.conversations.insights.retrieve(i.id)
    c.ai.conversations.insight_groups.delete(g.id)
    with pytest.raises(telnyx.NotFoundError):
        c.ai.conversations.insight_groups.retrieve(g.id)
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.conversations.insights.create(name="bad", instructions="x", json_schema="{not json")


def test_conversation_end_runs_the_group_and_signs_the_webhook(emu: Emu) -> None:
    key = "ins-run"
    c = emu.sdk(key)
    receiver = Receiver()
    try:
        plain = c.ai.conversations.insights.create(name="summary", instructions="Summarise the conversation.").data
        structured = c.ai.conversations.insights.create(name="sentiment", instructions="Rate the sentiment.", json_schema=SCHEMA).data
        g = c.ai.conversations.insight_groups.insight_groups(name="post-call", webhook=receiver.url("/insights")).data
        for i in (plain, structured):
            c.ai.conversations.insight_groups.insights.assign(i.id, group_id=g.id)
        a = c.ai.assistants.create(name="A", instructions="Help.", insight_settings={"insight_group_id": g.id})
        conv_id = str(uuid.uuid4())
        c.ai.assistants.chat(a.id, content="My invoice is wrong, please fix it.", conversation_id=conv_id)
        emu.policy(key, "insight_run", "manual")
        ended = emu.http.post(f"/_emulator/conversations/{conv_id}/end", params={"api_key": key}).json()
        run_id = ended["insight_runs"][0]["id"]
        runs = c.ai.conversations.retrieve_conversations_insights(conv_id).data
        assert [(r.id, r.status) for r in runs] == [(run_id, "pending")]
        emu.step(key, kind="insight_run", id=run_id, steps=1)
        assert c.ai.conversations.retrieve_conversations_insights(conv_id).data[0].status == "in_progress"
        emu.step(key, kind="insight_run", id=run_id)
        run = c.ai.conversations.retrieve_conversations_insights(conv_id).data[0]
        assert run.status == "completed"
        results = {r.insight_id: r.result for r in run.conversation_insights}
        assert set(results) == {plain.id, structured.id} and results[plain.id]
        jsonschema.validate(json.loads(results[structured.id]), SCHEMA)
        # ending again starts nothing new
        assert emu.http.post(f"/_emulator/conversations/{conv_id}/end", params={"api_key": key}).json()["insight_runs"] == []

        got = receiver.wait_for(1, path="/insights")[0]
        key_ = VerifyKey(base64.b64decode(emu.http.get("/_emulator/public-key").json()["public_key"]))
        key_.verify(got.headers["telnyx-timestamp"].encode() + b"|" + got.body, base64.b64decode(got.headers["telnyx-signature-ed25519"]))
        event = got.json()["data"]
        assert event["event_type"] == "call.conversation_insights.generated"
        assert event["payload"]["insight_group_id"] == g.id and event["payload"]["conversation_id"] == conv_id
        assert {r["insight_id"]: r["result"] for r in event["payload"]["results"]} == results

        agg = c.ai.conversations.conversation_insights.retrieve_aggregates(group_by=["insight_id"]).data
        assert sorted((row["insight_id"], row["record_count"]) for row in (x.to_dict() for x in agg)) == sorted([(plain.id, 1), (structured.id, 1)])
        only = c.ai.conversations.conversation_insights.retrieve_aggregates(insight_id=structured.id, metadata={"assistant_id": f"eq.{a.id}"}).data
        assert [x.record_count for x in only] == [1]
        none = c.ai.conversations.conversation_insights.retrieve_aggregates(metadata={"assistant_id": "eq.assistant-other"}).data
        assert none == []
    finally:
        receiver.close()


def test_default_policy_completes_on_the_clock(emu: Emu) -> None:
    key = "ins-clock"
    c = emu.sdk(key)
    i = c.ai.conversations.insights.create(name="s", instructions="Summarise.").data
    g = c.ai.conversations.insight_groups.insight_groups(name="g").data
    c.ai.conversations.insight_groups.insights.assign(i.id, group_id=g.id)
    a = c.ai.assistants.create(name="A", instructions="Help.", insight_settings={"insight_group_id": g.id})
    conv_id = str(uuid.uuid4())
    c.ai.assistants.chat(a.id, content="hello", conversation_id=conv_id)
    emu.http.post(f"/_emulator/conversations/{conv_id}/end", params={"api_key": key}).raise_for_status()
    assert c.ai.conversations.retrieve_conversations_insights(conv_id).data[0].status == "pending"
    emu.advance(1)
    assert c.ai.conversations.retrieve_conversations_insights(conv_id).data[0].status == "completed"


def test_conversation_history_search_ranks_by_meaning(emu: Emu) -> None:
    key = "ins-history"
    c = emu.sdk(key)
    billing = c.ai.conversations.create(metadata={"topic": "billing"})
    c.ai.conversations.add_message(billing.id, role="user", content="My invoice shows a double charge on my credit card bill.")
    weather = c.ai.conversations.create(metadata={"topic": "weather"})
    c.ai.conversations.add_message(weather.id, role="user", content="Will it rain tomorrow in Chicago? I need an umbrella.")
    r = emu.raw(key).get("/ai/conversation_histories", params={"q": "double charge on invoice"})
    assert r.status_code == 200, r.text
    rows = r.json()["data"]
    assert rows[0]["record_id"] == billing.id and rows[0]["score"] > rows[-1]["score"]
    via_sdk = c.ai.retrieve_conversation_histories(q="umbrella rain", page_size=1)
    assert via_sdk.data[0].record_id == weather.id and via_sdk.meta.total_results == 2
