"""Shared bits of the chat tests: a module-wide live server and SSE parsing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson

from emulator.app import create_app
from emulator.openapi.loader import SpecDocument
from tests.conftest import LiveServer, make_settings


def live(tmp_path: Path, doc: SpecDocument | None = None, **settings: Any) -> LiveServer:
    return LiveServer(create_app(make_settings(tmp_path, **settings), doc=doc))


def sse_events(text: str) -> list[tuple[str | None, str]]:
    """(event name, data) pairs of a text/event-stream body."""
    out = []
    for block in text.strip().split("\n\n"):
        name, data = None, []
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        out.append((name, "\n".join(data)))
    return out


def chunks(text: str) -> list[dict[str, Any]]:
    events = sse_events(text)
    assert events[-1][1] == "[DONE]"
    return [orjson.loads(d) for _, d in events[:-1]]


def reset(server: LiveServer) -> None:
    httpx.post(f"{server.url}/_emulator/reset").raise_for_status()


def add_rule(server: LiveServer, rule: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(f"{server.url}/_emulator/rules", json=rule)
    assert r.status_code == 201, r.text
    return r.json()["data"]


