"""Waiting for an agent worker's readiness (proctorai/private_servers/worker.py) without
a worker: what the wait says when there is nothing, or nothing alive, to wait for.
The worker's own route is tested on the real livekit-server in tests/agent/test_worker.py."""

from __future__ import annotations

import time

import pytest

from proctorai.private_servers import free_tcp_port
from proctorai.private_servers.worker import WorkerNotReady, ready_url, wait_ready, worker_id


def test_nothing_listening_is_not_ready() -> None:
    assert worker_id(ready_url(free_tcp_port()), timeout=0.5) is None


def test_a_worker_that_exits_ends_the_wait_at_once() -> None:
    began = time.monotonic()
    with pytest.raises(WorkerNotReady, match="exited before registering"):
        wait_ready(ready_url(free_tcp_port()), timeout=60, alive=lambda: False)
    assert time.monotonic() - began < 5


def test_a_worker_that_never_registers_times_out_saying_so() -> None:
    with pytest.raises(WorkerNotReady, match="did not register with livekit-server within 1 s"):
        wait_ready(ready_url(free_tcp_port()), timeout=1, poll=0.1)
