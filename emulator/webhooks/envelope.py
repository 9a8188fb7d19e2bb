"""What a webhook *is*: the event record, its per-URL deliveries and every attempt's exact bytes.

An :class:`Event` is created once by ``emit``; each target URL gets a :class:`Delivery` (a primary
URL plus an optional failover URL), and every HTTP try is an :class:`Attempt` holding the exact
bytes and headers that were signed and sent, so the control API can show users precisely what
their receiver got. The JSON envelope is rebuilt per attempt because ``meta.attempt`` and
``meta.delivered_to`` change between attempts — the signature always covers the bytes actually sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlencode

import orjson

DeliveryState = Literal["pending", "delivered", "failed", "blocked"]
EventStatus = Literal["pending", "delivered", "failed", "blocked", "no_url"]
EVENT_STATUSES: tuple[str, ...] = ("pending", "delivered", "failed", "blocked", "no_url")
BLOCKED = "blocked: "
"""Prefix of ``Attempt.error`` for a try not sent because ``--webhook-allow`` excludes the host."""
KEPT_REPLY = 1024
"""Bytes of a receiver's reply kept on an attempt; a longer reply is cut and marked truncated."""
NO_FIELDS: Mapping[str, Any] = MappingProxyType({})
"""The ``data_fields`` of an event that has none (most): one shared, read-only, empty mapping.
The log keeps 10,000 events, and an empty dict, list and list per event (no URL: no URLs, no
deliveries) were objects to build, track and free for nothing."""


@dataclass
class Attempt:
    """One HTTP try. ``error`` is None for any HTTP response (even a 500); ``ok`` is 2xx only."""

    number: int
    url: str
    failover: bool
    started_at: str  # emulator-clock ISO time (what the signature's timestamp is based on)
    timestamp: str  # the telnyx-timestamp header value
    method: str
    body: bytes
    headers: dict[str, str]
    status_code: int | None = None
    error: str | None = None  # timeout | connection_refused | connection_reset | connect_error | blocked: <why> | <other>
    latency_ms: float | None = None
    finished_at: str | None = None
    response_body: str | None = None  # the reply's first KEPT_REPLY bytes (the log must not grow with replies)
    duplicate: bool = False  # sent again by the "duplicate" disorder mode
    response_truncated: bool = False  # the reply was longer than ``response_body``

    @property
    def blocked(self) -> bool:
        """Not sent: ``--webhook-allow`` does not include the URL's host (the reason is in ``error``)."""
        return self.error is not None and self.error.startswith(BLOCKED)

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def to_json(self, *, with_body: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attempt": self.number,
            "url": self.url,
            "failover": self.failover,
            "method": self.method,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status_code": self.status_code,
            "error": self.error,
            "ok": self.ok,
            "latency_ms": self.latency_ms,
            "duplicate": self.duplicate,
        }
        if with_body:
            out["headers"] = dict(self.headers)
            out["body"] = self.body.decode("utf-8", errors="replace")
            out["response_body"] = self.response_body
            out["response_truncated"] = self.response_truncated
        return out


@dataclass
class Delivery:
    """Getting one event to one URL (then its failover URL). ``round`` counts replays (1 = original)."""

    url: str
    failover_url: str | None
    round: int = 1
    state: DeliveryState = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    delivered_to: str | None = None

    def to_json(self, *, with_body: bool = True) -> dict[str, Any]:
        return {
            "url": self.url,
            "failover_url": self.failover_url,
            "round": self.round,
            "status": self.state,
            "delivered_to": self.delivered_to,
            "attempts": [a.to_json(with_body=with_body) for a in self.attempts],
        }


@dataclass
class FormRequest:
    """How a TeXML-style callback is sent: form fields, as a POST body or a GET query string."""

    method: Literal["POST", "GET"]
    fields: dict[str, str]


