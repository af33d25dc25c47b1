"""Honest load reporting and admission control for one worker.

LiveKit asks the worker for its load every half second and stops sending jobs above the
threshold, but two requests can arrive inside one report interval, so the request
handler also counts jobs it has accepted that have not started yet and refuses (without
terminating the dispatch, so another worker takes it) once the worker is full.
"""

from __future__ import annotations

import time
from collections.abc import Iterable


class CapacityGate:
    """Counts running and just-accepted jobs against ``max_jobs``."""

    def __init__(self, max_jobs: int, reservation_ttl: float = 30.0) -> None:
        if max_jobs < 1:
            raise ValueError("max_jobs must be at least 1")
        self.max_jobs = max_jobs
        self._ttl = reservation_ttl
        self._reserved: dict[str, float] = {}

    def _prune(self, running_ids: set[str], now: float) -> None:
        for job_id in [
            j for j, at in self._reserved.items() if j in running_ids or now - at > self._ttl
        ]:
            del self._reserved[job_id]

    def load(self, running_ids: Iterable[str], now: float | None = None) -> float:
        """Running plus reserved jobs over capacity, clamped to 0..1."""
        now = time.monotonic() if now is None else now
        running = set(running_ids)
        self._prune(running, now)
        return min(1.0, (len(running) + len(self._reserved)) / self.max_jobs)

    def try_reserve(
        self, job_id: str, running_ids: Iterable[str], now: float | None = None
    ) -> bool:
        """Reserve a slot for ``job_id``; False when the worker is full."""
        now = time.monotonic() if now is None else now
        running = set(running_ids)
        self._prune(running, now)
        if len(running) + len(self._reserved) >= self.max_jobs:
            return False
        self._reserved[job_id] = now
        return True

    def release(self, job_id: str) -> None:
        """Forget a reservation whose accept failed."""
        self._reserved.pop(job_id, None)
