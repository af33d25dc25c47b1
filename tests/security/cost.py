"""What one request really costs the process: peak resident memory and CPU time.

``tracemalloc`` only sees Python's allocator (and numpy's); Pillow's image buffers,
dlib's and zlib's are plain ``malloc`` and invisible to it, yet they are what fills a
server's memory. So the resident set size (RSS) of the whole process is sampled from
another thread every few milliseconds while the request runs: its peak above the RSS
just before is the memory the request made the machine commit, whoever allocated it.
The app runs in this process (the test client), so its CPU time (user + system of
every thread) is the request's too, plus the sampler's, which is tiny.

Freed memory that the C allocator keeps could let a request reuse pages without the
RSS growing, so the measurement first hands free pages back (``malloc_trim``, glibc)
and collects garbage: the baseline is as low as it can honestly be.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psutil

SAMPLE_SECONDS = 0.002


@dataclass
class Cost:
    """Filled in when the measured block ends."""

    peak_growth: int = 0  # bytes of RSS above the RSS before the block
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"peak RSS growth {self.peak_growth / 1e6:.1f} MB, "
            f"CPU {self.cpu_seconds:.2f} s, wall {self.wall_seconds:.2f} s"
        )


def _trim_heap() -> None:
    gc.collect()
    name = ctypes.util.find_library("c")
    if name is None:
        return
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)
    if trim is not None:
        trim(0)


@contextmanager
def measured() -> Iterator[Cost]:
    """Measure the block: peak RSS growth (sampled every 2 ms) and process CPU time."""
    process = psutil.Process()
    _trim_heap()
    cost = Cost()
    before = process.memory_info().rss
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, name="rss-sampler", daemon=True)
    cpu_before = sum(process.cpu_times()[:2])
    started = time.monotonic()
    sampler.start()
    try:
        yield cost
    finally:
        done.set()
        sampler.join()
        peak = max(peak, process.memory_info().rss)
        cost.wall_seconds = time.monotonic() - started
        cost.cpu_seconds = sum(process.cpu_times()[:2]) - cpu_before
        cost.peak_growth = peak - before
