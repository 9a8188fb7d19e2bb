"""The Dockerfile and docker-compose.yml, tested without a Docker engine: what they say is checked
against the code (flags, env vars, the Python minor), and the image's own install, start and
health-check commands run as written in a clean venv, with the example compose app receiving a
signed webhook from the installed emulator."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from emulator.cli import build_parser
from emulator.core.settings import Settings
from tests.conftest import REPO_ROOT, free_port

DOCKERFILE = REPO_ROOT / "Dockerfile"
COMPOSE = REPO_ROOT / "docker-compose.yml"
ENV_PREFIX = "TELNYX_EMULATOR_"
# The one RUN step that needs root and a real image (a user, /data): everything else runs here.
SYSTEM_STEP = re.compile(r"^useradd ")


def instructions() -> list[tuple[str, str]]:
    """(KEYWORD, arguments) of each Dockerfile instruction, in order, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def by_keyword() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for keyword, rest in instructions():
        out.setdefault(keyword, []).append(rest)
    return out


def env_of(lines: list[str]) -> dict[str, str]:
    return dict(a.partition("=")[::2] for line in lines for a in shlex.split(line))


def exec_form(args: str) -> list[str]:
    """A JSON-array (exec form) instruction argument, e.g. CMD ["telnyx-emulator"]."""
    value = orjson.loads(args)
    assert isinstance(value, list) and all(isinstance(a, str) for a in value)
    return value


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def check_env_names(names: list[str]) -> None:
    fields = set(Settings.model_fields)
    unknown = [n for n in names if n.startswith(ENV_PREFIX) and n[len(ENV_PREFIX) :].lower() not in fields]
    assert not unknown, f"env vars no Settings field reads: {unknown}"


# --- static checks --------------------------------------------------------------------------


def test_base_image_is_pinned_to_a_patch_of_the_ci_python_minor() -> None:
    base = by_keyword()["FROM"][0]
    match = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim(-\w+)?", base)
    assert match, f"{base!r}: pin python:<major>.<minor>.<patch>-slim[-<debian>]"
    assert (int(match[1]), int(match[2])) == sys.version_info[:2], "the image runs another Python minor than CI"


def test_dependencies_are_installed_in_a_layer_before_the_code() -> None:
    steps = instructions()
    copies = [i for i, (k, _) in enumerate(steps) if k == "COPY"]
    runs = [i for i, (k, _) in enumerate(steps) if k == "RUN"]
    assert steps[copies[0]][1] == "pyproject.toml ./", "the first COPY must bring only pyproject.toml"
    assert runs[0] < copies[1], "the dependency RUN must come before the code is copied"
    assert "pip install -r" in steps[runs[0]][1]
    code_copy = next(i for i, (k, rest) in enumerate(steps) if k == "COPY" and rest.startswith("emulator"))
    install = next(i for i, (k, rest) in enumerate(steps) if k == "RUN" and "--no-deps" in rest)
    assert code_copy < install


