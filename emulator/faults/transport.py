"""Transport faults: a fault rule that resets, empties, truncates or cuts a response.

Transport faults need the connection itself. ASGI has no standard way to drop a connection, so
we look for the server's per-request object behind ``send`` (uvicorn's ``RequestResponseCycle``
exposes its asyncio ``transport``) and close or abort it. Where no transport can be found (the
in-process test transports) we raise ``ConnectionResetError`` instead, which those transports
surface to the client as a failed request. The fault chain (``faults/chain.py``) decides; it
leaves ``scope["state"]["transport_fault"]``, and the API's exchange (``http/exchange.py``)
sends the response through a :class:`FaultySend` from then on. Requests without a transport
fault never meet this module: it costs them nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import Message, Send


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


class Dropped(Exception):
    """Raised into the app once its connection is gone, so a streaming body stops generating."""


class FaultySend:
    """The server's ``send`` for one response, as the transport fault ``fault`` spoils it.

    ``fault`` is the chain's record: ``kind`` (reset, empty, truncate, stream_cut) and
    ``cut_after_bytes`` / ``cut_after_chunks``. Once the connection is dropped, ``dropped`` is
    True and further sends raise :class:`Dropped` (the exchange swallows what follows from it).
    """

    __slots__ = ("dropped", "fault", "held", "send", "sent_bytes", "sent_chunks")

    def __init__(self, send: Send, fault: dict[str, Any]) -> None:
        self.send = send
        self.fault = fault
        self.dropped = False
        self.held: list[Message] = []  # the start message and body chunks of a truncated response
        self.sent_chunks = 0
        self.sent_bytes = 0

    async def drop(self, graceful: bool) -> None:
        cycle = find_server_cycle(self.send)
        if cycle is None:
            raise ConnectionResetError("connection dropped by an emulator fault rule")
        self.dropped = True
        transport = cycle.transport
        if graceful:
            transport.close()  # flushes what was written (a truncated body), then FIN
        else:
            transport.abort()  # discards buffers: the client sees a reset / empty reply
        for _ in range(50):  # let the server notice, so it does not answer on our behalf
            if getattr(cycle, "disconnected", True):
                break
            await asyncio.sleep(0.01)

    async def __call__(self, message: Message) -> None:
        if self.dropped:
            raise Dropped()
        fault, send = self.fault, self.send
        kind = fault["kind"]
        if kind in ("reset", "empty"):
            await self.drop(graceful=kind == "empty")
            raise Dropped()
        if kind == "truncate":
            self.held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                body = b"".join(m.get("body", b"") for m in self.held[1:])
                cut = fault["cut_after_bytes"]
                cut = len(body) // 2 if cut is None else min(cut, max(0, len(body) - 1))
                await send(self.held[0])
                await send({"type": "http.response.body", "body": body[:cut], "more_body": True})
                await self.drop(graceful=True)
            return
        # stream_cut: pass the head of the stream through, then cut.
        if message["type"] == "http.response.start":
            await send(message)
            return
        chunk = message.get("body", b"")
        limit_bytes = fault["cut_after_bytes"]
        if limit_bytes is not None:
            room = limit_bytes - self.sent_bytes
            if room > 0:
                part = chunk[:room]
                self.sent_bytes += len(part)
                await send({"type": "http.response.body", "body": part, "more_body": True})
            if self.sent_bytes >= limit_bytes:
                await self.drop(graceful=True)
                raise Dropped()
            return
        if self.sent_chunks >= fault["cut_after_chunks"]:
            await self.drop(graceful=True)
            raise Dropped()
        self.sent_chunks += 1
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
