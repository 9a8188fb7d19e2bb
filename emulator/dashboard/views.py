"""The dashboard's read endpoints (``/_emulator/ui/api/...``): bounded pages over the kernel's
delivery log and journal, a delivery with its signatures checked, and a call's merged timeline.

Every list is a page: at most :data:`MAX_PAGE` rows, newest first, with a ``before`` cursor (the
``seq`` of the last row) for the next page — so 10,000 deliveries cost the browser one page.
"""

from __future__ import annotations

import base64
import binascii
import math
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import emulator_of
from emulator.core.errors import BadRequest, NotFound
from emulator.core.journal import JournalEntry, JournalMatch
from emulator.http.responses import JSONResponse
from emulator.webhooks.envelope import EVENT_STATUSES, Attempt, Event

DEFAULT_PAGE = 50
MAX_PAGE = 200
DASHBOARD_HEADER = "x-emulator-dashboard"
"""Sent by the dashboard's own reads of the public API, so the requests view can hide them."""
_CALL_FIELDS = ("call_control_id", "call_leg_id", "call_session_id")


def _int(request: Request, name: str, default: int | None, *, low: int = 0, high: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer.") from None
    if value < low or (high is not None and value > high):
        raise BadRequest(f"{name} must be between {low} and {high}." if high is not None else f"{name} must be >= {low}.")
    return value


def _page(request: Request) -> tuple[int | None, int]:
    before = _int(request, "before", None, low=1)
    limit = _int(request, "limit", DEFAULT_PAGE, low=1, high=MAX_PAGE)
    assert limit is not None
    return before, limit


async def keys(request: Request) -> Response:
    """The API keys the dashboard can view: configured ones and every tenant seen so far."""
    emulator = emulator_of(request)
    known = set(emulator.state.tenants) | set(emulator.settings.accepted_api_keys())
    return JSONResponse({"data": sorted(known), "meta": {"admin_token": bool(emulator.settings.admin_token)}})


# -- webhook deliveries ----------------------------------------------------------------------


def _last(event: Event) -> Attempt | None:
    attempts = event.attempts
    return attempts[-1] if attempts else None


def delivery_row(event: Event) -> dict[str, Any]:
    """A delivery log row: the kernel's summary plus what the outbox table shows."""
    last = _last(event)
    return {
        **event.summary(),
        "seq": event.seq,
        "round": event.round,
        "latency_ms": last.latency_ms if last else None,
        "bytes": len(last.body) if last else None,
        "call": next((event.payload[f] for f in _CALL_FIELDS if isinstance(event.payload.get(f), str)), event.ordering_key),
    }


async def list_deliveries(request: Request) -> Response:
    emulator = emulator_of(request)
    q = request.query_params
    status = q.get("status") or None
    if status is not None and status not in EVENT_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(EVENT_STATUSES)}.")
    before, limit = _page(request)
    log = emulator.services.webhooks.log
    matching = log.select(tenant=q.get("api_key") or None, event_type=q.get("event_type") or None, status=status, call=q.get("call") or None)
    older = [ev for ev in reversed(matching) if before is None or ev.seq < before]
    page = older[:limit]
    return JSONResponse(
        {
            "data": [delivery_row(ev) for ev in page],
            "meta": {"total": len(matching), "logged": len(log), "next_before": page[-1].seq if len(older) > limit else None},
        }
    )


def verify_attempt(public_key: VerifyKey, attempt: Attempt) -> bool | None:
    """Does ``telnyx-signature-ed25519`` verify over ``"{telnyx-timestamp}|{what was sent}"``?
    None when the attempt carries no signature (not sent: blocked by ``--webhook-allow``)."""
    headers = {k.lower(): v for k, v in attempt.headers.items()}
    signature, timestamp = headers.get("telnyx-signature-ed25519"), headers.get("telnyx-timestamp")
    if signature is None or timestamp is None:
        return None
    # A GET form callback (TeXML) carries its fields in the query string and signs that.
    signed = attempt.body if attempt.body or attempt.method != "GET" else urlsplit(attempt.url).query.encode()
    try:
        public_key.verify(timestamp.encode() + b"|" + signed, base64.b64decode(signature, validate=True))
    except (BadSignatureError, binascii.Error, ValueError):
        return False
    return True


async def get_delivery(request: Request) -> Response:
    emulator = emulator_of(request)
    event = emulator.services.webhooks.log.get(request.path_params["event_id"])
    if event is None:
        raise NotFound(f"No webhook event with id {request.path_params['event_id']!r} in the delivery log.")
    public = emulator.services.webhooks.signing_key.public_key_b64
    key = VerifyKey(base64.b64decode(public))
    detail = {**event.detail(), "seq": event.seq, "round": event.round}
    flat = [a for d in event.deliveries for a in d.attempts]
    verdicts = iter([verify_attempt(key, a) for a in flat])
    for delivery in detail["deliveries"]:
        for attempt in delivery["attempts"]:
            attempt["signature_verified"] = next(verdicts)
            attempt["bytes"] = len(attempt["body"].encode())
    return JSONResponse({"data": detail, "meta": {"public_key": public}})


