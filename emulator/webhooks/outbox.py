"""The webhook outbox as snapshot data (``GET /_emulator/snapshot``, persistence).

Events, their deliveries and every attempt round-trip exactly: bodies are kept as base64 so the
bytes that were signed and sent come back byte for byte. Deliveries that were still pending when
the snapshot was taken are restored as pending; the dispatcher sends them again after a restore
(a restarted emulator finishes what it had queued).
"""

from __future__ import annotations

import base64
from typing import Any

from emulator.webhooks.envelope import KEPT_REPLY, Attempt, Delivery, Event, FormRequest

_DELIVERY_STATES = ("pending", "delivered", "failed", "blocked")


def _attempt_out(a: Attempt) -> dict[str, Any]:
    return {
        "number": a.number, "url": a.url, "failover": a.failover, "started_at": a.started_at,
        "timestamp": a.timestamp, "method": a.method, "body": base64.b64encode(a.body).decode(),
        "headers": dict(a.headers), "status_code": a.status_code, "error": a.error,
        "latency_ms": a.latency_ms, "finished_at": a.finished_at, "response_body": a.response_body,
        "duplicate": a.duplicate, "response_truncated": a.response_truncated,
    }


def _attempt_in(d: dict[str, Any]) -> Attempt:
    reply = d.get("response_body")
    long_reply = isinstance(reply, str) and len(reply) > KEPT_REPLY  # a snapshot from elsewhere: keep the log bounded
    if isinstance(reply, str) and long_reply:
        reply = reply[:KEPT_REPLY]
    return Attempt(
        number=int(d["number"]), url=str(d["url"]), failover=bool(d["failover"]), started_at=str(d["started_at"]),
        timestamp=str(d["timestamp"]), method=str(d["method"]), body=base64.b64decode(d["body"], validate=True),
        headers={str(k): str(v) for k, v in d["headers"].items()}, status_code=d.get("status_code"),
        error=d.get("error"), latency_ms=d.get("latency_ms"), finished_at=d.get("finished_at"),
        response_body=reply, duplicate=bool(d.get("duplicate", False)),
        response_truncated=long_reply or bool(d.get("response_truncated", False)),
    )


def event_out(ev: Event) -> dict[str, Any]:
    return {
        "id": ev.id, "seq": ev.seq, "tenant": ev.tenant, "event_type": ev.event_type, "payload": ev.payload,
        "record_type": ev.record_type, "occurred_at": ev.occurred_at, "data_fields": dict(ev.data_fields), "ordering_key": ev.ordering_key,
        "urls": list(ev.urls), "failover_url": ev.failover_url, "kind": ev.kind,
        "form": None if ev.form is None else {"method": ev.form.method, "fields": dict(ev.form.fields)},
        "deliveries": [
            {"url": d.url, "failover_url": d.failover_url, "round": d.round, "state": d.state,
             "delivered_to": d.delivered_to, "attempts": [_attempt_out(a) for a in d.attempts]}
            for d in ev.deliveries
        ],
    }


def event_in(d: dict[str, Any]) -> Event:
    """An Event from :func:`event_out`'s data; raises KeyError/TypeError/ValueError when malformed."""
    form = d.get("form")
    if form is not None and form["method"] not in ("POST", "GET"):
        raise ValueError(f"event {d.get('id')!r}: form method must be POST or GET")
    deliveries = []
    for raw in d["deliveries"]:
        if raw["state"] not in _DELIVERY_STATES:
            raise ValueError(f"event {d.get('id')!r}: unknown delivery state {raw['state']!r}")
        deliveries.append(Delivery(
            url=str(raw["url"]), failover_url=raw.get("failover_url"), round=int(raw["round"]), state=raw["state"],
            attempts=[_attempt_in(a) for a in raw["attempts"]], delivered_to=raw.get("delivered_to"),
        ))
    if not isinstance(d["payload"], dict):
        raise TypeError(f"event {d.get('id')!r}: payload must be an object")
    event = Event(
        id=str(d["id"]), seq=int(d["seq"]), tenant=str(d["tenant"]), event_type=str(d["event_type"]),
        payload=d["payload"], record_type=str(d["record_type"]), occurred_at=str(d["occurred_at"]),
        ordering_key=d.get("ordering_key"), urls=[str(u) for u in d["urls"]], failover_url=d.get("failover_url"),
        kind=str(d.get("kind", "event")), data_fields=dict(d.get("data_fields") or {}),
        form=None if form is None else FormRequest(method=form["method"], fields={str(k): str(v) for k, v in form["fields"].items()}),
        deliveries=deliveries,
    )
    event.freeze()
    return event


def dump_events(events: list[Event]) -> dict[str, Any]:
    return {"events": [event_out(ev) for ev in events]}


def load_events(data: Any) -> list[Event]:
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise ValueError("the webhook outbox snapshot must be {'events': [...]}")
    events = [event_in(item) for item in data["events"]]
    return events
