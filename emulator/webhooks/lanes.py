"""Ordered delivery lanes: which queued webhook round runs when, on which event loop.

The dispatcher decides *what* a delivery round does (attempts, backoff, failover); this module
decides *when* it runs, so the ordering and loop-binding rules live in one place. Rounds sharing
an ``ordering_key`` within a tenant (a call) go through one *lane* — a FIFO worked by a single
task — so round N+1 does not start before round N has finished, while different keys (and
key-less rounds) run in parallel.

Rounds can be queued before any loop runs (a synchronous test, start-up) or from another thread
than the one running the app's loop (``TestClient``'s portal). They are kept in a backlog or
handed to the owning loop, and the lanes count every round queued or in flight so ``drain`` can
wait for all of them to finish.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.webhooks.envelope import Delivery, Event

if TYPE_CHECKING:
    from emulator.core.settings import Settings

log = logging.getLogger("emulator.webhooks")

SHUFFLE_WINDOW = 4
"""Largest group of queued same-key events the "shuffle" disorder mode reorders at once."""


@dataclass
class Job:
    """One delivery round of an event (the original emit, or a replay)."""

    event: Event
    deliveries: list[Delivery]
    duplicate: bool = False  # "duplicate" disorder mode: send each successful delivery twice


class Lanes:
    """Runs each queued ``Job`` through ``work`` (the dispatcher's delivery round), in order per
    ordering key. ``on_bind`` is called whenever the lanes attach to a new event loop, before any
    job runs there, so per-loop resources (the HTTP client) can be made for that loop.
    """

    def __init__(
        self,
        settings: Settings,
        rng: random.Random,
        work: Callable[[Job], Awaitable[None]],
        on_bind: Callable[[], None],
    ) -> None:
        self.settings = settings
        self._rng = rng  # shared with the dispatcher: one seeded stream for all disorder choices
        self._work = work
        self._on_bind = on_bind
        self._lanes: dict[str, deque[Job]] = {}
        self._active_lanes: set[str] = set()
        self._backlog: list[Job] = []  # queued while no loop was running
        self._tasks: set[asyncio.Task[None]] = set()
        self._outstanding = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: asyncio.Event | None = None

    @property
    def outstanding(self) -> int:
        """Rounds queued or in flight."""
        return self._outstanding

    # -- lifecycle ---------------------------------------------------------------------------

    def bind_running(self) -> None:
        """Attach to the caller's running loop (and start the backlog there)."""
        self._bind(asyncio.get_running_loop())

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    async def drain(self, timeout: float = 5.0) -> None:
        """See ``WebhookDispatcher.drain``."""
        owner = self._foreign_loop()
        if owner is not None:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._wait_idle(timeout), owner))
            return
        self._bind(asyncio.get_running_loop())
        await self._wait_idle(timeout)

    def drain_sync(self, timeout: float = 5.0) -> None:
        """See ``WebhookDispatcher.drain_sync``."""
        owner = self._foreign_loop()
        if owner is not None:
            asyncio.run_coroutine_threadsafe(self._wait_idle(timeout), owner).result(timeout + 1.0)
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(self.drain(timeout))  # no loop anywhere: deliver the backlog in a fresh one
            return
        raise RuntimeError("drain_sync() would block the event loop; use 'await drain()'")

    async def _wait_idle(self, timeout: float) -> None:
        assert self._idle is not None
        if self._outstanding:
            await asyncio.wait_for(self._idle.wait(), timeout)

    def _foreign_loop(self) -> asyncio.AbstractEventLoop | None:
        """The bound loop when it is alive and is not the caller's (i.e. runs in another thread)."""
        bound = self._loop
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if bound is not None and bound is not current and bound.is_running() and not bound.is_closed():
            return bound
        return None

    # -- queueing ----------------------------------------------------------------------------

    def enqueue(self, job: Job) -> None:
        """Queue a round from any thread, with or without a running loop."""
        owner = self._foreign_loop()
        if owner is not None:  # queued from another thread: hand the job to the app's loop
            owner.call_soon_threadsafe(self._enqueue_bound, job)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._outstanding += 1
            self._backlog.append(job)  # picked up by start()/drain()/the next emit in a loop
            return
        self._bind(loop)
        self._enqueue_bound(job)

    def _enqueue_bound(self, job: Job) -> None:
        self._outstanding += 1
        self._schedule(job)

    def _schedule(self, job: Job) -> None:
        assert self._idle is not None
        self._idle.clear()
        key = job.event.ordering_key
        if key is None:
            self._spawn(self._run_jobs([job]))
            return
        lane_key = f"{job.event.tenant}\x00{key}"
        self._lanes.setdefault(lane_key, deque()).append(job)
        if lane_key not in self._active_lanes:
            self._active_lanes.add(lane_key)
            self._spawn(self._run_lane(lane_key))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the running loop (once; again only if the old loop has stopped and the app
        moved to a new one, as Starlette's TestClient does without ``with``): fresh primitives,
        re-queued lanes. Callers route work to a still-running loop instead (``_foreign_loop``)."""
        if self._loop is loop:
            if self._backlog:
                backlog, self._backlog = self._backlog, []
                for job in backlog:
                    self._schedule(job)
            return
        self._loop = loop
        self._idle = asyncio.Event()
        self._idle.set()
        self._on_bind()
        self._tasks = set()
        queued = [job for lane in self._lanes.values() for job in lane] + self._backlog
        self._lanes.clear()
        self._active_lanes.clear()
        self._backlog = []
        self._outstanding = len(queued)
        for job in queued:
            self._schedule(job)

    # -- running -----------------------------------------------------------------------------

    async def _run_lane(self, lane_key: str) -> None:
        lane = self._lanes[lane_key]
        try:
            while lane:
                batch = [lane.popleft()]
                if self.settings.webhook_disorder == "shuffle":
                    await asyncio.sleep(0)  # let events emitted in the same tick join the window
                    while lane and len(batch) < SHUFFLE_WINDOW:
                        batch.append(lane.popleft())
                    self._rng.shuffle(batch)
                await self._run_jobs(batch)
        finally:
            self._active_lanes.discard(lane_key)
            if not lane and self._lanes.get(lane_key) is lane:
                del self._lanes[lane_key]

    async def _run_jobs(self, jobs: list[Job]) -> None:
        for job in jobs:
            try:
                await self._work(job)
            except Exception:  # a bug must not kill the lane: log it, go on with the next round
                log.exception("webhook delivery of event %s crashed", job.event.id)
            finally:
                self._outstanding -= 1
                if self._outstanding <= 0 and self._idle is not None:
                    self._outstanding = 0
                    self._idle.set()