# -- requests journal ------------------------------------------------------------------------


def is_dashboard(entry: JournalEntry) -> bool:
    return entry.request.header(DASHBOARD_HEADER) is not None


def request_row(entry: JournalEntry) -> dict[str, Any]:
    out = entry.as_dict(bodies=False)
    out["dashboard"] = is_dashboard(entry)
    out["request_bytes"], out["response_bytes"] = entry.request.size, entry.response.size
    return out


def _match(request: Request) -> JournalMatch:
    q = request.query_params
    return JournalMatch(
        method=q.get("method") or None, path=q.get("path") or None, status=q.get("status") or None,
        api_key=q.get("api_key") or None, operation_id=q.get("operation_id") or None,
        fault_rule=q.get("fault_rule") or None,
    )


async def list_requests(request: Request) -> Response:
    emulator = emulator_of(request)
    before, limit = _page(request)
    mine = request.query_params.get("dashboard") == "1"  # the dashboard's own reads, hidden by default
    journal = emulator.services.journal
    matching = [e for e in journal.select(_match(request)) if mine or not is_dashboard(e)]
    older = [e for e in matching if before is None or e.seq < before]
    page = older[:limit]
    return JSONResponse(
        {
            "data": [request_row(e) for e in page],
            "meta": {"total": len(matching), "kept": len(journal), "next_before": page[-1].seq if len(older) > limit else None},
        }
    )


async def get_request(request: Request) -> Response:
    emulator = emulator_of(request)
    seq = request.path_params["seq"]
    found = next((e for e in emulator.services.journal.select(JournalMatch()) if e.seq == seq), None)
    if found is None:
        raise NotFound(f"No request #{seq} in the journal (it keeps the last {emulator.settings.journal_size}).")
    out = {**found.as_dict(), "dashboard": is_dashboard(found)}
    out["links"] = links(found)
    return JSONResponse({"data": out})


_LINKED = {"calls": "call", "conversations": "conversation", "assistants": "assistant"}
"""Public-API collections whose items have a dashboard page: collection segment -> page kind."""


def links(entry: JournalEntry) -> list[dict[str, str]]:
    """What the request touched, for its page to link to: the call, conversation or assistant
    named in its path (``/v2/calls/{id}/actions/...``) or returned in its answer (a dial's
    ``call_control_id``, a create's ``id``)."""
    found: dict[tuple[str, str], None] = {}
    parts = [p for p in entry.path.split("/") if p]
    for i, part in enumerate(parts[:-1]):
        kind = _LINKED.get(part)
        if kind is not None and parts[i + 1] not in ("actions", "insights", "insight-groups", "tags", "tests"):
            found[(kind, parts[i + 1])] = None
    answer = entry.response.json()
    data = answer.get("data", answer) if isinstance(answer, dict) else None
    if isinstance(data, dict):
        if isinstance(data.get("call_control_id"), str):
            found[("call", data["call_control_id"])] = None
        last = next((p for p in reversed(parts) if p in _LINKED), None)
        if last is not None and parts[-1] == last and isinstance(data.get("id"), str):
            found[(_LINKED[last], data["id"])] = None
    return [{"kind": kind, "id": ident} for kind, ident in found]


# -- a call's timeline -----------------------------------------------------------------------


async def call_timeline(request: Request) -> Response:
    """Commands received (journal entries naming the call in the path or the answer) and every
    webhook emitted for it (delivery log), merged in time order. A command is placed when it
    arrived (the journal stamps the end; minus its latency), so on a frozen clock it still sorts
    before the events it caused."""
    emulator = emulator_of(request)
    call_id = request.path_params["call_id"]
    needle = call_id.encode()
    items: list[tuple[float, int, dict[str, Any]]] = []
    for e in emulator.services.journal.select(JournalMatch()):
        if is_dashboard(e) or (needle not in e.path.encode() and needle not in e.response.body):
            continue
        row = request_row(e)
        body = e.request.json()
        row["request_body"] = body if isinstance(body, dict) else None
        arrived = math.floor((e.at - e.latency_ms / 1000) * 1000) / 1000  # webhook times are whole ms
        items.append((arrived, e.seq, {**row, "entry": "command"}))
    for ev in emulator.services.webhooks.log.select(call=call_id):
        items.append((_epoch(ev.occurred_at), ev.seq, {**delivery_row(ev), "payload": ev.payload, "entry": "webhook"}))
    items.sort(key=lambda t: (t[0], t[2]["entry"] == "webhook", t[1]))
    limit = _int(request, "limit", 500, low=1, high=2000)
    assert limit is not None
    rows = [t[2] for t in items]
    return JSONResponse({"data": rows[-limit:], "meta": {"total": len(rows)}})


def _epoch(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0
