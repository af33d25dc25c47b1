"""The background tasks of one candidate's proctoring that must finish before the job ends.

A condition report, a verdict coming back from the engine thread or a record waiting for
its snapshot is handled in a task of its own (the room's callbacks and the executor's
done callbacks cannot await). The job must not report the interview "completed" before
they have run, or the outbox would miss an anomaly's end (docs/architecture.md, "Stored,
never lost"), so each is kept here until it is done and :meth:`TaskSet.settle` waits for
those still running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class TaskSet:
    """Tasks started and forgotten by their caller, but awaited at the close."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` in a task kept until it is done."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait for the tasks running now (not those they start); their errors are dropped."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tasks)
