"""Transport faults: a fault rule that resets, empties, truncates or cuts a response.

Transport faults need the connection itself. ASGI has no standard way to drop a connection, so
we look for the server's per-request object behind ``send`` (uvicorn's ``RequestResponseCycle``
exposes its asyncio ``transport``) and close or abort it. Where no transport can be found (the
in-process test transports) we raise ``ConnectionResetError`` instead, which those transports
surface to the client as a failed request. The fault chain (``faults/chain.py``) decides; it
leaves ``scope["state"]["transport_fault"]`` for this middleware, the outermost of the API chain.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def find_server_cycle(send: Any, depth: int = 0) -> Any:
    """The server object owning the connection behind ``send`` (walks wrapper closures)."""
    owner = getattr(send, "__self__", None)
    if owner is not None and hasattr(owner, "transport"):
        return owner
    if depth >= 5:
        return None
    for cell in getattr(send, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        if callable(value) and value is not send:
            found = find_server_cycle(value, depth + 1)
            if found is not None:
                return found
    return None


class _Dropped(Exception):
    """Raised into the app once its connection is gone, so a streaming body stops generating."""


class TransportFaults:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.setdefault("state", {})
        dropped = [False]
        held: list[Message] = []  # the start message and body chunks of a truncated response
        sent_chunks = [0]
        sent_bytes = [0]

        async def drop(graceful: bool) -> None:
            cycle = find_server_cycle(send)
            if cycle is None:
                raise ConnectionResetError("connection dropped by an emulator fault rule")
            dropped[0] = True
            transport = cycle.transport
            if graceful:
                transport.close()  # flushes what was written (a truncated body), then FIN
            else:
                transport.abort()  # discards buffers: the client sees a reset / empty reply
            for _ in range(50):  # let the server notice, so it does not answer on our behalf
                if getattr(cycle, "disconnected", True):
                    break
                await asyncio.sleep(0.01)

        async def send_wrapper(message: Message) -> None:
            if dropped[0]:
                raise _Dropped()
            fault = state.get("transport_fault")
            if fault is None:
                await send(message)
                return
            kind = fault["kind"]
            if kind in ("reset", "empty"):
                await drop(graceful=kind == "empty")
                raise _Dropped()
            if kind == "truncate":
                held.append(message)
                if message["type"] == "http.response.body" and not message.get("more_body", False):
                    body = b"".join(m.get("body", b"") for m in held[1:])
                    cut = fault["cut_after_bytes"]
                    cut = len(body) // 2 if cut is None else min(cut, max(0, len(body) - 1))
                    await send(held[0])
                    await send({"type": "http.response.body", "body": body[:cut], "more_body": True})
                    await drop(graceful=True)
                return
            # stream_cut: pass the head of the stream through, then cut.
            if message["type"] == "http.response.start":
                await send(message)
                return
            chunk = message.get("body", b"")
            limit_bytes = fault["cut_after_bytes"]
            if limit_bytes is not None:
                room = limit_bytes - sent_bytes[0]
                if room > 0:
                    part = chunk[:room]
                    sent_bytes[0] += len(part)
                    await send({"type": "http.response.body", "body": part, "more_body": True})
                if sent_bytes[0] >= limit_bytes:
                    await drop(graceful=True)
                    raise _Dropped()
                return
            if sent_chunks[0] >= fault["cut_after_chunks"]:
                await drop(graceful=True)
                raise _Dropped()
            sent_chunks[0] += 1
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            if not dropped[0]:
                raise
