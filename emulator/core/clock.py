"""The emulator's clock and the timers that run on it.

Simulated things (calls answering, gather timeouts, task lifecycles) wait on *emulator* time, not
wall time, so tests can jump ahead with ``POST /_emulator/clock`` instead of sleeping. Emulator
time = wall time + an offset the control API moves (or a frozen instant).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

TimerCallback = Callable[[], Awaitable[None] | None]


_SECOND_TEXT: list[tuple[float, str]] = [(math.nan, "")]
"""The last whole second :func:`iso_instant` formatted, and its text up to the fraction."""

_MILLIS = tuple(f"{ms:03d}Z" for ms in range(1000))
"""Each millisecond's text and the zone: one index, where a format spec is parsed per call."""


def iso_instant(at: float) -> str:
    """``at`` (Unix seconds) as ``2026-12-01T16:54:49.123Z``: exactly what
    ``datetime.fromtimestamp(at, UTC)`` gives, cut to milliseconds. Every webhook, journal entry
    and record carries a few of these; ``strftime`` was most of the cost, and instants close in
    time share their second, so its text is kept and only the milliseconds are formatted.

    The rounding is ``fromtimestamp``'s: the fraction to the nearest microsecond, half to even."""
    frac, whole = math.modf(at)
    micros = round(frac * 1e6)
    if micros >= 1_000_000:
        whole += 1.0
        micros -= 1_000_000
    elif micros < 0:
        whole -= 1.0
        micros += 1_000_000
    second, text = _SECOND_TEXT[0]
    if whole != second:
        text = datetime.fromtimestamp(whole, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        _SECOND_TEXT[0] = (whole, text)
    return text + _MILLIS[micros // 1000]


class Clock:
    def __init__(self, frozen_at: float | None = None) -> None:
        self._offset = 0.0
        self._frozen_at = frozen_at
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        """Emulator time as Unix seconds."""
        if self._frozen_at is not None:
            return self._frozen_at
        return time.time() + self._offset

    @property
    def frozen(self) -> bool:
        """True while time stands still (only ``advance``/``set`` move it)."""
        return self._frozen_at is not None

    def now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)

    def iso(self, at: float | None = None) -> str:
        """RFC 3339 with milliseconds and ``Z``, the way Telnyx writes timestamps."""
        return iso_instant(self.now() if at is None else at)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        if self._frozen_at is not None:
            self._frozen_at += seconds
        else:
            self._offset += seconds
        self._notify()

    def set(self, at: float, *, freeze: bool = False) -> None:
        if freeze:
            self._frozen_at = at
        else:
            self._frozen_at = None
            self._offset = at - time.time()
        self._notify()

    def restart(self) -> None:
        """Back to wall time, running (what a new emulator starts with before settings apply)."""
        self._frozen_at = None
        self._offset = 0.0
        self._notify()

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()


@dataclass(order=True)
class _Timer:
    due: float
    seq: int
    callback: TimerCallback = field(compare=False)
    cancelled: bool = field(default=False, compare=False)
    tag: str = field(default="", compare=False)


class Scheduler:
    """Runs callbacks when the emulator clock reaches their due time.

    One asyncio task sleeps until the earliest timer (in wall time) or until the clock is moved;
    callbacks run in due order. Nothing runs inline in request handlers.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[_Timer] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        clock.on_change(self._poke)

    def call_at(self, due: float, callback: TimerCallback, *, tag: str = "") -> _Timer:
        timer = _Timer(due, next(self._seq), callback, tag=tag)
        heapq.heappush(self._heap, timer)
        if self._heap[0] is timer:  # due before everything else: the runner sleeps too long
            self._poke()  # (waking it for a later timer cost a wait_for per call command)
        return timer

    def call_later(self, delay: float, callback: TimerCallback, *, tag: str = "") -> _Timer:
        return self.call_at(self.clock.now() + max(0.0, delay), callback, tag=tag)

    def cancel_tagged(self, tag: str) -> int:
        n = 0
        for t in self._heap:
            if t.tag == tag and not t.cancelled:
                t.cancelled = True
                n += 1
        return n

    def pending(self) -> int:
        return sum(1 for t in self._heap if not t.cancelled)

    def clear(self) -> None:
        for t in self._heap:
            t.cancelled = True
        self._heap.clear()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="emulator-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_due(self) -> int:
        """Run every timer due now; returns how many ran. Used by the loop and by tests."""
        ran = 0
        while self._heap and self._heap[0].due <= self.clock.now():
            timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            result = timer.callback()
            if asyncio.iscoroutine(result):
                await result
            ran += 1
        return ran

    def _poke(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        # Sleeps on the wake event, with a loop timer to set it when the earliest timer is due.
        # Not ``asyncio.wait_for``: on Python 3.11 it can swallow a cancellation that arrives as
        # the wait ends, and ``stop`` then waited forever (an emulator with an AI gather running
        # never shut down); it also cost a task per wake-up.
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            await self.run_due()
            while self._heap and self._heap[0].cancelled:
                heapq.heappop(self._heap)
            if not self._heap:
                await self._wake.wait()
                continue
            alarm = loop.call_later(max(0.0, self._heap[0].due - self.clock.now()), self._wake.set)
            try:
                await self._wake.wait()
            finally:
                alarm.cancel()


def parse_clock_start(value: str) -> float:
    """``--clock-start``: an ISO 8601 timestamp with a zone, or Unix seconds."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"clock_start: not an ISO 8601 timestamp or Unix seconds: {value!r}") from exc
    if parsed.tzinfo is None:
        raise ValueError(f"clock_start: the timestamp needs a time zone (e.g. a trailing Z): {value!r}")
    return parsed.timestamp()
