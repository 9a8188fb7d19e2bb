"""Settings from env and flags, the banner, keygen, and start-up errors without tracebacks."""

from __future__ import annotations

import base64
import gc
import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from emulator.__main__ import run
from emulator.cli import build_parser, main, settings_from_args
from emulator.openapi.loader import load_document
from tests.conftest import free_port


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


def test_the_launcher_loads_with_the_collector_off_and_other_commands_turn_it_on(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    monkeypatch.setattr("emulator.cli.keygen", lambda args: seen.append(gc.isenabled()) or 0)
    monkeypatch.setattr(sys, "argv", ["telnyx-emulator", "keygen"])
    try:
        assert run() == 0
    finally:
        gc.enable()
    assert seen == [True]  # keygen (and derive-spec, ctl) run with the collector on; only serving loads with it off


def test_serve_help_gives_each_setting_its_docstring_first_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--webhook-attempts WEBHOOK_ATTEMPTS Attempts per URL in all, the first try included (3 = a try and 2 retries); then the failover URL gets as many (env" in text
    assert ("--clock-frozen, --no-clock-frozen Freeze the emulator clock (at ``clock_start`` or start-up): with a fixed seed, "
            "the same requests then give byte-identical responses, timestamps included (env") in text


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


def test_bad_env_var_gets_one_line_naming_it(tmp_path: Path) -> None:
    env = {**os.environ, "TELNYX_EMULATOR_PORT": "forty", "TELNYX_EMULATOR_STATE_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "emulator"], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELNYX_EMULATOR_PORT='forty'" in lines[0] and "integer" in lines[0]
    assert "validation error" not in result.stderr and "Traceback" not in result.stderr


def test_a_yaml_spec_parsed_the_first_time_says_so_once(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yml"
    spec.write_text("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n")
    said: list[str] = []
    load_document(spec, cache_dir=tmp_path / "cache", on_parse=said.append)
    load_document(spec, cache_dir=tmp_path / "cache", on_parse=said.append)  # from the cache: silent
    assert len(said) == 1 and said[0].startswith(f"parsing {spec}") and "first time, cached afterwards" in said[0]


def _start(tmp_path: Path, port: int, *flags: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_EMULATOR_")}
    argv = [sys.executable, "-m", "emulator", "--port", str(port), "--state-dir", str(tmp_path / "state"), *flags]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path)


def test_ready_is_printed_once_the_port_answers_with_the_banner_facts(tmp_path: Path) -> None:
    port = free_port()
    proc = _start(tmp_path, port, "--seed", "7", "--clock-frozen", "--lenient")
    try:
        assert proc.stdout is not None
        banner: list[str] = []
        for line in proc.stdout:
            banner.append(line.rstrip())
            if line.startswith("ready"):
                break
        # "ready" means bound: the very next request connects, no retry loop needed.
        index = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator", timeout=5).read())
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    text = "\n".join(banner)
    assert banner[-1].startswith("ready in ") and banner[-1].endswith(f"listening on http://127.0.0.1:{port}")
    assert f"state dir:  {tmp_path / 'state'}" in text and "seed:       7" in text
    assert "clock:      frozen at " in text and "mode:       lenient" in text and "self-check: off" in text
    assert index["api"] == f"http://127.0.0.1:{port}/v2" and index["document"].endswith("/_emulator/openapi.json")
    by_id = {op["operation_id"]: op for op in index["operations"]}
    assert by_id["health"]["href"] == f"http://127.0.0.1:{port}/_emulator/health"
    assert by_id["controlIndex"]["path"] == "/_emulator"
    assert all(op["href"] is None for op in index["operations"] if "{" in op["path"] or op["method"] != "GET")


def test_no_ready_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = _start(tmp_path, taken.getsockname()[1])
        output = proc.communicate(timeout=60)[0]
    assert proc.returncode != 0
    assert not any(line.startswith("ready") for line in output.splitlines())
