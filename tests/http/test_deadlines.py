"""One sweep for many deadlines (http/deadlines.py): expiry, stop in time, foreign cancellation."""

from __future__ import annotations

import asyncio

import pytest

from emulator.http.deadlines import Deadlines, TaskDeadline


def test_an_item_expires_once_and_a_stopped_one_never() -> None:
    expired: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        deadlines: Deadlines[str] = Deadlines(0.08, expired.append)
        deadlines.start("slow", loop)
        deadlines.start("quick", loop)
        await asyncio.sleep(0.02)
        deadlines.stop("quick")
        await asyncio.sleep(0.25)

    asyncio.run(main())
    assert expired == ["slow"]


def test_within_raises_timeout_for_a_slow_awaitable_and_returns_a_quick_one() -> None:
    deadline = TaskDeadline(0.08)

    async def main() -> tuple[str, bool]:
        quick = await deadline.within(asyncio.sleep(0.01, result="done"))
        try:
            await deadline.within(asyncio.sleep(5))
        except TimeoutError:
            timed_out = True
        else:
            timed_out = False
        # the task is usable afterwards: the cancellation was ours and was taken back
        await asyncio.sleep(0.01)
        return quick, timed_out

    assert asyncio.run(main()) == ("done", True)


def test_within_lets_a_foreign_cancellation_through() -> None:
    deadline = TaskDeadline(5)

    async def main() -> None:
        task = asyncio.create_task(deadline.within(asyncio.sleep(5)))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_a_new_event_loop_gets_its_own_sweep() -> None:
    deadline = TaskDeadline(0.05)

    async def slow() -> bool:
        try:
            await deadline.within(asyncio.sleep(5))
        except TimeoutError:
            return True
        return False

    assert asyncio.run(slow()) and asyncio.run(slow())  # the first loop's sweep died with it
