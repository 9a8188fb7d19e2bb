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
