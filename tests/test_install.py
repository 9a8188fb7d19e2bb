"""A plain ``pip install .`` (not editable) into a clean venv gives a working emulator from any
directory, and the Dockerfile's install, start and health-check commands work as written."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, free_port

DOCKERFILE = REPO_ROOT / "Dockerfile"


def _dockerfile() -> dict[str, list[str]]:
    """Instructions of the Dockerfile (continuation lines joined), by keyword."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        out.setdefault(keyword.upper(), []).append(rest.strip())
    return out


def test_dockerfile_is_slim_non_root_and_healthchecked() -> None:
    d = _dockerfile()
    assert re.match(r"python:3\.\d+-slim", d["FROM"][0])
    assert d["USER"] and d["USER"][-1] not in ("root", "0")
    assert "4010" in d["EXPOSE"][0]
    assert "/_emulator/health" in d["HEALTHCHECK"][0]
    assert any("TELNYX_EMULATOR_HOST=0.0.0.0" in env for env in d["ENV"])


@pytest.fixture(scope="module")
def installed_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A clean venv with the project installed the way the Dockerfile does it: the build
    context holds only what the Dockerfile COPYs, and ``pip install .`` runs in it."""
    root = tmp_path_factory.mktemp("install")
    context = root / "context"
    context.mkdir()
    for copy in _dockerfile()["COPY"]:
        *sources, _dest = shlex.split(copy)
        for source in sources:
            src = REPO_ROOT / source
            if src.is_dir():
                shutil.copytree(src, context / source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(src, context / source)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    run_cmd = _dockerfile()["RUN"][0].split("&&")[0].strip()
    assert run_cmd == "pip install ."
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "."], cwd=context, check=True, timeout=600
    )
    yield venv


def test_installed_emulator_starts_from_any_directory(installed_venv: Path, tmp_path: Path) -> None:
    d = _dockerfile()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_EMULATOR_")}
    for assignment in shlex.split(" ".join(d["ENV"])):
        key, _, value = assignment.partition("=")
        env[key] = value
    port = free_port()
    env.update(
        PATH=f"{installed_venv / 'bin'}:{env.get('PATH', '')}",
        TELNYX_EMULATOR_HOST="127.0.0.1",  # no need to bind every interface in a test
        TELNYX_EMULATOR_PORT=str(port),
        TELNYX_EMULATOR_STATE_DIR=str(tmp_path / "state"),
        PYTHONPATH="",
    )
    command = shlex.split(d["CMD"][0].strip("[]").replace(",", " "))
    assert command == ['"telnyx-emulator"'] or command == ["telnyx-emulator"]
    proc = subprocess.Popen(
        [str(installed_venv / "bin" / "telnyx-emulator")],
        cwd=tmp_path,  # not the repo: the package must carry its document and fixtures
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        body = b""
        while time.monotonic() < deadline:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        assert b'"status":"ok"' in body and b'"operations":219' in body
        # The Dockerfile's HEALTHCHECK command, run as written (it reads the port from env).
        healthcheck = d["HEALTHCHECK"][0].split("CMD", 1)[1].strip()
        argv = [a.strip().strip('"') for a in re.findall(r'"(?:[^"\\]|\\.)*"', healthcheck)]
        argv[0] = str(installed_venv / "bin" / "python")
        argv = [a.replace('\\"', '"') for a in argv]
        assert subprocess.run(argv, env=env, timeout=10).returncode == 0
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v2/ai/models", headers={"Authorization": "Bearer k"}
        )
        assert urllib.request.urlopen(request, timeout=5).status == 200
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    assert "telnyx-emulator 0.1.0" in output and "document:   embedded (219 operations)" in output
