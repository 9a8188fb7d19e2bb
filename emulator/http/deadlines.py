"""Deadlines for many waiters with one timer: the slow-body guard (the slow-header guard, in
``http/server.py``, needs not even a dict entry per request: it reads the parser's state).

A timer per request (``asyncio.timeout``, ``loop.call_later``) costs 3–5 µs to arm and cancel, a
tenth of a simple request, to guard against a client that almost never exists (one that sends
its headers or body a byte at a time). Here each waiter costs a dict entry; one sweep runs every
``granularity`` seconds while anything is waiting and expires what is overdue, so a deadline
fires between ``timeout`` and ``timeout + granularity`` seconds after it started.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)
R = TypeVar("R")


class Deadlines(Generic[T]):
    """``start(item)`` … ``stop(item)``; ``on_expire(item)`` runs (once) if ``stop`` comes too late."""

    def __init__(self, timeout: float, on_expire: Callable[[T], None]) -> None:
        self.timeout = timeout
        self.granularity = min(1.0, timeout / 4)
        self.on_expire = on_expire
        self._due: dict[T, float] = {}
        self._sweep: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, item: T, loop: asyncio.AbstractEventLoop) -> None:
        self._due[item] = loop.time() + self.timeout
        if self._sweep is None or self._loop is not loop:  # a new loop (tests run several): sweep there
            self._loop = loop
            self._sweep = loop.call_later(self.granularity, self._run)

    def stop(self, item: T) -> None:
        self._due.pop(item, None)

    def _run(self) -> None:
        loop = self._loop
        assert loop is not None
        now = loop.time()
        overdue = [item for item, due in self._due.items() if due <= now]
        for item in overdue:
            del self._due[item]
            self.on_expire(item)
        self._sweep = loop.call_later(self.granularity, self._run) if self._due else None


class TaskDeadline:
    """``await within(awaitable)``: ``TimeoutError`` when it takes longer than ``timeout`` — the
    ``asyncio.timeout`` of the request body, swept (see the module docstring)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._expired: set[asyncio.Task[object]] = set()
        self._deadlines: Deadlines[asyncio.Task[object]] = Deadlines(timeout, self._expire)

    def _expire(self, task: asyncio.Task[object]) -> None:
        self._expired.add(task)
        task.cancel()

    async def within(self, awaitable: Awaitable[R]) -> R:
        task = self.begin()
        try:
            return await awaitable
        except asyncio.CancelledError:
            if not self.timed_out(task):
                raise  # somebody else's cancellation (a shutdown): not ours to swallow
            raise TimeoutError() from None
        finally:
            self.end(task)

    # What ``within`` does, for a caller that awaits in its own frame (the request body's loop:
    # a coroutine around it was a frame and an await level on every request with a body).
    def begin(self) -> asyncio.Task[object]:
        """Start the current task's deadline; ``end`` it in a ``finally``."""
        task = asyncio.current_task()
        assert task is not None
        self._deadlines.start(task, task.get_loop())
        return task

    def timed_out(self, task: asyncio.Task[object]) -> bool:
        """On a ``CancelledError`` between ``begin`` and ``end``: whether the deadline cancelled
        ``task`` (it is then uncancelled; raise a ``TimeoutError``) — else somebody else did."""
        if task not in self._expired:
            return False
        self._expired.discard(task)
        task.uncancel()
        return True

    def end(self, task: asyncio.Task[object]) -> None:
        self._deadlines.stop(task)
