"""``GET /_emulator/ui/events``: the dashboard's live feed, as server-sent events.

One loop per open page polls the kernel's journal and delivery log every :data:`TICK` seconds —
cheaply: new rows are found from the newest end (both are kept in arrival order and carry a
``seq``), and only deliveries still pending are re-checked for a status change. Events:

- ``request``: a new journal entry (no bodies: the page fetches one when opened);
- ``delivery``: a new webhook event, or one whose status or attempts changed (retries, replays);
- ``hello``: the cursors the stream starts from.

Scoped by ``?api_key=`` (omit it for every key). The SSE ``id`` is the pair of cursors, so a
reconnecting ``EventSource`` resumes with ``Last-Event-ID`` where it left off. A stream ends after
:data:`LIFETIME` seconds (the browser reconnects at once): an emulator being stopped never waits
on an open dashboard for long.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from emulator.control.requests import emulator_of
from emulator.core.journal import JournalMatch
from emulator.dashboard.views import delivery_row, is_dashboard, request_row
from emulator.http.sse import SSE_HEADERS

if TYPE_CHECKING:
    from emulator.runtime.emulator import Emulator
    from emulator.webhooks.envelope import Event

TICK = 0.25
LIFETIME = 15.0
BATCH = 200
"""At most this many new rows of each kind per tick; a page that falls further behind reloads."""


def _sse(name: str, payload: Any, cursor: str | None = None) -> bytes:
    head = f"event: {name}\n" + (f"id: {cursor}\n" if cursor else "")
    return head.encode() + b"data: " + orjson.dumps(payload) + b"\n\n"


def _cursor(raw: str | None) -> tuple[int, int] | None:
    if not raw:
        return None
    journal, _, webhooks = raw.partition(".")
    try:
        return int(journal), int(webhooks)
    except ValueError:
        return None


def _signature(event: Event) -> tuple[str, int, int]:
    return event.status, event.round, len(event.attempts)


class Feed:
    """One page's view of what is new since its cursors."""

    def __init__(self, emulator: Emulator, api_key: str | None, journal_seq: int, webhook_seq: int) -> None:
        self.emulator = emulator
        self.api_key = api_key
        self.journal_seq = journal_seq
        self.webhook_seq = webhook_seq
        self.watching: dict[str, tuple[str, int, int]] = {}  # pending events: id -> last signature sent
        self.pending_seen = -1

    @classmethod
    def from_now(cls, emulator: Emulator, api_key: str | None) -> Feed:
        newest_request = emulator.services.journal.select(JournalMatch(), limit=1)
        events = emulator.services.webhooks.log.select(tenant=api_key)
        feed = cls(emulator, api_key, newest_request[0].seq if newest_request else 0, max((e.seq for e in events), default=0))
        feed.watching = {e.id: _signature(e) for e in events if e.status == "pending"}
        return feed

    @property
    def cursor(self) -> str:
        return f"{self.journal_seq}.{self.webhook_seq}"

    def poll(self) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        fresh = [
            e for e in self.emulator.services.journal.select(JournalMatch(api_key=self.api_key), limit=BATCH)
            if e.seq > self.journal_seq
        ]
        for entry in reversed(fresh):
            self.journal_seq = entry.seq
            if not is_dashboard(entry):
                out.append(("request", request_row(entry)))
        log = self.emulator.services.webhooks.log
        new: list[Event] = []
        for event in reversed(list(log)):  # newest first, stop at what was already sent
            if event.seq <= self.webhook_seq or len(new) >= BATCH:
                break
            if self.api_key is None or event.tenant == self.api_key:
                new.append(event)
        for event in reversed(new):
            self.webhook_seq = max(self.webhook_seq, event.seq)
            out.append(("delivery", delivery_row(event)))
            if event.status == "pending":
                self.watching[event.id] = _signature(event)
        pending = self.emulator.services.webhooks.pending()
        if pending != self.pending_seen:
            # Something was queued or finished (a replay makes an old event pending again): look
            # for pending events not watched yet — one scan per change, not per tick.
            self.pending_seen = pending
            for queued in log.select(tenant=self.api_key, status="pending"):
                if queued.id not in self.watching and queued.seq <= self.webhook_seq:
                    self.watching[queued.id] = ("", 0, 0)
        for event_id, sent in list(self.watching.items()):
            watched = log.get(event_id)
            if watched is None:
                del self.watching[event_id]
                continue
            now = _signature(watched)
            if now != sent:
                out.append(("delivery", delivery_row(watched)))
                self.watching[event_id] = now
            if watched.status != "pending":
                del self.watching[event_id]
        return out


async def events(request: Request) -> Response:
    emulator = emulator_of(request)
    api_key = request.query_params.get("api_key") or None
    resume = _cursor(request.headers.get("last-event-id") or request.query_params.get("since"))
    if resume is None:
        feed = Feed.from_now(emulator, api_key)
    else:
        feed = Feed(emulator, api_key, *resume)
        feed.watching = {e.id: ("", 0, 0) for e in emulator.services.webhooks.log.select(tenant=api_key, status="pending")}

    async def stream() -> AsyncIterator[bytes]:
        yield b"retry: 500\n\n" + _sse("hello", {"journal_seq": feed.journal_seq, "webhook_seq": feed.webhook_seq, "api_key": api_key}, feed.cursor)
        loop = asyncio.get_running_loop()
        ends = loop.time() + LIFETIME
        quiet = 0
        while loop.time() < ends:
            await asyncio.sleep(TICK)
            chunk = b"".join(_sse(name, payload, feed.cursor) for name, payload in feed.poll())
            quiet = 0 if chunk else quiet + 1
            if chunk or quiet % 20 == 0:  # a comment now and then keeps proxies from timing out
                yield chunk or b": keep-alive\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers=SSE_HEADERS)
