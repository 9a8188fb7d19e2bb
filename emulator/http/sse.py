"""Server-sent events for the streamed model endpoints.

Each event is encoded and handed to Starlette's ``StreamingResponse`` as soon as it is produced;
no middleware buffers it (ours is pure ASGI). Between pieces the engine's ``pace()`` yields to
the loop (and sleeps the configured per-token delay), so concurrent streams interleave. A client
that disconnects simply ends the generator (Starlette cancels or stops iterating it); nothing is
shared across streams, so there is no state to repair.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.responses import StreamingResponse

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no", "connection": "keep-alive"}


def data_event(payload: Any) -> bytes:
    """``data: {...}`` — OpenAI chat style (no event names)."""
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def named_event(name: str, payload: Any) -> bytes:
    """``event: name`` + ``data: {...}`` — Anthropic and Responses API style."""
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


DONE = b"data: [DONE]\n\n"


def sse_response(events: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)