@dataclass(eq=False, slots=True, weakref_slot=True)
class Event:
    """One emitted event, as listed by ``GET /_emulator/webhooks/deliveries``."""

    id: str
    seq: int  # global emit order (stable sort key; "newest last")
    tenant: str
    event_type: str
    payload: dict[str, Any]
    record_type: str
    occurred_at: str
    ordering_key: str | None
    urls: Sequence[str]
    """The URLs the event went to (an empty tuple when none: replaced, never changed in place)."""
    failover_url: str | None
    kind: str = "event"  # "event" (JSON envelope) or a form kind such as "texml"
    form: FormRequest | None = None
    deliveries: Sequence[Delivery] = ()
    """Every round's deliveries: a list, or an empty tuple while there are none (a replay of an
    event that had no URL gives it its list)."""
    data_fields: Mapping[str, Any] = field(default_factory=lambda: NO_FIELDS)  # (a mapping proxy is no allowed default)
    """Members of ``data`` beside the common five that an event's schema declares (e.g. the
    ``created_at`` of ``call.conversation.ended``)."""
    _frozen: bytes = b""
    """``data`` serialised (see :attr:`frozen`); empty until then."""

    @property
    def frozen(self) -> bytes:
        """``data`` serialised at emit time: later changes to the caller's payload dict cannot
        leak into retries, and a payload orjson cannot encode fails in ``emit``, not in the
        background. An event whose data nothing can change or fail to encode (``fixed_payload``
        in ``WebhookDispatcher.emit``) is serialised here, when first asked: the same bytes,
        and most events (no URL) are never sent."""
        if not self._frozen:
            self._frozen = orjson.dumps(self.data())
        return self._frozen

    @frozen.setter
    def frozen(self, value: bytes) -> None:
        self._frozen = value

    def freeze(self) -> None:
        self._frozen = orjson.dumps(self.data())

    @property
    def round(self) -> int:
        return max((d.round for d in self.deliveries), default=0)

    def current(self) -> list[Delivery]:
        """The deliveries of the latest round (a replay supersedes the original's status)."""
        latest = self.round
        return [d for d in self.deliveries if d.round == latest]

    @property
    def status(self) -> EventStatus:
        current = self.current()
        if not current:
            return "no_url"
        states = {d.state for d in current}
        if "pending" in states:
            return "pending"
        if "failed" in states:
            return "failed"
        if "blocked" in states:
            return "blocked"
        return "delivered"

    @property
    def attempts(self) -> list[Attempt]:
        return [a for d in self.deliveries for a in d.attempts]

    def data(self) -> dict[str, Any]:
        """The envelope's ``data`` member (fixed for the event's lifetime)."""
        data: dict[str, Any] = {"record_type": self.record_type, "event_type": self.event_type, "id": self.id, "occurred_at": self.occurred_at}
        if self.data_fields:  # most events have none: no merge to run
            data.update(self.data_fields)
        data["payload"] = self.payload  # last, after any declared data fields (the key order Telnyx sends)
        return data

    def summary(self) -> dict[str, Any]:
        attempts = self.attempts
        last = attempts[-1] if attempts else None
        return {
            "id": self.id,
            "api_key": self.tenant,
            "event_type": self.event_type,
            "record_type": self.record_type,
            "kind": self.kind,
            "ordering_key": self.ordering_key,
            "occurred_at": self.occurred_at,
            "status": self.status,
            "urls": list(self.urls),
            "failover_url": self.failover_url,
            "delivered_to": [d.delivered_to for d in self.current() if d.delivered_to],
            "attempts": len(attempts),
            "last_status_code": last.status_code if last else None,
            "last_error": last.error if last else None,
        }

    def detail(self) -> dict[str, Any]:
        out = self.summary()
        out["data"] = orjson.loads(self.frozen) if self.form is None else None
        if self.form is not None:
            out["form"] = {"method": self.form.method, "fields": dict(self.form.fields)}
        out["deliveries"] = [d.to_json() for d in self.deliveries]
        return out


def json_body(event: Event, *, attempt: int, delivered_to: str) -> bytes:
    """The exact bytes of one JSON attempt: ``{"data": ..., "meta": {attempt, delivered_to}}``."""
    meta = orjson.dumps({"attempt": attempt, "delivered_to": delivered_to})
    return b'{"data":' + event.frozen + b',"meta":' + meta + b"}"


def form_request(form: FormRequest, url: str) -> tuple[str, bytes]:
    """(URL to hit, body bytes) for a form callback; GET carries the fields in the query string."""
    encoded = urlencode(form.fields).encode()
    if form.method == "GET":
        sep = "&" if "?" in url else "?"
        return (url + sep + encoded.decode() if encoded else url), b""
    return url, encoded
