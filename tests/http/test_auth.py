"""Bearer authentication on the API: missing or unknown keys get 401 in the Telnyx envelope."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from emulator.app import create_app
from tests.conftest import make_settings


def test_missing_or_blank_key_is_401_in_telnyx_envelope(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}):
        r = client.get("/v2/ai/assistants", headers=headers)
        assert r.status_code == 401
        error = r.json()["errors"][0]
        assert error["code"] == "10009"
        assert error["title"] == "Authentication failed"


def test_configured_keys_reject_others(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, api_keys="good1,good2"))) as c:
        assert c.get("/v2/ai/assistants", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert c.get("/v2/ai/assistants", headers={"Authorization": "Bearer good2"}).status_code == 200
