"""``deliveries list|show|replay|tail`` and ``journal tail [--follow]``: what the emulator sent
(webhooks) and what it was asked (API requests). The tails poll the control API; they stop on
Ctrl-C, or after ``--count`` new items."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import typer

from emulator.ctl.client import segment
from emulator.ctl.context import Ctl
from emulator.ctl.options import JsonOpt, KeyOpt, ctl
from emulator.ctl.output import Column, cell, dig

deliveries_app = typer.Typer(help="Webhook events the emulator sent (or is sending): list, show, replay, tail.", no_args_is_help=True)
journal_app = typer.Typer(help="The request journal: recent API requests.", no_args_is_help=True)

EVENT_COLUMNS: list[Column] = [
    ("id", "id"),
    ("at", "occurred_at"),
    ("key", "api_key"),
    ("event_type", "event_type"),
    ("status", "status"),
    ("attempts", "attempts"),
    ("last", "last_status_code"),
    ("call", "ordering_key"),
]
ATTEMPT_COLUMNS: list[Column] = [
    ("#", "attempt"),
    ("url", "url"),
    ("status", "status_code"),
    ("error", "error"),
    ("ms", "latency_ms"),
    ("failover", "failover"),
]
JOURNAL_COLUMNS: list[Column] = [
    ("#", "seq"),
    ("at", "at"),
    ("method", "method"),
    ("path", "path"),
    ("status", "status"),
    ("ms", "latency_ms", lambda v: "-" if v is None else f"{float(v):.1f}"),
    ("operation", "operation_id"),
    ("key", "api_key"),
    ("fault", "fault_rule"),
]

Interval = Annotated[float, typer.Option("--interval", help="Seconds between polls.")]
Count = Annotated[int | None, typer.Option("--count", help="Stop after this many new items.")]
Timeout = Annotated[float | None, typer.Option("--for", help="Stop after this many seconds.")]


def poll(interval: float, stop_after: float | None) -> Iterator[None]:
    """Ticks until Ctrl-C (a clean stop, exit 0) or the ``--for`` budget is spent."""
    deadline = None if stop_after is None else time.monotonic() + stop_after
    try:
        while True:
            yield
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        return


def _delivery_filters(call: str | None, event_type: str | None, key: str | None, status: str | None) -> dict[str, Any]:
    return {"call": call, "event_type": event_type, "api_key": key, "status": status}


CallOpt = Annotated[str | None, typer.Option("--call", help="Only this call's events (any of its ids).")]
EventOpt = Annotated[str | None, typer.Option("--event-type", help="Only this event type.")]
StatusOpt = Annotated[str | None, typer.Option("--status", help="pending, delivered, failed or no_url.")]


@deliveries_app.command("list")
def list_deliveries(ctx: typer.Context, call: CallOpt = None, event_type: EventOpt = None, key: KeyOpt = None, status: StatusOpt = None, as_json: JsonOpt = False) -> None:
    """Logged webhook events, oldest first."""
    c = ctl(ctx, as_json)
    found = c.control.get("/webhooks/deliveries", **_delivery_filters(call, event_type, key, status))
    if c.out.as_json:
        c.out.json(found)
        return
    meta = found.get("meta") or {}
    c.out.table(found.get("data", []), EVENT_COLUMNS, title=f"{meta.get('total', 0)} events, {meta.get('pending', 0)} pending", empty="no webhook events")


@deliveries_app.command()
def show(ctx: typer.Context, event_id: Annotated[str, typer.Argument(help="The event id.")], as_json: JsonOpt = False) -> None:
    """One event: its payload and every delivery attempt (status, error, latency)."""
    c = ctl(ctx, as_json)
    found = c.control.get(f"/webhooks/deliveries/{segment(event_id)}")
    if c.out.as_json:
        c.out.json(found)
        return
    event = found.get("data", {})
    c.out.fields(event, keys=[col[1] for col in EVENT_COLUMNS] + ["urls", "failover_url", "delivered_to"], title=f"event {event_id}")
    c.out.pretty_json((event.get("data") or {}).get("payload"), title="payload")
    attempts = [a for round_ in event.get("deliveries") or [] for a in round_.get("attempts") or []]
    c.out.table(attempts, ATTEMPT_COLUMNS, title="attempts", empty="no delivery attempts")


@deliveries_app.command()
def replay(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(help="The event id.")],
    url: Annotated[str | None, typer.Option("--url", help="Send it there this time (else where it went).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send a logged event again: same id, same data (a duplicate, as Telnyx can send)."""
    c = ctl(ctx, as_json)
    found = c.control.post(f"/webhooks/deliveries/{segment(event_id)}/replay", {"url": url} if url else {})
    if c.out.as_json:
        c.out.json(found)
    else:
        event = found.get("data", {})
        c.out.say(f"replaying {event.get('event_type')} {event_id} → {', '.join(event.get('urls') or []) or url or '-'} ({event.get('status')})")


