"""One API request and its response as they pass through the emulator: the one ASGI layer
around the API endpoint (``http/dispatch.py``).

Everything that watches the whole exchange happens here, in this order, in one ``send`` wrapper:

- the request id: the client's ``x-request-id`` echoed, else a new one, on every response;
- the journal (``core/journal.py``): one entry per request, the request body captured from the
  ``receive`` messages the dispatcher reads anyway and the response as it goes out, up to
  ``BODY_LIMIT`` bytes each, written once the response is finished or the connection dropped;
- save after writes (``core/persistence.py``, with ``--persist``): a successful write is saved
  *before* the last byte of its response is sent, so what a client saw acknowledged is on disk;
- transport faults (``faults/transport.py``): once the fault chain has left a transport fault in
  ``scope["state"]``, the response goes out through a :class:`FaultySend`;
- the access log, one line per request, when ``--access-log`` is on.

These were four middlewares, each wrapping ``send`` and ``receive`` again: a fifth of a simple
request's CPU went to the wrappers themselves. As one per-request object with slots it is a
few attribute writes per message.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.core.journal import BODY_LIMIT
from emulator.faults.transport import FaultySend
from emulator.http.auth import bearer_token
from emulator.http.request_id import new_request_id

if TYPE_CHECKING:
    from emulator.core.clock import Clock
    from emulator.core.journal import Journal
    from emulator.core.persistence import Persistence

access_log = logging.getLogger("emulator.access")

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # the rest are writes (saved when they succeed)
_IMPLICIT = b"x-emulator-implicit"  # a read that created an implicit resource is a write too
_DROPPING_FAULTS = ("reset", "empty")  # the client never sees a status line


class Exchanges:
    """The ASGI layer: an :class:`Exchange` per API request around ``app``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        journal: Journal,
        clock: Clock,
        persistence: Persistence | None = None,
        log_requests: bool = False,
        body_limit: int = BODY_LIMIT,
    ) -> None:
        self.app = app
        self.journal = journal
        self.clock = clock
        self.persistence = persistence
        self.log_requests = log_requests
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = Exchange(self, scope, receive, send)
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except Exception:
            if exchange.faulty is None or not exchange.faulty.dropped:
                raise
        finally:
            exchange.close()


class Exchange:
    """One request's passage: what the journal, the save and the access log need of it."""

    __slots__ = (
        "body_size",
        "faulty",
        "kept",
        "layer",
        "raw_receive",
        "raw_send",
        "request_chunks",
        "request_id",
        "request_size",
        "response_chunks",
        "response_headers",
        "saved",
        "scope",
        "started",
        "state",
        "status",
        "writes",
    )

    def __init__(self, layer: Exchanges, scope: Scope, receive: Receive, send: Send) -> None:
        self.layer = layer
        self.scope = scope
        self.raw_receive = receive
        self.raw_send = send
        self.started = time.perf_counter()
        request_id = None
        headers = scope["headers"]
        for name, value in headers:
            if name == b"x-request-id":
                request_id = value.decode("latin-1")[:128]
                break
        self.request_id = request_id or new_request_id()
        state = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        state["request_id"] = self.request_id
        self.state = state
        self.status: int | None = None
        self.response_headers: list[tuple[bytes, bytes]] = []
        self.request_chunks: list[bytes] = []
        self.request_size = 0
        self.response_chunks: list[bytes] = []
        self.body_size = 0
        self.kept = 0
        self.faulty: FaultySend | None = None
        self.writes = scope["method"] not in _READ_METHODS
        self.saved = False

    async def receive(self) -> Message:
        message = await self.raw_receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                room = self.layer.body_limit - self.request_size
                if room > 0:
                    self.request_chunks.append(chunk if len(chunk) <= room else chunk[:room])
                self.request_size += len(chunk)
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            headers = message.get("headers") or []
            self.response_headers = headers = [*headers, (b"x-request-id", self.request_id.encode("latin-1"))]
            message["headers"] = headers
            if not self.writes and self.layer.persistence is not None:
                self.writes = any(name.lower() == _IMPLICIT for name, _ in headers)
        else:
            chunk = message.get("body", b"")
            if chunk:
                room = self.layer.body_limit - self.kept
                if room > 0:
                    part = chunk if len(chunk) <= room else chunk[:room]
                    self.response_chunks.append(part)
                    self.kept += len(part)
                self.body_size += len(chunk)
            if not message.get("more_body", False) and self.layer.persistence is not None:
                self._save_if_needed()
        faulty = self.faulty
        if faulty is None:
            fault = self.state.get("transport_fault")
            if fault is None:
                await self.raw_send(message)
                return
            faulty = self.faulty = FaultySend(self.raw_send, fault)
        await faulty(message)

    def _save_if_needed(self) -> None:
        persistence = self.layer.persistence
        if persistence is not None and not self.saved and self.writes and self.status is not None and self.status < 400:
            self.saved = True
            persistence.after_write(bearer_token(self.scope["headers"]))

    def close(self) -> None:
        """The response is finished or cut short (a transport fault, a client gone)."""
        layer, scope, state = self.layer, self.scope, self.state
        if layer.persistence is not None:
            self._save_if_needed()  # a response cut short still counts
        fault = state.get("transport_fault")
        latency = time.perf_counter() - self.started
        journal = layer.journal
        if journal.enabled:
            headers = scope["headers"]
            request, response = self.request_chunks, self.response_chunks
            journal.keep(  # positional, in JournalEntry's field order (see Journal.keep)
                (
                    journal.next_seq(),
                    layer.clock.now(),
                    scope["method"],
                    scope["path"],
                    scope["query_string"].decode("latin-1") if scope.get("query_string") else "",
                    state.get("api_key") or bearer_token(headers),  # the dispatcher's, else a refused one
                    None if fault and fault["kind"] in _DROPPING_FAULTS else self.status,
                    latency * 1000,  # latency_ms (rounded when read)
                    state.get("operation_id"),
                    state.get("fault_rule"),
                    fault["kind"] if fault else None,  # transport_fault
                    self.request_id,
                    state.get("implicit"),
                    state.get("warnings"),
                    (tuple(headers), request[0] if len(request) == 1 else b"".join(request), self.request_size),
                    (tuple(self.response_headers), response[0] if len(response) == 1 else b"".join(response), self.body_size),
                )
            )
        if layer.log_requests:
            access_log.info("%s %s %s %.1fms id=%s", scope["method"], scope["path"], self.status or 0, latency * 1000, self.request_id)

