"""The admin-token guard in front of the control API."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from emulator.app import create_app
from tests.conftest import make_settings


def test_admin_token_guards_control_api(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, admin_token="sekrit"))) as c:
        assert c.get("/_emulator/state").status_code == 401
        ok = c.get("/_emulator/state", headers={"Authorization": "Bearer sekrit"})
        assert ok.status_code == 200


def test_each_operation_says_who_may_call_it(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as c:
        doc = c.get("/_emulator/openapi.json").json()
        access = {op["operationId"]: op["x-emulator-access"] for item in doc["paths"].values() for op in item.values()}
        assert set(access.values()) == {"public", "tenant", "admin"}
        assert access["health"] == "public" and access["downloadCallRecording"] == "public"
        assert access["state"] == access["reset"] == access["journal"] == access["addFaults"] == access["listCalls"] == "tenant"
        assert access["snapshot"] == access["restore"] == access["setClock"] == access["loadFixture"] == access["dashboard"] == "admin"
        index = {row["operation_id"]: row["access"] for row in c.get("/_emulator").json()["operations"]}
        assert index == access


def test_health_is_public_whatever_the_header(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, admin_token="sekrit"))) as c:
        for headers in ({}, {"Authorization": "Basic eDp5"}, {"Authorization": "Bearer some-key"}):
            assert c.get("/_emulator/health", headers=headers).status_code == 200


def test_an_unknown_control_path_is_a_404_for_a_tenant_and_a_401_for_anonymous(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, admin_token="sekrit"))) as c:
        assert c.get("/_emulator/nothing-here", headers={"Authorization": "Bearer some-key"}).status_code == 404
        assert c.get("/_emulator/nothing-here").status_code == 401
