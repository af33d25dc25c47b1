"""A few dedicated threads for the face and voice engines, with a bounded wait.

Checking a baseline takes a core for a second or more and tens of MB (decoding the
photos, dlib's detector, the GE2E encoder). Run on FastAPI's request threads (40 of
them) a burst of baselines would all run at once and exhaust the API's memory and CPU,
slowing every other request. Here at most ``workers`` checks run at once, at most
``waiting`` more wait their turn, and any beyond that are refused at once
(``EngineBusy``, answered 503 with ``Retry-After``) instead of queueing without bound.
The threads are few and long-lived, so the engines' per-thread models (dlib keeps
scratch buffers in them) are loaded once per worker, not once per request thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class EngineBusy(RuntimeError):
    """Every worker is busy and every waiting place taken: come back in a few seconds."""


class EngineWorkers:
    """Runs engine calls on ``workers`` threads; refuses callers past ``waiting`` queued."""

    def __init__(self, workers: int, waiting: int) -> None:
        if workers < 1 or waiting < 0:
            raise ValueError("engine workers need at least one thread and no negative queue")
        self.workers = workers
        self.waiting = waiting
        self._executor = self._new_executor()
        # Admission: one place per running or waiting call, taken without blocking.
        self._lock = threading.Lock()
        self._taken = 0

    def run(self, work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``work`` on a worker thread and return its result (or raise its error).

        Raises ``EngineBusy`` at once, without running it, when all places are taken.
        """
        with self._lock:
            if self._taken >= self.workers + self.waiting:
                raise EngineBusy
            self._taken += 1
        try:
            return self._executor.submit(work, *args, **kwargs).result()
        finally:
            with self._lock:
                self._taken -= 1

    @property
    def in_use(self) -> int:
        """Calls running or waiting right now (for monitoring, and for tests)."""
        with self._lock:
            return self._taken

    def shutdown(self) -> None:
        """Let running checks finish and end the threads (at the app's shutdown).

        A later call starts new threads: an app may be started again (tests do).
        """
        executor, self._executor = self._executor, self._new_executor()
        executor.shutdown(wait=True, cancel_futures=True)

    def _new_executor(self) -> ThreadPoolExecutor:
        # Threads start on first use, so an app that never checks a baseline has none.
        return ThreadPoolExecutor(self.workers, thread_name_prefix="baseline-engine")
