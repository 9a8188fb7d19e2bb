"""The delivery log's bound: which events eviction keeps, and that evicted events are let go."""

from __future__ import annotations

import weakref

from emulator.webhooks.envelope import Delivery, Event
from emulator.webhooks.log import DeliveryLog


def event(n: int, *, pending: bool = False) -> Event:
    deliveries = [Delivery("http://receiver.test/hook", None)] if pending else []
    urls = ["http://receiver.test/hook"] if pending else []
    return Event(f"ev-{n}", n, "key", "call.speak.started", {"n": n}, "event", "2026-01-01T00:00:00.000Z", "call", urls, None, deliveries=deliveries)


def test_beyond_the_limit_the_oldest_finished_events_go_down_to_nine_tenths() -> None:
    log = DeliveryLog(limit=10)
    for n in range(11):
        log.add(event(n))
    assert [ev.id for ev in log] == [f"ev-{n}" for n in range(2, 11)]
    assert log.get("ev-1") is None and len(log) == 9
    log.add(event(11))  # at the limit again: nothing more goes
    assert [ev.id for ev in log] == [f"ev-{n}" for n in range(2, 12)]


def test_an_event_still_being_delivered_is_stepped_over() -> None:
    log = DeliveryLog(limit=10)
    kept = event(0, pending=True)
    log.add(kept)
    for n in range(1, 11):
        log.add(event(n))
    assert kept in log
    assert [ev.id for ev in log] == ["ev-0", *(f"ev-{n}" for n in range(3, 11))]


def test_evicted_events_are_released_by_the_adds_before_the_next_eviction() -> None:
    log = DeliveryLog(limit=100)
    for n in range(100):
        log.add(event(n))
    refs = [weakref.ref(ev) for ev in log]
    log.add(event(100))  # the 101st evicts the 11 oldest (down to 90) ...
    assert [ev.id for ev in log][0] == "ev-11"
    for n in range(101, 111):  # ... and the ten adds back up to the limit let go of them all
        log.add(event(n))
    assert all(ref() is None for ref in refs[:11]) and all(ref() is not None for ref in refs[11:])
    assert len(log) == 100


def test_evictions_on_every_add_still_let_go_of_what_they_evict() -> None:
    log = DeliveryLog(limit=10)
    for n in range(10):  # a front the scan steps over: every add beyond the limit evicts one
        log.add(event(n, pending=True))
    refs = []
    for n in range(10, 1_000):
        ev = event(n)
        refs.append(weakref.ref(ev))
        log.add(ev)
        del ev
    assert len(log) == 10  # the pending ten: each new event was the one finished event to evict
    assert sum(ref() is not None for ref in refs) <= 2  # at most the latest on their way out
