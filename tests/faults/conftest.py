"""One stack for all the fault tests: the control API and a first worker, started once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.stack import FaultStack
from tests.support.livekit_server import TestLiveKitServer


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, livekit_server: TestLiveKitServer
) -> Iterator[FaultStack]:
    workdir: Path = tmp_path_factory.mktemp("faults")
    stack = FaultStack(workdir, livekit_server)
    stack.start_api()
    try:
        # two workers from the start (they take a while to register on a busy machine):
        # the one that gets the first interview is killed, the other takes over
        workers = [stack.start_worker("a"), stack.start_worker("b")]
        for worker in workers:
            worker.wait_ready(timeout=120)
        yield stack
    finally:
        stack.stop()
