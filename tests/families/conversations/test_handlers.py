"""Conversations through the telnyx SDK: CRUD, PostgREST filters, messages with tool calls,
``last_message_at`` upkeep, and the store API other families write through."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import telnyx

from emulator.families.conversations import postgrest
from tests.support.ai import Emu, live_emulator


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    yield from live_emulator(tmp_path_factory.mktemp("conversations"))


def test_crud_round_trip(emu: Emu) -> None:
    c = emu.sdk("conv-crud")
    conv = c.ai.conversations.create(name="first", metadata={"assistant_id": "assistant-1", "topic": "billing"})
    assert conv.name == "first" and conv.metadata == {"assistant_id": "assistant-1", "topic": "billing"}
    assert conv.last_message_at == conv.created_at
    got = c.ai.conversations.retrieve(conv.id).data
    assert got.id == conv.id and got.metadata["topic"] == "billing"
    upd = c.ai.conversations.update(conv.id, metadata={"topic": "refunds", "priority": "high"}).data
    assert upd.metadata == {"assistant_id": "assistant-1", "topic": "refunds", "priority": "high"}
    assert c.ai.conversations.retrieve(conv.id).data.metadata["topic"] == "refunds"
    c.ai.conversations.delete(conv.id)
    with pytest.raises(telnyx.NotFoundError) as err:
        c.ai.conversations.retrieve(conv.id)
    assert err.value.body["detail"][0]["code"] == "10005"
    assert c.ai.conversations.list().data == []
    with pytest.raises(telnyx.NotFoundError):
        c.ai.conversations.delete(conv.id)


def test_messages_tool_calls_and_last_message_at(emu: Emu) -> None:
    c = emu.sdk("conv-msgs")
    conv = c.ai.conversations.create(metadata={})
    emu.advance(5)
    c.ai.conversations.add_message(conv.id, role="user", content="Where is my order 42?")
    c.ai.conversations.add_message(conv.id, role="assistant", content="", tool_calls=[
        {"id": "call_1", "type": "function", "function": {"name": "lookup_order", "arguments": '{"id": "42"}'}}])
    c.ai.conversations.add_message(conv.id, role="tool", content='{"status": "shipped"}', tool_call_id="call_1")
    c.ai.conversations.add_message(conv.id, role="assistant", content="It has shipped.")
    msgs = c.ai.conversations.messages.list(conv.id).data
    assert [m.role for m in msgs] == ["assistant", "tool", "assistant", "user"]
    call = msgs[2].tool_calls[0]
    assert call.id == "call_1" and call.function.name == "lookup_order" and call.function.arguments == '{"id": "42"}'
    after = c.ai.conversations.retrieve(conv.id).data
    assert after.last_message_at > after.created_at
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.conversations.add_message(conv.id, role="narrator", content="x")
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.conversations.add_message(conv.id, role="tool", content="x")  # no tool_call_id
    with pytest.raises(telnyx.NotFoundError):
        c.ai.conversations.add_message("00000000-0000-4000-8000-000000000000", role="user", content="x")
    assert len(c.ai.conversations.messages.list(conv.id).data) == 4  # failed requests wrote nothing


def test_postgrest_filters_order_and_limit(emu: Emu) -> None:
    c = emu.sdk("conv-filters")
    raw = emu.raw("conv-filters")
    made = []
    for i, (name, assistant) in enumerate([("alpha call", "a-1"), ("beta chat", "a-2"), ("alpha sms", "a-1")]):
        made.append(c.ai.conversations.create(name=name, metadata={"assistant_id": assistant, "n": str(i)}))
        emu.advance(10)

    def ids(**params: str) -> list[str]:
        r = raw.get("/ai/conversations", params=params)
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["data"]]

    assert ids() == [m.id for m in reversed(made)]  # newest first by default
    assert ids(id=f"eq.{made[1].id}") == [made[1].id]
    assert ids(name="like.alpha*") == [made[2].id, made[0].id]
    assert ids(name="ilike.*CHAT") == [made[1].id]
    assert ids(**{"metadata->assistant_id": "eq.a-1"}) == [made[2].id, made[0].id]
    assert ids(**{"metadata->assistant_id": "neq.a-1"}) == [made[1].id]
    assert ids(created_at=f"gte.{made[1].created_at}") == [made[2].id, made[1].id]
    assert ids(created_at=f"lt.{made[1].created_at}") == [made[0].id]
    assert ids(order="created_at.asc") == [m.id for m in made]
    assert ids(order="name.desc", limit="2") == [made[1].id, made[2].id]
    assert ids(**{"or": "(name.eq.beta chat,metadata->n.eq.0)", "order": "created_at.asc"}) == [made[0].id, made[1].id]
    assert ids(name="not.like.alpha*") == [made[1].id]
    assert ids(id=f"in.({made[0].id},{made[2].id})", order="created_at") == [made[0].id, made[2].id]
    # through the SDK too
    listed = c.ai.conversations.list(extra_query={"metadata->assistant_id": "eq.a-2"}).data
    assert [x.id for x in listed] == [made[1].id]

    for params, where in [({"name": "approx.alpha"}, "name"), ({"name": "alpha"}, "name"), ({"order": "name.sideways"}, "order"),
                          ({"bogus": "eq.1"}, "bogus"), ({"limit": "0"}, "limit"), ({"id": "in.a,b"}, "id")]:
        r = raw.get("/ai/conversations", params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["detail"][0]["loc"] == ["query", where]


def test_postgrest_engine_nulls_and_numbers() -> None:
    rows = [{"id": "1", "n": 5, "m": {"k": "x"}}, {"id": "2", "n": None, "m": {}}, {"id": "3", "n": 10, "m": {"k": "y"}}]
    q = postgrest.parse([("order", "n.desc")], {"id", "n"}, {"m"})
    assert [r["id"] for r in postgrest.apply(rows, q)] == ["2", "3", "1"]  # NULLs first when descending
    q = postgrest.parse([("n", "gt.7")], {"id", "n"}, {"m"})
    assert [r["id"] for r in postgrest.apply(rows, q)] == ["3"]
    q = postgrest.parse([("m->k", "is.null")], {"id", "n"}, {"m"})
    assert [r["id"] for r in postgrest.apply(rows, q)] == ["2"]


def test_store_api_used_by_other_families(emu: Emu) -> None:
    """What the calls family does: record a whole conversation via the store; the API shows it."""
    from emulator.families.conversations.service import record_conversation  # noqa: PLC0415

    emulator = emu.server.app.state.emulator
    conv = record_conversation(emulator, "conv-store", metadata={"call_control_id": "v3:abc", "assistant_id": None},
                               messages=[{"role": "user", "content": "Hi"},
                                         {"role": "assistant", "content": "", "tool_calls": [{"id": "t1", "function": {"name": "hangup", "arguments": {}}}]}])
    c = emu.sdk("conv-store")
    listed = c.ai.conversations.list(extra_query={"metadata->call_control_id": "eq.v3:abc"}).data
    assert [x.id for x in listed] == [conv["id"]] and "assistant_id" not in listed[0].metadata
    msgs = c.ai.conversations.messages.list(conv["id"]).data
    assert msgs[0].tool_calls[0].function.name == "hangup" and msgs[0].tool_calls[0].function.arguments == "{}"
    assert msgs[1].text == "Hi"
