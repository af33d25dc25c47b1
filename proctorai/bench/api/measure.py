"""Measuring a phase: its budget, its start line, and what each request cost.

A shared :class:`Budget` ends a phase after a number of seconds or requests; every
request's latency is kept, and any exception or non-2xx answer counts as an error (by
kind, for the report).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.api_client import APIError


class Budget:
    """How much of a phase is left: a deadline, or a number of requests to hand out."""

    def __init__(self, seconds: float | None, requests: int | None) -> None:
        if (seconds is None) == (requests is None):
            raise ValueError("give either seconds or requests")
        self._seconds = seconds
        self._left = requests
        self._deadline = math.inf

    def start(self) -> None:
        if self._seconds is not None:
            self._deadline = time.monotonic() + self._seconds

    def take(self) -> bool:
        """True while the phase may send one more request (and counts it)."""
        if self._left is not None:
            if self._left <= 0:
                return False
            self._left -= 1
            return True
        return time.monotonic() < self._deadline


@dataclass
class PhaseResult:
    """What one phase measured."""

    name: str
    clients: int
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: Counter[str] = field(default_factory=Counter)
    items: int = 0  # interviews created, or new event messages accepted (not resends)
    elapsed: float = 0.0
    server_cpu: float = math.nan  # CPU seconds the API process used during the phase
    client_cpu: float = math.nan  # CPU seconds this (load generating) process used

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def summary(self) -> dict[str, Any]:
        """Plain figures for the table and the JSON line (latencies in milliseconds)."""
        elapsed = self.elapsed or math.nan
        return {
            "requests": self.requests,
            "errors": self.error_count,
            "error_kinds": dict(self.errors),
            "items": self.items,
            "seconds": round(self.elapsed, 2),
            "requests_per_s": _rounded(self.requests / elapsed),
            "items_per_s": _rounded(self.items / elapsed),
            "p50_ms": percentile_ms(self.latencies, 0.50),
            "p95_ms": percentile_ms(self.latencies, 0.95),
            "p99_ms": percentile_ms(self.latencies, 0.99),
            "server_cpu_ms_per_request": _rounded(1000 * self.server_cpu / max(self.requests, 1)),
            "server_cpu_share": _rounded(self.server_cpu / elapsed, 2),
            "client_cpu_share": _rounded(self.client_cpu / elapsed, 2),
        }


def _rounded(value: float, digits: int = 1) -> float | None:
    return None if math.isnan(value) else round(value, digits)


def percentile_ms(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of latencies in seconds, in milliseconds."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return round(ordered[rank - 1] * 1000, 1)


async def timed(result: PhaseResult, call: Callable[[], Awaitable[int]]) -> bool:
    """Run one request; record its latency, or its error kind. True when it succeeded."""
    started = time.perf_counter()
    try:
        items = await call()
    except APIError as exc:
        result.errors[f"HTTP {exc.status}" if exc.status else str(exc).rsplit(": ", 1)[-1]] += 1
        return False
    except Exception as exc:  # any failure is an error of the benchmark, by kind
        result.errors[type(exc).__name__] += 1
        return False
    result.latencies.append(time.perf_counter() - started)
    result.items += items
    return True


class StartLine:
    """Holds every client until all have built their HTTP client, then starts the clock.

    Building a client (its TLS context) takes a noticeable time on a busy machine; a
    phase timed from before that would count set-up as load, or end before any request.
    """

    def __init__(self, clients: int, budget: Budget) -> None:
        self._waiting = set(range(clients))
        self._all_ready = asyncio.Event()
        self._go = asyncio.Event()
        self._budget = budget

    def _arrive(self, index: int) -> None:
        self._waiting.discard(index)
        if not self._waiting:
            self._all_ready.set()

    async def ready(self, index: int) -> None:
        """Called by client ``index`` once it can send; returns when the phase starts."""
        self._arrive(index)
        await self._go.wait()

    def leave(self, index: int) -> None:
        """Client ``index`` is done (or failed before it was ready): nobody waits for it."""
        self._arrive(index)

    async def start_when_ready(self) -> None:
        await self._all_ready.wait()
        self._budget.start()
        self._go.set()


async def run_clients(
    result: PhaseResult, line: StartLine, client: Callable[[int], Awaitable[None]]
) -> PhaseResult:
    async def run(index: int) -> None:
        try:
            await client(index)
        except Exception as exc:  # a client that could not even start is an error too
            result.errors[f"client: {type(exc).__name__}"] += 1
        finally:
            line.leave(index)

    tasks = [asyncio.create_task(run(index)) for index in range(result.clients)]
    await line.start_when_ready()
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*tasks)
    result.elapsed = time.perf_counter() - started
    result.client_cpu = time.process_time() - cpu
    return result
