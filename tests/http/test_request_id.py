"""x-request-id: echoed when the client sends one, generated otherwise."""

from __future__ import annotations

from starlette.testclient import TestClient


def test_request_id_echoed_or_generated(client: TestClient) -> None:
    r = client.get("/_emulator/health", headers={"x-request-id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert len(client.get("/_emulator/health").headers["x-request-id"]) == 32
