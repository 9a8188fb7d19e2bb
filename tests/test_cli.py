"""Settings from env and flags, the banner, keygen, and start-up errors without tracebacks."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.cli import build_parser, main, settings_from_args


def test_flags_override_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TELNYX_EMULATOR_PORT", "4555")
    monkeypatch.setenv("TELNYX_EMULATOR_SEED", "7")
    monkeypatch.setenv("TELNYX_EMULATOR_API_KEYS", "a, b")
    settings = settings_from_args(build_parser().parse_args(["--seed", "9", "--state-dir", str(tmp_path)]))
    assert settings.port == 4555  # from env
    assert settings.seed == 9  # flag wins
    assert settings.accepted_api_keys() == frozenset({"a", "b"})
    assert settings.host == "127.0.0.1"


def test_serve_subcommand_takes_the_same_flags(tmp_path: Path) -> None:
    args = build_parser().parse_args(["serve", "--port", "4011", "--state-dir", str(tmp_path)])
    assert args.command == "serve"
    assert settings_from_args(args).port == 4011


def test_keygen_prints_a_usable_seed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keygen", "--quiet"]) == 0
    seed = base64.b64decode(capsys.readouterr().out.strip())
    assert len(seed) == 32


def test_bad_spec_path_fails_cleanly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--spec", str(tmp_path / "missing.yml"), "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "cannot start" in result.stderr and "missing.yml" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_signing_key_fails_cleanly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--signing-key", "not-base64!!", "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "signing key" in result.stderr and "Traceback" not in result.stderr
