"""One live emulator (real uvicorn, frozen clock) per module for the control CLI's tests, a
webhook receiver as its default webhook URL, and a ``ctl(...)`` runner (typer's CliRunner).

Every test starts from a clean emulator: state, fault rules, journal, clock, the delivery log,
queued scripts and per-key modes are reset through the control API after each test."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import telnyx
from typer.testing import CliRunner, Result

from emulator.app import create_app
from emulator.ctl.main import app as ctl_app
from tests.conftest import LiveServer, make_settings
from tests.support.calls import Receiver

API_KEY = "ctl-key"


@dataclass
class Live:
    url: str
    rx: Receiver
    http: httpx.Client

    def admin(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        r = self.http.request(method, f"/_emulator{path}", json=body, params={k: v for k, v in params.items() if v is not None})
        assert r.status_code < 300, r.text
        return r.json() if r.content else None

    def sdk(self) -> telnyx.Telnyx:
        return telnyx.Telnyx(api_key=API_KEY, base_url=f"{self.url}/v2", _strict_response_validation=True, max_retries=0)

    def dial(self, to: str = "+13125550100", *, ringing: bool = True) -> str:
        """An outbound call through the official SDK; ``ringing``: the other party waits to be
        told what to do (a ``manual`` script), so the call stays ringing."""
        if ringing:
            self.admin("POST", "/calls/scripts", {"to": to, "steps": ["manual"], "api_key": API_KEY})
        return str(self.sdk().calls.dial(connection_id="conn-1", from_="+13125550001", to=to).data.call_control_id)

    def inbound(self) -> str:
        body = {"from": "+13125550111", "to": "+13125550001", "connection_id": "conn-1", "api_key": API_KEY}
        return str(self.admin("POST", "/calls/inbound", body)["data"]["call_control_id"])

    def events(self, call: str | None = None) -> list[dict[str, Any]]:
        return list(self.admin("GET", "/webhooks/deliveries", call=call)["data"])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    rx = Receiver()
    settings = make_settings(tmp_path_factory.mktemp("ctl"), clock_frozen=True, webhook_timestamp="wall", webhook_url=rx.url())
    try:
        with LiveServer(create_app(settings)) as server, httpx.Client(base_url=server.url, timeout=10) as http:
            yield Live(server.url, rx, http)
    finally:
        rx.close()


@pytest.fixture(autouse=True)
def _clean(live: Live) -> Iterator[None]:
    yield
    live.admin("POST", "/reset")
    live.admin("DELETE", "/webhooks/deliveries")
    live.admin("DELETE", "/calls/scripts")
    for key in live.admin("GET", "/modes")["keys"]:
        live.admin("DELETE", f"/modes/{key}")
    with live.rx.cond:
        live.rx.hits.clear()


Run = Callable[..., Result]


@pytest.fixture
def ctl(live: Live) -> Run:
    """``ctl("calls", "list")`` runs ``telnyx-emulator-ctl --url <live> calls list``; it asserts
    exit code 0 unless ``code=`` says otherwise."""
    runner = CliRunner()

    def run(*args: str, code: int = 0, with_url: bool = True, env: dict[str, str] | None = None) -> Result:
        argv = ["--url", live.url, *args] if with_url else list(args)
        result = runner.invoke(ctl_app, argv, env=env)
        assert result.exit_code == code, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}\n{result.exception!r}"
        return result

    return run


def out_json(result: Result) -> Any:
    return json.loads(result.stdout)


def lines_json(result: Result) -> list[Any]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path
