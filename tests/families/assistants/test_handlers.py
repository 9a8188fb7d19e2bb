"""Assistants through the official telnyx SDK (strict response validation): CRUD, list filters,
versions, tags, clone, import, tools, canary deploys, scheduled events, TeXML, instructions,
chat and SMS chat."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import telnyx

from tests.support.ai import Emu, Receiver, live_emulator


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    yield from live_emulator(tmp_path_factory.mktemp("assistants"))


def test_crud_round_trip_and_list_filters(emu: Emu) -> None:
    c = emu.sdk("asst-crud")
    a = c.ai.assistants.create(name="Support", instructions="Be brief.", model="openai/gpt-4o", tags=["support", "en"])
    b = c.ai.assistants.create(name="Sales bot", instructions="Sell.", tags=["sales"])
    assert a.id.startswith("assistant-") and a.model == "openai/gpt-4o" and a.tags == ["support", "en"]
    got = c.ai.assistants.retrieve(a.id)
    assert got.name == "Support" and got.instructions == "Be brief." and got.version_id == a.version_id
    assert {x.id for x in c.ai.assistants.list().data} == {a.id, b.id}
    raw = emu.raw("asst-crud")
    assert [x["id"] for x in raw.get("/ai/assistants", params={"tags": "sales"}).json()["data"]] == [b.id]
    assert [x["id"] for x in raw.get("/ai/assistants", params={"name": "supp"}).json()["data"]] == [a.id]
    updated = c.ai.assistants.update(a.id, instructions="Be very brief.")
    assert updated.instructions == "Be very brief." and updated.name == "Support"
    assert c.ai.assistants.retrieve(a.id).instructions == "Be very brief."
    deleted = c.ai.assistants.delete(b.id)
    assert deleted.deleted is True and deleted.id == b.id
    with pytest.raises(telnyx.NotFoundError):
        c.ai.assistants.retrieve(b.id)
    # another API key sees nothing
    assert emu.sdk("asst-other").ai.assistants.list().data == []


def test_bad_input_is_4xx_and_writes_nothing(emu: Emu) -> None:
    c = emu.sdk("asst-bad")
    with pytest.raises(telnyx.UnprocessableEntityError) as err:
        c.ai.assistants.create(name="X", instructions="Y", model="no/such-model")
    assert err.value.body["detail"][0]["loc"] == ["body", "model"]
    assert c.ai.assistants.list().data == []
    with pytest.raises(telnyx.NotFoundError):
        c.ai.assistants.update("assistant-missing", name="Z")


def test_every_update_makes_a_version_and_promote(emu: Emu) -> None:
    c = emu.sdk("asst-versions")
    a = c.ai.assistants.create(name="V", instructions="v1")
    v1 = a.version_id
    a2 = c.ai.assistants.update(a.id, instructions="v2")
    draft = c.ai.assistants.update(a.id, instructions="v3 draft", promote_to_main=False)
    assert len({v1, a2.version_id, draft.version_id}) == 3
    versions = c.ai.assistants.versions.list(a.id).data
    assert [v.instructions for v in versions] == ["v3 draft", "v2", "v1"]
    assert c.ai.assistants.retrieve(a.id).instructions == "v2"  # the draft was not promoted
    assert c.ai.assistants.versions.retrieve(v1, assistant_id=a.id).instructions == "v1"
    edited = c.ai.assistants.versions.update(draft.version_id, assistant_id=a.id, instructions="v3 final")
    assert edited.version_id == draft.version_id and edited.instructions == "v3 final"
    promoted = c.ai.assistants.versions.promote(draft.version_id, assistant_id=a.id)
    assert promoted.instructions == "v3 final" and c.ai.assistants.retrieve(a.id).version_id == draft.version_id
    # the main version cannot be deleted; an old one can, and then cannot be promoted
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.assistants.versions.delete(draft.version_id, assistant_id=a.id)
    c.ai.assistants.versions.delete(v1, assistant_id=a.id)
    with pytest.raises(telnyx.NotFoundError) as err:
        c.ai.assistants.versions.promote(v1, assistant_id=a.id)
    assert "deleted" in err.value.body["detail"][0]["detail"]
    assert c.ai.assistants.retrieve(a.id).version_id == draft.version_id
    assert [v.version_id for v in c.ai.assistants.versions.list(a.id).data] == [draft.version_id, a2.version_id]


def test_tags_across_assistants(emu: Emu) -> None:
    c = emu.sdk("asst-tags")
    a = c.ai.assistants.create(name="A", instructions="x", tags=["alpha"])
    b = c.ai.assistants.create(name="B", instructions="x")
    assert c.ai.assistants.tags.add(b.id, tag="beta").tags == ["beta"]
    assert c.ai.assistants.tags.add(b.id, tag="alpha").tags == ["beta", "alpha"]
    assert c.ai.assistants.tags.add(b.id, tag="alpha").tags == ["beta", "alpha"]  # once
    assert c.ai.assistants.tags.list().tags == ["alpha", "beta"]
    assert c.ai.assistants.tags.remove("alpha", assistant_id=a.id).tags == []
    assert c.ai.assistants.tags.list().tags == ["alpha", "beta"]
    c.ai.assistants.tags.remove("alpha", assistant_id=b.id)
    assert c.ai.assistants.tags.list().tags == ["beta"]
    with pytest.raises(telnyx.NotFoundError):
        c.ai.assistants.tags.remove("nope", assistant_id=b.id)


def test_clone_and_import(emu: Emu) -> None:
    c = emu.sdk("asst-clone")
    a = c.ai.assistants.create(name="Orig", instructions="Do it.", greeting="Hi", tags=["t"])
    clone = c.ai.assistants.clone(a.id)
    assert clone.id != a.id and clone.instructions == "Do it." and clone.greeting == "Hi" and clone.tags == ["t"]
    assert len(c.ai.assistants.versions.list(clone.id).data) == 1
    imported = c.ai.assistants.imports(provider="vapi", api_key_ref="vapi-key", import_ids=["va-1", "va-2"]).data
    assert [x.import_metadata.import_id for x in imported] == ["va-1", "va-2"]
    assert all(x.import_metadata.import_provider == "vapi" for x in imported)
    again = c.ai.assistants.imports(provider="vapi", api_key_ref="vapi-key", import_ids=["va-1"]).data
    assert again[0].id == imported[0].id  # re-import updates, never duplicates
    assert len(c.ai.assistants.list().data) == 4


def test_tools_attach_detach_and_webhook_test(emu: Emu) -> None:
    c = emu.sdk("asst-tools")
    raw = emu.raw("asst-tools")
    with Receiver(reply={"order": "shipped"}) as rx:
        # Created the documented way: the definition under the key its type names.
        tool = raw.post("/ai/tools", json={"type": "webhook", "display_name": "orders",
                                            "webhook": {"name": "orders", "description": "order status", "url": f"{rx.url}/orders/{{id}}",
                                                        "method": "POST", "path_parameters": {"type": "object", "properties": {"id": {"type": "string"}}},
                                                        "headers": [{"name": "x-tenant", "value": "{{tenant}}"}]}})
        assert tool.status_code == 200, tool.text
        tool_id = tool.json()["id"]
        a = c.ai.assistants.create(name="T", instructions="x", dynamic_variables={"tenant": "acme"})
        with pytest.raises(telnyx.NotFoundError):
            c.ai.assistants.tools.add("missing-tool", assistant_id=a.id)
        c.ai.assistants.tools.add(tool_id, assistant_id=a.id)
        result = c.ai.assistants.tools.test(tool_id, assistant_id=a.id, arguments={"id": "42", "verbose": True})
        assert result.data.success is True and result.data.status_code == 200
        assert '"shipped"' in result.data.response
        assert rx.requests[-1]["path"] == "/orders/42" and rx.requests[-1]["body"] == {"verbose": True}
        assert rx.requests[-1]["headers"]["x-tenant"] == "acme"
        c.ai.assistants.tools.remove(tool_id, assistant_id=a.id)
        with pytest.raises(telnyx.NotFoundError):
            c.ai.assistants.tools.remove(tool_id, assistant_id=a.id)
    # an inline webhook tool whose URL does not answer: reported, not a 5xx
    b = c.ai.assistants.create(name="Inline", instructions="x", tools=[{"type": "webhook", "webhook": {
        "name": "down", "description": "d", "url": "http://127.0.0.1:9/nothing"}}])
    down = c.ai.assistants.tools.test("down", assistant_id=b.id, arguments={})
    assert down.data.success is False and down.data.status_code == 0


def test_canary_deploys(emu: Emu) -> None:
    c = emu.sdk("asst-canary")
    a = c.ai.assistants.create(name="C", instructions="one", greeting="Hello from one")
    v2 = c.ai.assistants.update(a.id, instructions="two", greeting="Hello from two", promote_to_main=False)
    with pytest.raises(telnyx.NotFoundError):
        c.ai.assistants.canary_deploys.retrieve(a.id)
    rules = [{"serve": {"rollout": [{"version_id": a.version_id, "weight": 90}, {"version_id": v2.version_id, "weight": 10}]}}]
    created = c.ai.assistants.canary_deploys.create(a.id, rules=rules)
    assert created.assistant_id == a.id and created.rules[0].serve.rollout[1].weight == 10
    with pytest.raises(telnyx.ConflictError):
        c.ai.assistants.canary_deploys.create(a.id, rules=rules)
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.assistants.canary_deploys.update(a.id, rules=[{"serve": {"version_id": "no-such-version"}}])
    updated = c.ai.assistants.canary_deploys.update(a.id, rules=[{"serve": {"version_id": v2.version_id}}])
    assert updated.rules[0].serve.version_id == v2.version_id
    assert c.ai.assistants.canary_deploys.retrieve(a.id).rules[0].serve.version_id == v2.version_id
    # chat now talks to the canary version (its greeting opens the conversation)
    conv = str(uuid.uuid4())
    c.ai.assistants.chat(a.id, content="hi", conversation_id=conv)
    assert [m.text for m in c.ai.conversations.messages.list(conv).data][-1] == "Hello from two"
    c.ai.assistants.canary_deploys.delete(a.id)
    with pytest.raises(telnyx.NotFoundError):
        c.ai.assistants.canary_deploys.retrieve(a.id)
    conv = str(uuid.uuid4())
    c.ai.assistants.chat(a.id, content="hi", conversation_id=conv)
    assert [m.text for m in c.ai.conversations.messages.list(conv).data][-1] == "Hello from one"


def test_scheduled_sms_event_fires_on_the_emulator_clock(emu: Emu) -> None:
    c = emu.sdk("asst-events")
    a = c.ai.assistants.create(name="E", instructions="x", dynamic_variables={"name": "Ann"})
    at = emu.http.get("/_emulator/clock").json()
    when = at["now"]
    assert when, at
    from datetime import datetime, timedelta  # noqa: PLC0415

    due = (datetime.fromisoformat(when.replace("Z", "+00:00")) + timedelta(hours=1)).isoformat()
    ev = c.ai.assistants.scheduled_events.create(a.id, scheduled_at_fixed_datetime=due, telnyx_agent_target="+15550001111",
                                                 telnyx_conversation_channel="sms_chat", telnyx_end_user_target="+15550002222",
                                                 text="Hello {{name}}, your appointment is tomorrow.")
    assert ev.status == "pending"
    listed = c.ai.assistants.scheduled_events.list(a.id)
    assert [e.scheduled_event_id for e in listed.data] == [ev.scheduled_event_id]
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.assistants.scheduled_events.create(a.id, scheduled_at_fixed_datetime=due, telnyx_agent_target="+1",
                                                telnyx_conversation_channel="sms_chat", telnyx_end_user_target="+2")
    emu.advance(3601)
    fired = c.ai.assistants.scheduled_events.retrieve(ev.scheduled_event_id, assistant_id=a.id)
    assert fired.status == "completed" and fired.conversation_id
    messages = c.ai.conversations.messages.list(fired.conversation_id).data
    assert [m.text for m in messages] == ["Hello Ann, your appointment is tomorrow."]
    c.ai.assistants.scheduled_events.delete(ev.scheduled_event_id, assistant_id=a.id)
    with pytest.raises(telnyx.NotFoundError):
        c.ai.assistants.scheduled_events.retrieve(ev.scheduled_event_id, assistant_id=a.id)


def test_texml_and_instruction_enhancement(emu: Emu) -> None:
    c = emu.sdk("asst-texml")
    a = c.ai.assistants.create(name="X", instructions="You answer billing questions. Be polite.")
    xml = c.ai.assistants.get_texml(a.id)
    assert "<Response>" in xml and f'<AIAssistant id="{a.id}"' in xml
    enhanced = emu.raw("asst-texml").post(f"/ai/assistants/{a.id}/instructions/enhance", json={"enhancement_prompt": "Add a refund policy"})
    assert enhanced.status_code == 200 and enhanced.headers["content-type"].startswith("text/plain")
    assert "You answer billing questions." in enhanced.text and "- Be polite." in enhanced.text


def test_chat_creates_then_extends_a_conversation(emu: Emu) -> None:
    c = emu.sdk("asst-chat")
    a = c.ai.assistants.create(name="Chat", instructions="Help {{first_name}}.", greeting="Hello {{first_name}}!",
                               dynamic_variables={"first_name": "Bob"})
    conv_id = str(uuid.uuid4())
    first = c.ai.assistants.chat(a.id, content="What are your opening hours?", conversation_id=conv_id)
    assert first.content
    conv = c.ai.conversations.retrieve(conv_id).data
    assert conv.metadata["assistant_id"] == a.id
    second = c.ai.assistants.chat(a.id, content="And on Sunday?", conversation_id=conv_id, name="Bob")
    assert second.content
    msgs = c.ai.conversations.messages.list(conv_id).data
    assert [(m.role, m.text) for m in reversed(msgs)] == [
        ("assistant", "Hello Bob!"), ("user", "What are your opening hours?"), ("assistant", first.content),
        ("user", "And on Sunday?"), ("assistant", second.content)]
    # deterministic: a fresh tenant asking the same gets the same answer
    again = emu.sdk("asst-chat-2")
    b = again.ai.assistants.create(name="Chat", instructions="Help {{first_name}}.", greeting="Hello {{first_name}}!",
                                   dynamic_variables={"first_name": "Bob"})
    assert again.ai.assistants.chat(b.id, content="What are your opening hours?", conversation_id=conv_id).content == first.content
    with pytest.raises(telnyx.UnprocessableEntityError):
        c.ai.assistants.chat(a.id, content="hi", conversation_id="not-a-uuid")
    with pytest.raises(telnyx.NotFoundError):
        c.ai.assistants.chat("assistant-nope", content="hi", conversation_id=conv_id)


def test_sms_chat_opens_and_reuses_a_conversation(emu: Emu) -> None:
    c = emu.sdk("asst-sms")
    a = c.ai.assistants.create(name="S", instructions="x")
    first = c.ai.assistants.send_sms(a.id, from_="+15550001111", to="+15550003333", text="Your code is 1234")
    again = c.ai.assistants.send_sms(a.id, from_="+15550001111", to="+15550003333", text="Reminder")
    assert first.conversation_id == again.conversation_id
    conv = c.ai.conversations.retrieve(first.conversation_id).data
    assert conv.metadata["telnyx_conversation_channel"] == "sms_chat" and conv.metadata["telnyx_end_user_target"] == "+15550003333"
    assert [m.text for m in c.ai.conversations.messages.list(first.conversation_id).data] == ["Reminder", "Your code is 1234"]
    fresh = c.ai.assistants.send_sms(a.id, from_="+15550001111", to="+15550003333", text="New", should_create_conversation=True)
    assert fresh.conversation_id != first.conversation_id


def test_state_dump_and_snapshot_round_trip(emu: Emu, tmp_path: Path) -> None:
    c = emu.sdk("asst-snap")
    a = c.ai.assistants.create(name="Snap", instructions="x")
    c.ai.assistants.update(a.id, name="Snap 2")
    snap = emu.http.get("/_emulator/snapshot")
    assert snap.status_code == 200
    names = {s["store"] for s in snap.json()["skipped"] if s["tenant"] == "asst-snap"}
    assert not any("assistants" in n or "conversations" in n for n in names), names
    emu.http.post("/_emulator/restore", json=snap.json()).raise_for_status()
    assert len(c.ai.assistants.versions.list(a.id).data) == 2


def test_dynamic_variable_substitution() -> None:
    from emulator.families.assistants.common import substitute  # noqa: PLC0415

    text = "Hi {{ first_name }}, your plan is {{plan}}; unknown {{missing}} stays."
    assert substitute(text, {"first_name": "Ann", "plan": 3}) == "Hi Ann, your plan is 3; unknown {{missing}} stays."


def test_dynamic_variables_webhook_on_retrieve(emu: Emu) -> None:
    c = emu.sdk("asst-dynvars")
    with Receiver(reply={"dynamic_variables": {"first_name": "Carol", "tier": "gold"}}) as rx:
        a = c.ai.assistants.create(name="D", instructions="x", dynamic_variables={"first_name": "default", "lang": "en"},
                                   dynamic_variables_webhook_url=f"{rx.url}/vars")
        got = c.ai.assistants.retrieve(a.id, fetch_dynamic_variables_from_webhook=True, from_="+15551230000", to="+15559870000")
        assert got.dynamic_variables == {"first_name": "Carol", "lang": "en", "tier": "gold"}
        sent = rx.requests[-1]["body"]["data"]["payload"]
        assert sent["telnyx_end_user_target"] == "+15551230000" and sent["assistant_id"] == a.id
        assert c.ai.assistants.retrieve(a.id).dynamic_variables == {"first_name": "default", "lang": "en"}  # not stored


def test_nested_settings_round_trip(emu: Emu) -> None:
    c = emu.sdk("asst-nested")
    settings = {
        "voice_settings": {"voice": "Telnyx.KokoroTTS.af_heart"},
        "transcription": {"model": "deepgram/nova-3", "language": "en"},
        "external_llm": {"model": "my-llm", "base_url": "https://llm.example.test/v1"},
        "insight_settings": {"insight_group_id": "group-1"},
        "enabled_features": ["telephony"],
    }
    a = c.ai.assistants.create(name="Nested", instructions="x", **settings)  # type: ignore[arg-type]
    raw = emu.raw("asst-nested").get(f"/ai/assistants/{a.id}").json()
    for key, value in settings.items():
        assert raw[key] == value, key
    c.ai.assistants.update(a.id, voice_settings={"voice": "Telnyx.KokoroTTS.am_adam"})
    again = emu.raw("asst-nested").get(f"/ai/assistants/{a.id}").json()
    assert again["voice_settings"] == {"voice": "Telnyx.KokoroTTS.am_adam"} and again["transcription"] == settings["transcription"]
