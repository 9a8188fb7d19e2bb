"""The delivery log: every emitted event with its attempts, in emit order, per emulator instance.

Kept by the dispatcher (not in a tenant store) because deliveries outlive the request that emitted
them; the tenant is recorded on each event so a tenant reset drops just that tenant's entries.
Bounded: beyond ``limit`` events the oldest *finished* ones are evicted, so a long-running
emulator under load does not grow without end.
"""

from __future__ import annotations

from collections.abc import Iterator

from emulator.webhooks.envelope import Event

_CALL_FIELDS = ("call_control_id", "call_leg_id", "call_session_id", "CallSid", "CallSidLegacy")


class DeliveryLog:
    def __init__(self, limit: int = 10_000) -> None:
        self.limit = max(1, limit)
        self._events: dict[str, Event] = {}  # insertion order = emit order
        self._evicted: list[Event] = []
        """Evicted events not yet freed: a few go with each later ``add`` (see ``_evict``)."""
        self.revision = 0
        """Goes up whenever events are added or removed (persistence skips an unchanged outbox)."""

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(list(self._events.values()))

    def __contains__(self, event: Event) -> bool:
        return self._events.get(event.id) is event

    def add(self, event: Event) -> None:
        self._events[event.id] = event
        self.revision += 1
        if len(self._events) > self.limit:
            self._evict()
        if self._evicted:  # two per add: gone long before the next batch (no add evicts more than one on average)
            del self._evicted[-2:]

    def get(self, event_id: str) -> Event | None:
        return self._events.get(event_id)

    def clear(self, tenant: str | None = None) -> int:
        self.revision += 1
        if tenant is None:
            n = len(self._events)
            self._events.clear()
            self._evicted.clear()
            return n
        doomed = [eid for eid, ev in self._events.items() if ev.tenant == tenant]
        for eid in doomed:
            del self._events[eid]
        return len(doomed)

    def select(
        self,
        *,
        tenant: str | None = None,
        ordering_key: str | None = None,
        event_type: str | None = None,
        status: str | None = None,
        call: str | None = None,
    ) -> list[Event]:
        """Matching events, oldest first. ``call`` matches the ordering key or any call id in
        the payload (control id, leg id, session id, TeXML CallSid)."""
        out = []
        for ev in list(self._events.values()):  # a snapshot: emit may run in another thread
            if tenant is not None and ev.tenant != tenant:
                continue
            if ordering_key is not None and ev.ordering_key != ordering_key:
                continue
            if event_type is not None and ev.event_type != event_type:
                continue
            if call is not None and ev.ordering_key != call and not any(ev.payload.get(f) == call for f in _CALL_FIELDS):
                continue
            if status is not None and ev.status != status:
                continue
            out.append(ev)
        return out

    def _evict(self) -> None:
        # Evict down to 90% of the limit at once, so eviction runs once per many adds. The scan
        # walks from the oldest and stops at the ``excess``-th finished event: only pending ones
        # (rare: a delivery still being attempted) are stepped over. Asking every one of the
        # ``limit`` events its status stalled the loop for ~20 ms every ``limit / 10`` emits,
        # the periodic tail of call commands under load. Freeing the evicted events (their
        # payloads, lists and frozen bytes, long out of cache) cost ~1.5 us each, so 1.5 ms at
        # once every ``limit / 10`` emits, the tail that remained: they leave the log here (what
        # it lists is as before) and are freed two per later add (``_evicted``).
        events = self._events
        excess = len(events) - int(self.limit * 0.9)
        doomed: list[str] = []
        for eid, ev in events.items():
            if len(doomed) >= excess:
                break
            if not ev.deliveries or ev.status != "pending":  # finished: no delivery of its latest round pending
                doomed.append(eid)
        evicted = self._evicted
        for eid in doomed:
            evicted.append(events.pop(eid))

