"""The clock's timestamp text and the scheduler's timers."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from emulator.core.clock import Clock, Scheduler, iso_instant


def _reference(at: float) -> str:
    dt = datetime.fromtimestamp(at, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def test_iso_instant_is_exactly_what_datetime_gives() -> None:
    rng = random.Random(7)
    instants = [rng.uniform(0, 4e9) for _ in range(20_000)]
    # halfway microseconds (rounded half to even), the last microsecond of a second, before 1970
    instants += [1_764_607_000 + k / 1e6 + 0.5e-6 for k in range(0, 1_000_000, 997)]
    instants += [1_764_607_000.9999995, 1_764_607_000.0000005, 1_764_607_000.999, -1.5, -0.0000005, 0.0]
    assert [iso_instant(t) for t in instants] == [_reference(t) for t in instants]


def test_iso_instant_alternating_seconds() -> None:
    # the kept second changes back and forth: each answer is still its own
    assert [iso_instant(t) for t in (10.25, 3600.5, 10.75)] == [
        "1970-01-01T00:00:10.250Z",
        "1970-01-01T01:00:00.500Z",
        "1970-01-01T00:00:10.750Z",
    ]


def test_clock_iso_reads_the_frozen_instant() -> None:
    clock = Clock(frozen_at=1_764_607_489.0126)
    assert clock.iso() == "2025-12-01T16:44:49.012Z"
    clock.advance(0.9884)
    assert clock.iso() == "2025-12-01T16:44:50.001Z"


def test_timers_run_in_due_order_when_added_behind_the_head() -> None:
    async def run() -> list[str]:
        clock = Clock(frozen_at=100.0)
        scheduler = Scheduler(clock)
        ran: list[str] = []
        scheduler.start()
        scheduler.call_at(101.0, lambda: ran.append("first"))
        await asyncio.sleep(0)
        scheduler.call_at(103.0, lambda: ran.append("third"))  # behind the head: no wake-up needed
        scheduler.call_at(102.0, lambda: ran.append("second"))
        scheduler.call_at(100.5, lambda: ran.append("zeroth"))  # a new head: the runner wakes for it
        clock.advance(0.5)
        for _ in range(5):
            await asyncio.sleep(0)
        assert ran == ["zeroth"]
        clock.advance(3)
        for _ in range(5):
            await asyncio.sleep(0)
        await scheduler.stop()
        return ran

    assert asyncio.run(run()) == ["zeroth", "first", "second", "third"]


def test_a_later_timer_still_runs_on_wall_time() -> None:
    async def run() -> list[str]:
        clock = Clock()
        scheduler = Scheduler(clock)
        ran: list[str] = []
        scheduler.start()
        scheduler.call_later(0.02, lambda: ran.append("a"))
        await asyncio.sleep(0)
        scheduler.call_later(0.05, lambda: ran.append("b"))  # added behind the head, while it sleeps
        await asyncio.sleep(0.3)
        await scheduler.stop()
        return ran

    assert asyncio.run(run()) == ["a", "b"]


def test_stop_returns_when_a_wake_up_and_the_stop_come_together() -> None:
    # A wake-up (a new earliest timer) pending as ``stop`` cancels the runner: it stops, it does
    # not go back to sleep (the end-to-end case is tests/families/calls/test_shutdown.py).
    async def run() -> bool:
        clock = Clock(frozen_at=0.0)
        scheduler = Scheduler(clock)
        scheduler.start()
        scheduler.call_at(3600.0, lambda: None)
        await asyncio.sleep(0)
        scheduler.call_at(1800.0, lambda: None)  # a new head: wakes the runner ...
        try:
            async with asyncio.timeout(2.0):
                await scheduler.stop()  # ... as it is told to stop, in the same tick
        except TimeoutError:
            return False
        return True

    assert asyncio.run(run()) is True
