"""Shared AI tools: stateful via generic CRUD, with the type-named definition kept."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import AUTH


def test_shared_ai_tools_keep_their_definition(client: TestClient) -> None:
    """``/ai/tools`` requests name the definition by type; records expose ``tool_definition``."""
    webhook = {"name": "lookup", "url": "https://example.com/hook", "method": "POST"}
    created = client.post("/v2/ai/tools", headers=AUTH, json={"type": "webhook", "display_name": "Lookup", "webhook": webhook})
    assert created.status_code == 200, created.text
    tool = created.json()
    assert tool["tool_definition"] == {"type": "webhook", "webhook": webhook}
    fetched = client.get(f"/v2/ai/tools/{tool['id']}", headers=AUTH).json()
    assert fetched["tool_definition"] == tool["tool_definition"]
    changed = {**webhook, "url": "https://example.com/v2"}
    updated = client.patch(f"/v2/ai/tools/{tool['id']}", headers=AUTH, json={"type": "webhook", "webhook": changed})
    assert updated.json()["tool_definition"]["webhook"]["url"] == "https://example.com/v2"
    missing = client.post("/v2/ai/tools", headers=AUTH, json={"type": "webhook", "display_name": "No body"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "webhook"]
    assert len(client.get("/v2/ai/tools", headers=AUTH).json()["data"]) == 1  # the 422 wrote nothing
