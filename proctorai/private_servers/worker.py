"""An agent worker process (``python -m agent.worker start``), ready when it says so.

The worker's health check answers as soon as its HTTP server is up, 20-40 s before it has
registered with livekit-server on a busy machine, and livekit-server drops a dispatch made
while no worker of that name is registered ("not dispatching agent job since no worker
is available"). So whoever needs the worker to take a job right away (the demo, the
live benchmarks, the fault and demo tests) polls the worker's own readiness route,
``GET /ready`` on ``AGENT_HTTP_PORT`` (:mod:`agent.worker`), which answers 200 with the
worker id once registered, instead of reading its log.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

READY_PATH = "/ready"
"""Equal to ``agent.worker.READY_PATH``, not imported from it: importing the worker loads
livekit-agents, and a stack without the agent package installed still runs this module
(the readiness test goes through this URL, so the two cannot drift apart unnoticed)."""


class WorkerNotReady(RuntimeError):
    """The worker exited, or did not register within the time given."""


def ready_url(port: int, host: str = "127.0.0.1") -> str:
    """The readiness route of the worker whose HTTP server listens on ``port``."""
    return f"http://{host}:{port}{READY_PATH}"


def worker_id(url: str, timeout: float = 2.0) -> str | None:
    """The registered worker's id from its readiness route, or None (not ready, or down)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            if int(response.status) != 200:
                return None
            body = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):  # 503 is an HTTPError (URLError)
        return None
    found = body.get("worker_id") if isinstance(body, dict) else None
    return str(found) if found else None


def wait_ready(
    url: str,
    timeout: float,
    *,
    alive: Callable[[], bool] = lambda: True,
    what: str = "the agent worker",
    poll: float = 0.3,
) -> str:
    """Poll ``url`` until the worker is registered; its id. :class:`WorkerNotReady` when
    ``alive()`` turns false (the process exited) or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        found = worker_id(url)
        if found is not None:
            return found
        if not alive():
            raise WorkerNotReady(f"{what} exited before registering with livekit-server")
        if time.monotonic() > deadline:
            raise WorkerNotReady(
                f"{what} did not register with livekit-server within {timeout:.0f} s"
            )
        time.sleep(poll)


@dataclass
class WorkerProcess:
    """A started worker process, the port of its HTTP server and its log file."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def ready_url(self) -> str:
        return ready_url(self.port)

    def ready(self) -> bool:
        """Registered now (one quick look, no waiting)."""
        return self.alive and worker_id(self.ready_url, timeout=1.0) is not None

    def wait_ready(self, timeout: float) -> str:
        """Block until registered (its worker id); :class:`WorkerNotReady` with the log's
        path when it exits first or takes longer than ``timeout``."""
        try:
            return wait_ready(self.ready_url, timeout, alive=lambda: self.alive)
        except WorkerNotReady as exc:
            raise WorkerNotReady(f"{exc}; see {self.log}") from None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_worker(
    env: Mapping[str, str],
    log: Path,
    port: int,
    *,
    cwd: Path | None = None,
    own_session: bool = False,
) -> WorkerProcess:
    """Start ``python -m agent.worker start`` with ``env`` (the whole environment) and
    ``AGENT_HTTP_PORT=port``, its output in ``log``; not waiting for it to register
    (:meth:`WorkerProcess.wait_ready`). ``own_session`` puts it and its job processes in
    their own process group, so they can be killed together (a crashed machine)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "agent.worker", "start"],
            env={**env, "AGENT_HTTP_PORT": str(port)},
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=own_session,
        )
    return WorkerProcess(process, port, log)
