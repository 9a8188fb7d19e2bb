"""The assistants family's business rules: enforced (today's errors) by default, and in the
``warn`` mode let through with their documented substitute and an ``x-emulator-warning``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from tests.conftest import make_settings

STRICT = {"Authorization": "Bearer strict-key"}
WARN = {"Authorization": "Bearer warn-key"}


@pytest.fixture
def c(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path)), raise_server_exceptions=False) as client:
        assert client.put("/_emulator/modes/warn-key", json={"business_rules": "warn"}).status_code == 200
        yield client


def _assistant(c: TestClient, headers: dict[str, str]) -> dict[str, str]:
    r = c.post("/v2/ai/assistants", headers=headers, json={"name": "Bot", "instructions": "Be brief.", "greeting": "Hi!"})
    assert r.status_code == 200, r.text
    return r.json()


def test_the_main_version_is_kept_or_handed_over(c: TestClient) -> None:
    for headers in (STRICT, WARN):
        a = _assistant(c, headers)
        only = c.delete(f"/v2/ai/assistants/{a['id']}/versions/{a['version_id']}", headers=headers)
        if headers is STRICT:
            assert only.status_code == 422 and "main version cannot be deleted" in only.text
            continue
        assert only.status_code == 204 and only.headers["x-emulator-warning"] == "assistants.keep_main_version"
        assert c.get(f"/v2/ai/assistants/{a['id']}", headers=headers).json()["version_id"] == a["version_id"]  # the only one is kept
        newer = c.post(f"/v2/ai/assistants/{a['id']}", headers=headers, json={"name": "Bot 2", "promote_to_main": False}).json()
        c.delete(f"/v2/ai/assistants/{a['id']}/versions/{a['version_id']}", headers=headers)
        assert c.get(f"/v2/ai/assistants/{a['id']}", headers=headers).json()["version_id"] == newer["version_id"]


def test_an_sms_event_without_text_sends_the_greeting(c: TestClient) -> None:
    body = {"telnyx_conversation_channel": "sms_chat", "telnyx_end_user_target": "+13125550100",
            "telnyx_agent_target": "+13125550101", "scheduled_at_fixed_datetime": "2030-01-01T10:00:00Z"}
    strict = c.post(f"/v2/ai/assistants/{_assistant(c, STRICT)['id']}/scheduled_events", headers=STRICT, json=body)
    assert strict.status_code == 422 and strict.json()["detail"][0]["loc"] == ["body", "text"]
    a = _assistant(c, WARN)
    warned = c.post(f"/v2/ai/assistants/{a['id']}/scheduled_events", headers=WARN, json=body)
    assert warned.status_code == 201, warned.text
    assert warned.headers["x-emulator-warning"] == "assistants.sms_event_text"
    assert warned.json()["text"] == "Hi!"


def test_a_chat_with_a_non_uuid_conversation_id_keeps_one_conversation(c: TestClient) -> None:
    a = _assistant(c, STRICT)
    strict = c.post(f"/v2/ai/assistants/{a['id']}/chat", headers=STRICT, json={"conversation_id": "conv-1", "content": "Hello"})
    assert strict.status_code == 422
    a = _assistant(c, WARN)
    for _ in range(2):
        r = c.post(f"/v2/ai/assistants/{a['id']}/chat", headers=WARN, json={"conversation_id": "conv-1", "content": "Hello"})
        assert r.status_code == 200 and r.headers["x-emulator-warning"] == "assistants.chat_conversation_uuid"
    conversations = c.get("/v2/ai/conversations", headers=WARN).json()["data"]
    assert len(conversations) == 1  # the same given id reached the same conversation
