"""x-request-id: echoed when the client sends one, generated otherwise."""

from __future__ import annotations

import uuid

from starlette.testclient import TestClient

from emulator.http.request_id import new_request_id
from tests.conftest import AUTH


def test_request_id_echoed_or_generated(client: TestClient) -> None:
    r = client.get("/_emulator/health", headers={"x-request-id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert len(client.get("/_emulator/health").headers["x-request-id"]) == 32


def test_api_responses_carry_a_request_id_the_journal_records(client: TestClient) -> None:
    echoed = client.get("/v2/ai/assistants", headers={**AUTH, "x-request-id": "mine-1"})
    fresh = [client.get("/v2/ai/assistants", headers=AUTH).headers["x-request-id"] for _ in range(3)]
    assert echoed.headers["x-request-id"] == "mine-1"
    assert len(set(fresh)) == 3 and all(len(f) == 32 and f[12] == "4" for f in fresh)  # uuid4 hex
    entries = client.get("/_emulator/journal").json()["data"]
    assert [e["request_id"] for e in entries[:4]] == [*reversed(fresh), "mine-1"]


def test_new_request_id_is_a_uuid4() -> None:
    ids = {new_request_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(uuid.UUID(hex=i).version == 4 and uuid.UUID(hex=i).variant == uuid.RFC_4122 for i in ids)
