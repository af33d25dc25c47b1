"""Honest load reporting and admission control for one worker.

LiveKit asks the worker for its load every half second and stops sending jobs above the
threshold, but two requests can arrive inside one report interval, so the request
handler also counts jobs it has accepted that have not started yet and refuses (without
terminating the dispatch, so another worker takes it) once the worker is full.

The load is the larger of two shares, so it is honest whichever runs out first:

* jobs: running and just-accepted jobs over ``AGENT_MAX_JOBS``, the number of candidates
  one worker was measured to proctor at 2 frames per second without its frame lag
  growing (``docs/benchmarks-agent.md``); a job's CPU is bounded (one frame in the
  engine at a time), so this is also a CPU estimate that does not swing with the camera.
* CPU: the machine's CPU use (averaged over the last few reports) over
  ``AGENT_CPU_LIMIT``: when something else on the machine takes the cores (another
  worker, a noisy neighbour), fewer candidates fit, and new ones go elsewhere.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

import psutil


def _machine_cpu() -> float:
    """Share of all cores busy since the previous call (0..1; psutil, non-blocking)."""
    return float(psutil.cpu_percent(interval=None)) / 100.0


class CpuLoad:
    """The machine's CPU use over ``limit``, averaged over the last ``samples`` reports.

    Averaging keeps one busy half-second (a job starting up, an enrollment) from turning
    the worker away; ``limit`` ``None`` turns the CPU share off (then only jobs count).
    """

    def __init__(
        self,
        limit: float | None,
        samples: int = 6,
        read: Callable[[], float] = _machine_cpu,
    ) -> None:
        if limit is not None and not 0.0 < limit <= 1.0:
            raise ValueError("the CPU limit is a share within (0, 1]")
        self.limit = limit
        self._read = read
        self._recent: deque[float] = deque(maxlen=samples)

    def sample(self) -> float:
        """Read the CPU once and return the averaged share of the limit, 0..1."""
        if self.limit is None:
            return 0.0
        self._recent.append(min(1.0, max(0.0, self._read())))
        return min(1.0, sum(self._recent) / len(self._recent) / self.limit)

    def current(self) -> float:
        """The last averaged share, without reading the CPU again."""
        if self.limit is None or not self._recent:
            return 0.0
        return min(1.0, sum(self._recent) / len(self._recent) / self.limit)


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

    def load(self, running_ids: Iterable[str]) -> float:
        """Running jobs over capacity, clamped to 0..1.

        Reservations are left out on purpose: LiveKit adds its own count of accepted but
        not yet running jobs to the reported load (``_reserved_slots``), so counting them
        here as well made a burst of four requests look like a full worker, and the
        server drops a dispatch while no worker has room. The gate's reservations serve
        :meth:`try_reserve` only, which refuses in the request handler.
        """
        return min(1.0, len(set(running_ids)) / self.max_jobs)

    def try_reserve(
        self,
        job_id: str,
        running_ids: Iterable[str],
        now: float | None = None,
        cpu_load: float = 0.0,
    ) -> bool:
        """Reserve a slot for ``job_id``; False when the worker is full (jobs or CPU)."""
        now = time.monotonic() if now is None else now
        running = set(running_ids)
        self._prune(running, now)
        if cpu_load >= 1.0 or len(running) + len(self._reserved) >= self.max_jobs:
            return False
        self._reserved[job_id] = now
        return True

    def release(self, job_id: str) -> None:
        """Forget a reservation whose accept failed."""
        self._reserved.pop(job_id, None)
