"""The emulator a test session talks to: started in-process (real HTTP on a free port, uvicorn in a
thread, so any client works, sync or async) or an already running one (``TELNYX_EMULATOR_URL``,
e.g. the Docker image in CI).
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.testing.control import Control

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

START_TIMEOUT = 30.0
"""Seconds the in-process server may take to start (the first start parses the document)."""


class EmulatorServer:
    """One emulator for the session: ``url``, its ``control`` client, its ``public_key``.

    ``app`` is the Starlette app when the emulator runs in this process (None when attached), for
    tests that want to reach the runtime itself (``app.state.emulator``).
    """

    def __init__(self, url: str, *, admin_token: str | None = None, app: Starlette | None = None, server: uvicorn.Server | None = None, thread: threading.Thread | None = None) -> None:
        self.url = url.rstrip("/")
        self.control = Control(self.url, admin_token=admin_token)
        self.app = app
        self._server = server
        self._thread = thread
        self._public_key: str | None = None

    @property
    def in_process(self) -> bool:
        return self.app is not None

    @property
    def public_key(self) -> str:
        """The Ed25519 public key (base64) webhooks are signed with (``GET /_emulator/public-key``)."""
        if self._public_key is None:
            self._public_key = str(self.control.get("/public-key")["public_key"])
        return self._public_key

    @classmethod
    def attach(cls, url: str, *, admin_token: str | None = None, timeout: float = START_TIMEOUT) -> EmulatorServer:
        """An emulator someone else runs; waits until its health endpoint answers."""
        server = cls(url, admin_token=admin_token)
        deadline = time.monotonic() + timeout
        while True:
            try:
                server.control.get("/health")
                return server
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no telnyx-emulator answers at {url} (GET /_emulator/health): {exc}") from exc
                time.sleep(0.2)

    @classmethod
    def start(cls, state_dir: Path, **settings: Any) -> EmulatorServer:
        """A new emulator in this process, on a port the OS picked (bound before uvicorn starts,
        so no other process can take it in between)."""
        import uvicorn  # noqa: PLC0415 - only sessions that start a server pay for it

        from emulator.app import create_app  # noqa: PLC0415
        from emulator.core.settings import Settings  # noqa: PLC0415
        from emulator.http.server import http_protocol  # noqa: PLC0415

        options: dict[str, Any] = {"state_dir": state_dir, "webhook_timestamp": "wall", **settings}
        built = Settings(**options)
        app = create_app(built)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
        config = uvicorn.Config(app, log_level="warning", lifespan="on", http=http_protocol(built.header_timeout))
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="telnyx-emulator", daemon=True)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError("the in-process telnyx-emulator did not start")
            time.sleep(0.005)
        return cls(f"http://127.0.0.1:{port}", admin_token=built.admin_token, app=app, server=server, thread=thread)

    def stop(self) -> None:
        self.control.close()
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
