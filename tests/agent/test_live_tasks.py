"""The live proctor's background tasks: forgotten by their callers, never by the close.

The job reports an interview "completed" only after the close has waited for every
condition report and verdict still in flight (docs/architecture.md, "Stored, never
lost"); :class:`TaskSet` is what remembers them.
"""

from __future__ import annotations

import asyncio

from agent.proctor.tasks import TaskSet


async def test_settle_waits_for_running_tasks_and_forgets_finished_ones() -> None:
    tasks = TaskSet()
    done: list[int] = []
    gate = asyncio.Event()

    async def work(n: int) -> None:
        await gate.wait()
        done.append(n)

    for n in range(3):
        tasks.spawn(work(n))
    assert len(tasks) == 3
    asyncio.get_running_loop().call_soon(gate.set)
    await tasks.settle()
    assert done == [0, 1, 2]  # in the order they were started
    await asyncio.sleep(0)  # the done callbacks run
    assert len(tasks) == 0


async def test_a_failing_task_does_not_stop_the_settle() -> None:
    """One failed report must not keep the close from waiting for the others."""
    tasks = TaskSet()
    done: list[str] = []

    async def fail() -> None:
        raise RuntimeError("boom")

    async def work() -> None:
        await asyncio.sleep(0.01)
        done.append("work")

    tasks.spawn(fail())
    tasks.spawn(work())
    await tasks.settle()
    assert done == ["work"]


async def test_settle_with_nothing_running_returns_at_once() -> None:
    await asyncio.wait_for(TaskSet().settle(), timeout=1.0)
