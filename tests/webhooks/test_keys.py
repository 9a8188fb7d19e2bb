"""The webhook signing key: generated once and kept, or configured."""

from __future__ import annotations

import base64
from pathlib import Path

from nacl.signing import SigningKey

from emulator.app import create_app
from tests.conftest import make_settings


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
