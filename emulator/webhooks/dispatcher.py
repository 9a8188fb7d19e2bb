"""The webhook dispatcher: queues events and delivers them, signed, retried and logged.

``emit`` only records the event and queues it; delivery happens in asyncio tasks on the app's
loop with one shared HTTP session (``Sender``, aiohttp), so handlers never wait on a user's
receiver and the API stays responsive while receivers are slow or down. Events sharing an ``ordering_key`` (a call)
go through one *lane* — a FIFO worked by a single task — so event N+1 is not sent before event N
has finished all its attempts, while different keys (and key-less events) run in parallel; the
lanes, and binding to whichever loop is running, are ``webhooks/lanes.py``.

Each delivery makes ``webhook_attempts`` attempts in all at its URL (the first try included, with
exponential backoff between them), then as many at its failover URL. A URL whose host
``--webhook-allow`` excludes is never contacted: its one recorded attempt says why, and a
delivery with nowhere else to go ends ``blocked`` (``webhooks/allow.py``).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from emulator.core.ids import IdFactory
from emulator.webhooks.allow import HostAllowList
from emulator.webhooks.envelope import NO_FIELDS, Delivery, Event, FormRequest
from emulator.webhooks.lanes import Job, Lanes
from emulator.webhooks.log import DeliveryLog
from emulator.webhooks.outbox import dump_events, load_events
from emulator.webhooks.sender import Sender

if TYPE_CHECKING:
    from emulator.core.settings import Settings
    from emulator.core.state import EmulatorState
    from emulator.webhooks.keys import SigningKey


def _random_state(ids: IdFactory) -> list[Any]:
    version, internal, gauss = ids.random.getstate()
    return [version, list(internal), gauss]


def _plain(payload: dict[str, Any]) -> bool:
    """Every value is an ASCII string, a boolean or None: immutable, and always encodable (a
    string may hold a lone surrogate orjson refuses; an int may be too wide for it)."""
    for value in payload.values():
        if value.__class__ is str:
            if not value.isascii():
                return False
        elif value is not None and value.__class__ is not bool:
            return False
    return True


class WebhookDispatcher:
    """``emulator.services.webhooks``; the lifespan calls ``start``/``stop``.

    Works without the lifespan too (in-process ASGI tests): the first ``emit`` inside a running
    loop binds the dispatcher to that loop and creates the HTTP client lazily.
    """

    snapshot_name = "webhooks"
    """Key of the outbox in snapshots (``core/snapshot.py``)."""

    def __init__(self, settings: Settings, state: EmulatorState, signing_key: SigningKey) -> None:
        self.signing_key = signing_key
        """Signs every delivery; its public half is ``GET /_emulator/public-key``."""
        self.settings = settings
        self.state = state
        self.allow = HostAllowList.parse(settings.webhook_allow)  # a bad pattern stops start-up
        self.log = DeliveryLog(self.settings.webhook_log_limit)
        self._revision = 0  # deliveries' progress (the log counts adds and removals itself)
        self._run = 0  # the persisted emulator's run, once restarted (see resume_ids)
        self._seq = itertools.count(1)
        self._ids: dict[str, IdFactory] = {}
        self._rng = random.Random(f"{self.settings.seed}:webhook-disorder")
        self._sender: Sender | None = None  # made per loop by _new_sender
        self._lanes = Lanes(self.settings, self._rng, self._run_round, self._new_sender)
        self.on_emit: Callable[[Event], object] | None = None
        """Called with each emitted event before it is queued (``--self-check`` validates it)."""
        self.default_urls: dict[str, str] = {}
        """Per-API-key default URL (``PUT /_emulator/webhooks/default-url/{api_key}``), before ``settings.webhook_url``."""
        self.state.on_reset(self._on_reset)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._lanes.bind_running()

    async def stop(self) -> None:
        await self._lanes.stop()
        if self._sender is not None:
            await self._sender.aclose()

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until every queued delivery (all attempts, failover, duplicates) has finished.
        Raises ``TimeoutError`` if that takes longer than ``timeout`` seconds. Works from any
        loop: if the app's loop runs in another thread (TestClient), the wait happens there."""
        await self._lanes.drain(timeout)

    def drain_sync(self, timeout: float = 5.0) -> None:
        """``drain`` for synchronous tests, e.g. while ``with TestClient(app)`` runs the app's
        loop in its portal thread. Not callable from inside the app's own loop."""
        self._lanes.drain_sync(timeout)

    def _new_sender(self) -> None:
        """The lanes moved to a new loop: the HTTP client must belong to that loop."""
        self._sender = Sender(self.settings, self.state, self.signing_key, self.allow)

    # -- emitting ----------------------------------------------------------------------------

    def emit(
        self,
        *,
        tenant: str,
        event_type: str,
        payload: dict[str, Any],
        urls: list[str] | None = None,
        failover_url: str | None = None,
        ordering_key: str | None = None,
        record_type: str = "event",
        occurred_at: str | None = None,
        data_fields: dict[str, Any] | None = None,
        fixed_payload: bool = False,
    ) -> Event:
        """Record a JSON event and queue its delivery to ``urls`` (default: ``settings.webhook_url``).
        With no URL at all the event is still logged, with status ``no_url``. ``data_fields``: further
        members of the envelope's ``data`` the event's schema declares (beside ``payload``).
        ``fixed_payload``: the caller made ``payload`` for this event and keeps no hold on it; if
        its values are all ASCII strings, booleans or None (and there are no ``data_fields``),
        nothing can change the event's data or fail to encode it, so it is serialised when first
        needed (``Event.frozen``) instead of here: most events are never sent (no URL).

        An event without URLs shares the empty ``urls``, ``deliveries`` and ``data_fields``
        (``envelope.NO_FIELDS``) rather than making its own: the log keeps 10,000 events."""
        event = self._new_event(
            tenant, event_type, payload, record_type, occurred_at, ordering_key, self._targets(urls, tenant), failover_url or None,
            dict(data_fields) if data_fields else NO_FIELDS,
        )
        if not (fixed_payload and not data_fields and _plain(payload)):
            event.frozen = orjson.dumps(event.data())  # Event.freeze, one call less per event
        return self._submit(event)

    def emit_form(
        self,
        *,
        tenant: str,
        url: str,
        method: str,
        fields: dict[str, str],
        ordering_key: str | None = None,
        kind: str = "texml",
        event_type: str | None = None,
        failover_url: str | None = None,
    ) -> Event:
        """A TeXML-style status callback: form-encoded POST body (or GET query string), signed
        with the same headers as JSON webhooks (for GET the signature covers the query string)."""
        verb = method.upper()
        if verb not in ("GET", "POST"):
            raise ValueError(f"callback method must be GET or POST, not {method!r}")
        form_fields = {str(k): "" if v is None else str(v) for k, v in fields.items()}
        event = self._new_event(tenant, event_type or f"{kind}.callback", dict(form_fields), kind, None, ordering_key, [url] if url else [], failover_url or None)
        event.kind = kind
        event.form = FormRequest("GET" if verb == "GET" else "POST", form_fields)
        return self._submit(event)

    def replay(self, event_id: str, *, url: str | None = None) -> Event:
        """Deliver a logged event again (same id and data) as a new round; ``url`` overrides
        the event's targets. Raises ``LookupError`` (unknown id) or ``ValueError`` (no URL)."""
        event = self.log.get(event_id)
        if event is None:
            raise LookupError(event_id)
        targets = [url] if url else (event.urls or self._targets(None, event.tenant))
        if not targets:
            raise ValueError("the event has no URL and no default webhook_url is configured")
        if not event.urls:
            event.urls = list(targets)
        failover = None if url else event.failover_url
        round_ = event.round + 1
        deliveries = [Delivery(u, failover, round=round_) for u in targets]
        if isinstance(event.deliveries, list):
            event.deliveries.extend(deliveries)
        else:  # none before (no URL): the shared empty tuple becomes a list of the event's own
            event.deliveries = list(deliveries)
        self._revision += 1
        self._lanes.enqueue(Job(event, deliveries))
        return event

    def events(
        self, *, tenant: str | None = None, ordering_key: str | None = None, event_type: str | None = None
    ) -> list[Event]:
        """Logged events, oldest first."""
        return self.log.select(tenant=tenant, ordering_key=ordering_key, event_type=event_type)

    def pending(self) -> int:
        """Delivery rounds queued or in flight."""
        return self._lanes.outstanding

    # -- internals: queueing -----------------------------------------------------------------

    def _targets(self, urls: Sequence[str] | None, tenant: str | None = None) -> Sequence[str]:
        """Each given URL once, in the given order; none given: the tenant's default URL, else
        ``settings.webhook_url``, else none (the event is logged as ``no_url``): an empty tuple."""
        if urls:
            chosen = [u for u in urls if u]
            if chosen:
                return list(dict.fromkeys(chosen))
        fallback = (self.default_urls.get(tenant) if tenant else None) or self.settings.webhook_url
        return [fallback] if fallback else ()

    def _new_event(
        self,
        tenant: str,
        event_type: str,
        payload: dict[str, Any],
        record_type: str,
        occurred_at: str | None,
        ordering_key: str | None,
        urls: Sequence[str],
        failover_url: str | None,
        data_fields: Mapping[str, Any] = NO_FIELDS,
    ) -> Event:
        ids = self._ids.get(tenant)
        if ids is None:
            # Own id stream per tenant: emitting webhooks must not shift the ids of resources.
            ids = self._ids[tenant] = self._stream(tenant)
        # Positional, in Event's field order: a call command emits two or three events, and
        # building them by keyword (through **fields) cost twice the construction.
        return Event(
            ids.uuid(),  # id
            next(self._seq),  # seq
            tenant,
            event_type,
            payload,
            record_type,
            occurred_at or self.state.clock.iso(),
            ordering_key,
            urls,
            failover_url,
            "event",  # kind (a form callback sets its own)
            None,  # form
            [Delivery(u, failover_url) for u in urls] if urls else (),  # deliveries
            data_fields,
        )

    def _submit(self, event: Event) -> Event:
        if self.on_emit is not None:
            self.on_emit(event)
        self.log.add(event)
        if event.deliveries:
            self._enqueue_first(event)
        return event

    def _enqueue_first(self, event: Event) -> None:
        """Queue the event's first round (it has deliveries)."""
        assert isinstance(event.deliveries, list)
        duplicate = self.settings.webhook_disorder == "duplicate" and self._rng.random() < self.settings.webhook_disorder_rate
        self._lanes.enqueue(Job(event, event.deliveries, duplicate=duplicate))

    # -- internals: delivering ---------------------------------------------------------------

    async def _run_round(self, job: Job) -> None:
        """The lanes' work for one round: every delivery of it at once. Whatever happens (a bug,
        cancellation), no delivery is left ``pending``, so the round does not hang in the log."""
        try:
            if job.event in self.log:  # else dropped by a reset/clear while queued
                await asyncio.gather(*(self._deliver(job.event, d, job.duplicate) for d in job.deliveries))
        finally:
            for d in job.deliveries:
                if d.state == "pending":
                    d.state = "failed"
            self._revision += 1

    async def _deliver(self, event: Event, delivery: Delivery, duplicate: bool) -> None:
        """Up to ``webhook_attempts`` tries at the URL with exponential backoff, then the same at
        the failover URL. ``meta.attempt`` counts across both (1, 2, 3, then 4, 5, 6 ...)."""
        legs = [(delivery.url, False)]
        if delivery.failover_url and delivery.failover_url != delivery.url:
            legs.append((delivery.failover_url, True))
        attempts = max(1, self.settings.webhook_attempts)
        sender = self._sender
        assert sender is not None
        number = 0
        blocked = True  # every leg's host excluded by --webhook-allow (nothing was sent)
        for url, failover in legs:
            for i in range(attempts):
                if i:
                    await asyncio.sleep(self.settings.webhook_backoff * (2 ** (i - 1)))
                number += 1
                attempt = await sender.send(event, url, number, failover)
                delivery.attempts.append(attempt)
                self._revision += 1
                if attempt.blocked:
                    break  # trying again cannot help: on to the failover URL, if any
                blocked = False
                if attempt.ok:
                    delivery.state = "delivered"
                    delivery.delivered_to = url
                    if duplicate:
                        delivery.attempts.append(await sender.send(event, url, number, failover, duplicate=True))
                    return
        delivery.state = "blocked" if blocked else "failed"

    # -- snapshots (the service protocol of emulator/core/snapshot.py) -------------------------

    @property
    def snapshot_revision(self) -> tuple[int, int]:
        """Changes whenever the outbox does: persistence skips dumping an unchanged one."""
        return (self.log.revision, self._revision)

    def resume_ids(self, run: int) -> None:
        """A restarted persisted emulator (run 2, 3 ...): event ids never repeat those of an
        earlier run, even of events that were lost with a crash (see ``IdFactory.resume``)."""
        self._run = run
        for ids in self._ids.values():
            ids.resume(run)

    def _stream(self, tenant: str) -> IdFactory:
        ids = IdFactory(self.settings.seed, f"webhooks:{tenant}")
        if self._run > 1:
            ids.resume(self._run)
        return ids

    def snapshot_dump(self) -> dict[str, Any]:
        """The outbox: every logged event with its attempts, plus the per-tenant id streams."""
        data = dump_events(list(self.log))
        data["ids"] = {tenant: _random_state(ids) for tenant, ids in self._ids.items()}
        data["seq"] = max((ev.seq for ev in self.log), default=0)
        return data

    def snapshot_load(self, data: Any) -> None:
        """Replace the outbox; deliveries that were pending are sent again (validated first)."""
        events = load_events(data)
        raw_ids = data.get("ids", {})
        if not isinstance(raw_ids, dict):
            raise ValueError("ids must be an object keyed by API key")
        streams = {}
        for tenant, state in raw_ids.items():
            ids = IdFactory(self.settings.seed, f"webhooks:{tenant}")
            version, internal, gauss = state
            ids.random.setstate((version, tuple(internal), gauss))
            streams[str(tenant)] = ids
        self.log.clear()
        self._revision += 1
        self._ids = streams
        self._seq = itertools.count(max(int(data.get("seq", 0)), max((ev.seq for ev in events), default=0)) + 1)
        for event in events:
            self.log.add(event)
        for event in events:
            pending = [d for d in event.deliveries if d.state == "pending"]
            if pending:
                self._lanes.enqueue(Job(event, pending))

    # -- reset ---------------------------------------------------------------------------------

    def _on_reset(self, state: EmulatorState, api_key: str | None) -> None:
        self.log.clear(api_key)
        if api_key is None:
            self._ids.clear()
        else:
            self._ids.pop(api_key, None)