def test_dockerignore_keeps_the_context_to_what_the_image_copies() -> None:
    lines = [line.strip() for line in (REPO_ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert lines[0] == "*"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied = {src.rstrip("/") for k, rest in instructions() if k == "COPY" for src in shlex.split(rest)[:-1]}
    assert copied == allowed  # every COPY source gets in, nothing else does


def test_state_dir_is_a_volume_and_the_env_names_real_settings() -> None:
    d = by_keyword()
    env = env_of(d["ENV"])
    check_env_names(list(env))
    assert env["TELNYX_EMULATOR_HOST"] == "0.0.0.0"  # noqa: S104 - a container must listen on every interface
    volumes = exec_form(d["VOLUME"][0])
    assert env["TELNYX_EMULATOR_STATE_DIR"] in volumes
    assert d["USER"][-1] not in ("root", "0")
    assert env["TELNYX_EMULATOR_PORT"] in d["EXPOSE"][0]


def test_compose_file_uses_existing_flags_and_env_vars() -> None:
    doc = compose()
    services = doc["services"]
    emulator, app = services["telnyx"], services["app"]
    command = emulator["command"]
    assert command[0] == "telnyx-emulator"
    args = build_parser().parse_args(command[1:])  # an unknown flag exits here (SystemExit)
    assert args.webhook_url == "http://app:8000/webhooks"  # the app service, by its compose name
    check_env_names(list(emulator.get("environment") or {}))
    assert "host.docker.internal:host-gateway" in emulator["extra_hosts"]
    volume = emulator["volumes"][0].split(":")
    assert volume[0] in doc["volumes"] and volume[1] == env_of(by_keyword()["ENV"])["TELNYX_EMULATOR_STATE_DIR"]
    assert app["depends_on"]["telnyx"]["condition"] == "service_healthy"  # the image's HEALTHCHECK
    assert app["command"] == ["python", "/app/app.py"]
    mount = app["volumes"][0].split(":")
    assert (REPO_ROOT / mount[0] / "app.py").is_file() and mount[1] == "/app"
    assert emulator["environment"]["TELNYX_EMULATOR_ADMIN_TOKEN"] == app["environment"]["TELNYX_EMULATOR_ADMIN_TOKEN"]


# --- the image's commands, run in a clean venv ----------------------------------------------


@pytest.fixture(scope="module")
def image_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A clean venv built by the Dockerfile's own steps: each WORKDIR a folder here, each COPY
    copying only what it names (so a file the image lacks is lacking here too), each RUN run by
    the shell with the venv first on PATH and the Dockerfile's ARG/ENV values."""
    root = tmp_path_factory.mktemp("image")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith((ENV_PREFIX, "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    env["PIP_NO_COMPILE"] = "1"  # no .pyc for ~70 packages: seconds of CPU the test does not need
    cwd, ran = root, []
    for keyword, rest in instructions():
        if keyword == "WORKDIR":
            cwd = root / rest.lstrip("/")
            cwd.mkdir(parents=True, exist_ok=True)
        elif keyword == "ARG":
            name, _, default = rest.partition("=")
            env[name] = default
        elif keyword == "COPY":
            *sources, dest = shlex.split(rest)
            target = cwd / dest
            for source in sources:
                src = REPO_ROOT / source
                if src.is_dir():  # Docker copies a folder's contents into dest
                    shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True)
                else:
                    shutil.copy2(src, target / src.name if dest.endswith("/") else target)
        elif keyword == "RUN" and not SYSTEM_STEP.match(rest):
            # The image's pip runs without a cache (PIP_NO_CACHE_DIR); here the cache saves minutes.
            command = rest.replace("/tmp/requirements.txt", str(root / "requirements.txt"))  # noqa: S108 - the image's path, replaced
            done = subprocess.run(["/bin/sh", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
            assert done.returncode == 0, f"RUN {rest}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
            ran.append(rest)
    assert len(ran) == 2 and "pip check" in ran[-1]
    yield venv


def start(venv: Path, cwd: Path, env: dict[str, str], port: int) -> subprocess.Popen[str]:
    command = exec_form(by_keyword()["CMD"][0])
    proc = subprocess.Popen([str(venv / "bin" / command[0]), *command[1:]], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/health", timeout=1).read()
            return proc
        except OSError:
            assert proc.poll() is None, proc.communicate()[0]
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the emulator did not answer its health check in 30 s")


def test_image_commands_start_a_working_emulator_with_an_admin_token(image_venv: Path, tmp_path: Path) -> None:
    d = by_keyword()
    port, app_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith((ENV_PREFIX, "PYTHON"))}
    env.update(env_of(d["ENV"]))
    env.update(
        PATH=f"{image_venv / 'bin'}:{env['PATH']}",
        TELNYX_EMULATOR_HOST="127.0.0.1",  # no need to bind every interface in a test
        TELNYX_EMULATOR_PORT=str(port),
        TELNYX_EMULATOR_STATE_DIR=str(tmp_path / "data"),  # the VOLUME
        TELNYX_EMULATOR_ADMIN_TOKEN="change-me",
    )
    proc = start(image_venv, tmp_path, env, port)  # not the repo's folder: the package carries its document
    receiver = None
    try:
        health = orjson.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/health", timeout=5).read())
        assert health["status"] == "ok" and health["operations"] == 219
        # The HEALTHCHECK command as written (the port from env), with no token: still healthy.
        argv = exec_form(d["HEALTHCHECK"][0].split("CMD", 1)[1].strip())
        assert subprocess.run([str(image_venv / "bin" / argv[0]), *argv[1:]], env=env, timeout=10).returncode == 0
        with pytest.raises(urllib.error.HTTPError) as denied:  # while the rest of the control API wants the token
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/state", timeout=5)
        assert denied.value.code == 401
        # The compose example's app, run by the image's Python, verifies a webhook the emulator signs.
        app_env = {**env, "TELNYX_EMULATOR_URL": f"http://127.0.0.1:{port}", "PORT": str(app_port)}
        app_dir = REPO_ROOT / compose()["services"]["app"]["volumes"][0].split(":")[0]
        receiver = subprocess.Popen([str(image_venv / "bin" / "python"), "-u", str(app_dir / "app.py")], env=app_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert receiver.stdout is not None and "listening" in receiver.stdout.readline()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/_emulator/webhooks/test",
            data=orjson.dumps({"url": f"http://127.0.0.1:{app_port}/webhooks"}),
            headers={"Authorization": "Bearer change-me", "Content-Type": "application/json"},
        )
        sent = orjson.loads(urllib.request.urlopen(request, timeout=10).read())["data"]
        assert sent["status"] == "delivered"
        assert receiver.stdout.readline().strip() == f"verified webhook.test {sent['id']}"
        api = urllib.request.Request(f"http://127.0.0.1:{port}/v2/ai/models", headers={"Authorization": "Bearer k"})
        assert urllib.request.urlopen(api, timeout=5).status == 200
        # The state dir is the one the VOLUME names: the signing key lives there across restarts.
        assert any((tmp_path / "data").iterdir())
    finally:
        if receiver is not None:
            receiver.terminate()
            receiver.wait(timeout=10)
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    assert "document:   embedded (219 operations)" in output and "ready" in output