def _tail(c: Ctl, fetch: Callable[[], list[dict[str, Any]]], new: Callable[[dict[str, Any]], bool], show_row: Callable[[dict[str, Any]], None],
          count: int | None, interval: float, stop_after: float | None) -> int:
    shown = 0
    for _ in poll(interval, stop_after):
        for item in fetch():
            if new(item):
                show_row(item)
                shown += 1
                if count is not None and shown >= count:
                    return shown
    return shown


def _line(c: Ctl, row: dict[str, Any], columns: list[Column]) -> None:
    if c.out.as_json:
        c.out.json(row, line=True)
        return
    c.out.console.print("  ".join(cell(col, dig(row, col[1])) for col in columns), markup=False)


@deliveries_app.command()
def tail(
    ctx: typer.Context,
    call: CallOpt = None,
    event_type: EventOpt = None,
    key: KeyOpt = None,
    existing: Annotated[bool, typer.Option("--existing", help="Start with the events already logged.")] = False,
    count: Count = None,
    interval: Interval = 0.5,
    stop_after: Timeout = None,
    as_json: JsonOpt = False,
) -> None:
    """Print webhook events as they are settled (delivered, failed, or no URL), until Ctrl-C
    or --count N. With --json: one JSON object per line."""
    c = ctl(ctx, as_json)
    filters = _delivery_filters(call, event_type, key, None)
    seen: set[str] = set()
    if not existing:
        seen.update(str(e.get("id")) for e in c.control.get("/webhooks/deliveries", **filters).get("data", []))

    def new(event: dict[str, Any]) -> bool:
        if event.get("status") == "pending" or str(event.get("id")) in seen:
            return False  # a pending one is printed once it settles, with its outcome
        seen.add(str(event.get("id")))
        return True

    columns = [col for col in EVENT_COLUMNS if col[1] not in ("api_key",)]
    _tail(c, lambda: c.control.get("/webhooks/deliveries", **filters).get("data", []), new, lambda e: _line(c, e, columns), count, interval, stop_after)


@journal_app.command("tail")
def journal_tail(
    ctx: typer.Context,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new requests until Ctrl-C (or --count N).")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many recent requests to show first.")] = 20,
    method: Annotated[str | None, typer.Option("--method", help="Only this HTTP method.")] = None,
    path: Annotated[str | None, typer.Option("--path", help="Only this path.")] = None,
    status: Annotated[int | None, typer.Option("--status", help="Only this status code.")] = None,
    operation: Annotated[str | None, typer.Option("--operation", help="Only this operationId.")] = None,
    key: KeyOpt = None,
    count: Count = None,
    interval: Interval = 0.5,
    stop_after: Timeout = None,
    as_json: JsonOpt = False,
) -> None:
    """The last requests (oldest first): method, path, status, latency, operation; --follow
    keeps printing new ones. With --json: one JSON object per line."""
    c = ctl(ctx, as_json)
    filters = {"method": method, "path": path, "status": status, "operation_id": operation, "api_key": key}
    recent = list(reversed(c.control.get("/journal", limit=limit, **filters).get("data", []))) if limit > 0 else []
    if not c.out.as_json and (recent or not follow):
        c.out.table(recent, JOURNAL_COLUMNS, empty="no requests recorded")
    elif c.out.as_json:
        for entry in recent:
            c.out.json(entry, line=True)
    if not follow:
        return
    last = max([int(e.get("seq") or 0) for e in recent] or [_newest_seq(c)])

    def fetch() -> list[dict[str, Any]]:
        return list(reversed(c.control.get("/journal", limit=500, **filters).get("data", [])))

    def new(entry: dict[str, Any]) -> bool:
        nonlocal last
        seq = int(entry.get("seq") or 0)
        if seq <= last:
            return False
        last = seq
        return True

    _tail(c, fetch, new, lambda e: _line(c, e, JOURNAL_COLUMNS), count, interval, stop_after)


def _newest_seq(c: Ctl) -> int:
    newest = c.control.get("/journal", limit=1).get("data", [])
    return int(newest[0].get("seq") or 0) if newest else 0
