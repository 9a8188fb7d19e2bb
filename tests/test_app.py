"""The HTTP surface every family shares: auth, envelopes for 404/405, prefixes, control API."""

from __future__ import annotations

import base64
from pathlib import Path

from nacl.signing import SigningKey
from starlette.applications import Starlette
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.families import FAMILIES
from emulator.http.binding import collect
from emulator.openapi.index import OperationIndex
from emulator.openapi.loader import load_document
from tests.conftest import AUTH, make_settings


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


def test_unknown_path_404_and_wrong_method_405(client: TestClient) -> None:
    r = client.get("/v2/definitely/not/here", headers=AUTH)
    assert r.status_code == 404
    assert r.json()["errors"][0]["code"] == "10001"
    r = client.delete("/v2/calls", headers=AUTH)
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    assert r.json()["errors"][0]["title"] == "Method not allowed"


def test_no_slash_redirects(client: TestClient) -> None:
    r = client.get("/v2/ai/assistants/", headers=AUTH, follow_redirects=False)
    assert r.status_code != 307 and r.status_code != 308


def test_served_with_and_without_v2(client: TestClient) -> None:
    assert client.get("/v2/ai/models", headers=AUTH).status_code == 200
    assert client.get("/ai/models", headers=AUTH).status_code == 200


def test_request_id_echoed_or_generated(client: TestClient) -> None:
    r = client.get("/_emulator/health", headers={"x-request-id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert len(client.get("/_emulator/health").headers["x-request-id"]) == 32


def test_control_api_health_public_key_operations(client: TestClient) -> None:
    health = client.get("/_emulator/health").json()
    assert health["status"] == "ok" and health["operations"] == 203
    key = client.get("/_emulator/public-key").json()["public_key"]
    assert len(__import__("base64").b64decode(key)) == 32
    ops = client.get("/_emulator/operations").json()
    assert ops["meta"]["total"] == 203
    kinds = {row["served_by"] for row in ops["data"]}
    assert kinds <= {"handler", "generic", "synthesized"}
    doc = client.get("/_emulator/openapi.json").json()
    assert doc["openapi"].startswith("3.1") and "/_emulator/health" in doc["paths"]


def test_admin_token_guards_control_api(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, admin_token="sekrit"))) as c:
        assert c.get("/_emulator/state").status_code == 401
        ok = c.get("/_emulator/state", headers={"Authorization": "Bearer sekrit"})
        assert ok.status_code == 200


def test_signing_key_is_stable_across_restarts(tmp_path: Path) -> None:
    first = create_app(make_settings(tmp_path)).state.emulator.services.webhooks.signing_key.public_key_b64
    second = create_app(make_settings(tmp_path)).state.emulator.services.webhooks.signing_key.public_key_b64
    assert first == second
    assert (tmp_path / "state" / "signing_key").is_file()


def test_configured_signing_key_is_used(tmp_path: Path) -> None:
    seed = base64.b64encode(bytes(range(32))).decode()
    app = create_app(make_settings(tmp_path, signing_key=seed))
    expected = base64.b64encode(bytes(SigningKey(bytes(range(32))).verify_key)).decode()
    assert app.state.emulator.services.webhooks.signing_key.public_key_b64 == expected


def test_two_apps_share_nothing(tmp_path: Path) -> None:
    a = create_app(make_settings(tmp_path))
    b = create_app(make_settings(tmp_path))
    ea, eb = a.state.emulator, b.state.emulator
    assert ea.state is not eb.state and ea.handlers is not eb.handlers
    ea.state.tenant("k")
    assert "k" not in eb.state.tenants
    ea.state.clock.advance(100)
    assert abs(eb.state.clock.now() - ea.state.clock.now()) > 50


def test_reset_one_tenant_or_all(app: Starlette, client: TestClient) -> None:
    state = app.state.emulator.state
    state.tenant("a")
    state.tenant("b")
    client.post("/_emulator/reset", json={"api_key": "a"})
    assert set(state.tenants) == {"b"}
    client.post("/_emulator/reset")
    assert state.tenants == {}
    bad = client.post("/_emulator/reset", content=b"{not json")
    assert bad.status_code == 400


def test_every_handler_is_bound_to_an_operation_of_the_document() -> None:
    """Handlers declare their operationIds; a typo or a removed operation fails here (and at
    start-up), never silently leaves a handler unreachable."""
    handlers = collect(module for family in FAMILIES for module in family.handler_modules)
    index = OperationIndex(load_document())
    assert handlers, "no handlers collected"
    assert sorted(set(handlers) - set(index.by_id)) == []
