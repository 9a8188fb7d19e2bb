"""Shared fixtures: an isolated emulator per test, and a real uvicorn server when needed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.core.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_SPEC = REPO_ROOT.parent / "shared" / "openapi" / "telnyx-spec3.yml"
AUTH = {"Authorization": "Bearer test-key"}


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings that never touch ~/.telnyx-emulator and sign with a fixed key."""
    return Settings(state_dir=tmp_path / "state", **overrides)  # type: ignore[arg-type]


@pytest.fixture
def app(tmp_path: Path) -> Starlette:
    return create_app(make_settings(tmp_path))


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """A real uvicorn server in a thread — what the official SDKs talk to in tests."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app: Starlette) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server
