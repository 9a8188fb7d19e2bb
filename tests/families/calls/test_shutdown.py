"""An emulator stops promptly with call activity still pending: an AI gather has just armed
its greeting's timer (the runner is being woken for it) as the lifespan ends."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from emulator.app import create_app
from emulator.core.settings import Settings

GATHER = {"parameters": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}, "greeting": "Hi, what name is the booking under?"}


async def _call(app: Any, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    """One request straight into the ASGI app (no client in between: the lifespan ends in the
    same tick as the last response)."""
    raw = json.dumps(body).encode()
    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), (b"authorization", b"Bearer k"), (b"content-length", str(len(raw)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    messages = [{"type": "http.request", "body": raw, "more_body": False}]
    out: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # no disconnect while the test holds the connection
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        out.append(message)

    await app(scope, receive, send)
    body_bytes = b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body")
    return out[0]["status"], json.loads(body_bytes) if body_bytes else None


def test_lifespan_ends_right_after_an_ai_gather_starts(tmp_path: Path) -> None:
    async def run() -> tuple[int, bool]:
        app = create_app(Settings(state_dir=tmp_path / "state"))
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        _, dialled = await _call(app, "POST", "/v2/calls", {"connection_id": "c", "from": "+13125550001", "to": "+13125550100"})
        ccid = dialled["data"]["call_control_id"]
        await _call(app, "POST", f"/_emulator/calls/{ccid}/answer", {})
        await asyncio.sleep(0.3)  # the other party answers on the wall clock
        status, _ = await _call(app, "POST", f"/v2/calls/{ccid}/actions/gather_using_ai", GATHER)
        stopping = asyncio.ensure_future(lifespan.__aexit__(None, None, None))
        done, _ = await asyncio.wait({stopping}, timeout=2.0)  # it stops at once; it used to hang
        return status, stopping in done

    assert asyncio.run(run()) == (200, True)
