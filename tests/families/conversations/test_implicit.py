"""The lenient mode for conversations and insights, through the official SDK: an unknown id names
a conversation, insight, group or assignment made on first use (``x-emulator-implicit``), which
then behaves like a created one — updates stick, a delete stays deleted — and the family's
business rules warn (``x-emulator-warning``) and apply their substitutes instead of rejecting."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import telnyx

from tests.support.ai import Emu, live_emulator

UUID = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
OTHER = "0b9d6f8e-3c55-4c1e-9d8e-2a6f1c0e7b11"


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    yield from live_emulator(tmp_path_factory.mktemp("conversations-lenient"), lenient=True)


def _strict(emu: Emu, api_key: str) -> telnyx.Telnyx:
    r = emu.http.put(f"/_emulator/modes/{api_key}", json={"lenient": False})
    assert r.status_code == 200, r.text
    return emu.sdk(api_key)


def test_sdk_retrieve_update_delete_an_implicit_conversation(emu: Emu) -> None:
    c = emu.sdk("conv-implicit")
    raw = c.ai.conversations.with_raw_response.retrieve("conversation_id")
    assert raw.status_code == 200 and raw.headers["x-emulator-implicit"] == "conversation"
    first = raw.parse().data
    assert str(uuid.UUID(first.id)) == first.id and first.metadata == {}  # the document's ids are uuids
    again = c.ai.conversations.with_raw_response.retrieve("conversation_id")
    assert "x-emulator-implicit" not in again.headers and again.parse().data == first

    c.ai.conversations.update("conversation_id", metadata={"topic": "billing"})
    assert c.ai.conversations.retrieve("conversation_id").data.metadata == {"topic": "billing"}
    assert c.ai.conversations.retrieve(first.id).data.metadata == {"topic": "billing"}  # one conversation, two names
    c.ai.conversations.add_message("conversation_id", role="user", content="hello")
    assert [m.text for m in c.ai.conversations.messages.list("conversation_id")] == ["hello"]
    assert [x.id for x in c.ai.conversations.list().data] == [first.id]

    c.ai.conversations.delete("conversation_id")
    for name in ("conversation_id", first.id):
        with pytest.raises(telnyx.NotFoundError):
            c.ai.conversations.retrieve(name)
    assert c.ai.conversations.list().data == []


def test_a_uuid_keeps_its_id_and_nested_paths_create_the_conversation(emu: Emu) -> None:
    c = emu.sdk("conv-implicit-uuid")
    raw = c.ai.conversations.with_raw_response.retrieve_conversations_insights(UUID)
    assert raw.headers["x-emulator-implicit"] == "conversation" and raw.parse().data == []
    assert c.ai.conversations.retrieve(UUID).data.id == UUID
    c.ai.conversations.add_message(OTHER, role="assistant", content="Hi")  # a message names its parent
    assert [m.role for m in c.ai.conversations.messages.list(OTHER)] == ["assistant"]


def test_strict_keys_still_get_404_and_422(emu: Emu) -> None:
    c = _strict(emu, "conv-strict")
    with pytest.raises(telnyx.NotFoundError):
        c.ai.conversations.retrieve("conversation_id")
    with pytest.raises(telnyx.NotFoundError):
        c.ai.conversations.insight_groups.retrieve(UUID)
    conv = c.ai.conversations.create()
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.conversations.add_message(conv.id, role="system", content="x")
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.conversations.list(id="not-an-operator")
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.conversations.insights.create(name="bad", instructions="x", json_schema="{not json")


def test_implicit_insights_groups_and_assignments(emu: Emu) -> None:
    c = emu.sdk("ins-implicit")
    raw = c.ai.conversations.insight_groups.with_raw_response.retrieve(UUID)
    assert raw.headers["x-emulator-implicit"] == "insight_group" and raw.parse().data.insights == []
    c.ai.conversations.insight_groups.update(UUID, name="renamed")
    assert c.ai.conversations.insight_groups.retrieve(UUID).data.name == "renamed"

    # assign names an unknown insight: it is made, then assigned (an assign never meets a pre-made assignment)
    assigned = c.ai.conversations.insight_groups.insights.with_raw_response.assign(OTHER, group_id=UUID)
    assert assigned.headers["x-emulator-implicit"] == "insight"
    assert [i.id for i in c.ai.conversations.insight_groups.retrieve(UUID).data.insights] == [OTHER]
    assert c.ai.conversations.insights.retrieve(OTHER).data.insight_type == "custom"
    with pytest.raises(telnyx.ConflictError):
        c.ai.conversations.insight_groups.insights.assign(OTHER, group_id=UUID)

    # unassign names an unknown assignment: it existed; once removed it stays removed
    third = str(uuid.uuid4())
    gone = c.ai.conversations.insight_groups.insights.with_raw_response.delete_unassign(third, group_id=UUID)
    assert gone.headers["x-emulator-implicit"] == "insight, insight_assignment"
    with pytest.raises(telnyx.NotFoundError):
        c.ai.conversations.insight_groups.insights.delete_unassign(third, group_id=UUID)

    # a deleted insight is not re-made through a group path, nor a deleted group
    c.ai.conversations.insights.delete(OTHER)
    with pytest.raises(telnyx.NotFoundError):
        c.ai.conversations.insight_groups.insights.assign(OTHER, group_id=UUID)
    c.ai.conversations.insight_groups.delete(UUID)
    with pytest.raises(telnyx.NotFoundError):
        c.ai.conversations.insight_groups.retrieve(UUID)
    assert [g.id for g in c.ai.conversations.insight_groups.retrieve_insight_groups()] == []


def test_business_rules_warn_and_substitute(emu: Emu) -> None:
    c = emu.sdk("conv-rules")
    conv = c.ai.conversations.create(metadata={"k": "v"})
    added = c.ai.conversations.with_raw_response.add_message(conv.id, role="system", content="be brief", tool_calls=[{"nope": 1}])
    assert added.headers["x-emulator-warning"] == "conversations.message_role, conversations.tool_call_function"
    [message] = c.ai.conversations.messages.list(conv.id)
    assert message.role == "user" and message.text == "be brief" and not message.tool_calls

    listed = c.ai.conversations.with_raw_response.list(id=conv.id, order="nonsense")  # bare value = eq.
    assert listed.headers["x-emulator-warning"] == "conversations.filter_syntax"
    assert [x.id for x in listed.parse().data] == [conv.id]
    assert c.ai.conversations.list(id="someone-else").data == []

    made = c.ai.conversations.insights.with_raw_response.create(name="loose", instructions="x", json_schema="{not json")
    assert made.headers["x-emulator-warning"] == "conversations.insight_json_schema"
    assert made.parse().data.json_schema == "{not json"

    agg = c.ai.conversations.conversation_insights.with_raw_response.retrieve_aggregates(group_by=["nope"])
    assert agg.headers["x-emulator-warning"] == "conversations.aggregate_group_by" and agg.parse().data == []

    rules = {r["name"]: r for r in emu.http.get("/_emulator/business-rules").json()["data"]}
    assert {"conversations.message_role", "conversations.filter_syntax", "conversations.insight_json_schema"} <= set(rules)
    assert rules["conversations.message_role"]["substitute"] == "the message is stored as a user message"
