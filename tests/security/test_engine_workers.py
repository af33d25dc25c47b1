"""The baseline engine workers alone (pure logic, no engine): how many run, how many
wait, and that the rest are refused at once instead of queueing."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from control_api.enrollment.workers import EngineBusy, EngineWorkers


def test_engine_workers_run_at_most_their_count_and_refuse_past_the_waiting_places() -> None:
    """The pool alone (pure logic): two workers, one waiting place; a fourth caller is
    refused at once, without running, and the places free up afterwards."""
    workers = EngineWorkers(workers=2, waiting=1)
    gate = threading.Event()
    lock = threading.Lock()
    running = peak = 0

    def held() -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        gate.wait(10)
        with lock:
            running -= 1
        return "done"

    try:
        with ThreadPoolExecutor(3) as callers:
            admitted = [callers.submit(workers.run, held) for _ in range(3)]
            deadline = time.monotonic() + 10
            while (running < 2 or workers.in_use < 3) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert (running, workers.in_use) == (2, 3)  # two run, the third waits
            with pytest.raises(EngineBusy):
                workers.run(held)
            gate.set()
            assert [f.result(timeout=10) for f in admitted] == ["done"] * 3
        assert peak == 2
        assert workers.run(lambda: "free again") == "free again"
    finally:
        gate.set()
        workers.shutdown()


def test_engine_workers_pass_on_the_error_of_the_work() -> None:
    workers = EngineWorkers(workers=1, waiting=0)

    def broken() -> None:
        raise ValueError("this photo does not decode")

    try:
        with pytest.raises(ValueError, match="does not decode"):
            workers.run(broken)
        assert workers.in_use == 0
    finally:
        workers.shutdown()
