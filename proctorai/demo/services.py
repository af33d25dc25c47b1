"""The stack for the demo: the running one, or one started (and stopped) by the demo.

When the control API answers its health check the demo uses that stack as it is.
Otherwise it starts the same three processes as ``proctorai up`` (livekit-server, the
control API, the agent worker; :func:`proctorai.cli.build_services`), waits until
each is healthy, and stops them when the demo ends. Their logs go to a file, so the
demo's own output stays readable; the lines saying each service is healthy or stopped
are shown.

One difference from ``proctorai up``: the worker started here admits jobs on its job
count only (``AGENT_CPU_LIMIT`` empty, unless set). It is the only worker, and the
demo's own simulated candidate shares its cores: refusing the job because the machine is
busy would leave the interview waiting for an interviewer that never comes.

The agent's health check answers before its worker has registered with livekit-server
(20-40 s later on a busy machine), and a dispatch made before that is dropped; so a
stack started here is ready only once the worker's readiness route says it has registered
(:func:`proctorai.private_servers.wait_ready`). ``proctorai up`` itself does not wait for
it: the control API dispatches again when no agent joins (``AGENT_JOIN_TIMEOUT``), which
is enough for a person, but the demo's script runs on a clock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from control_api.settings import Settings
from proctorai.private_servers.worker import WorkerNotReady, ready_url, wait_ready
from proctorai.stack import Stack, StackError, http_ok

_SHOWN = (" healthy (", " stopped", "exited with code")
REGISTER_TIMEOUT = 180.0


class DemoStack:
    """Context manager: ``started`` says whether the demo started the stack itself."""

    def __init__(self, settings: Settings, log_path: Path, say: Callable[[str], None]) -> None:
        self.settings = settings
        self.log_path = log_path
        self._say = say
        self._lock = threading.Lock()
        self._stack: Stack | None = None
        self.started = False

    def _output(self, line: str) -> None:
        with self._lock, self.log_path.open("a", encoding="utf-8") as log:
            log.write(line + "\n")
        if any(marker in line for marker in _SHOWN):
            self._say(line.strip())

    def __enter__(self) -> DemoStack:
        if http_ok(f"{self.settings.public_url}/healthz", timeout=3.0):
            self._say(f"Using the stack running at {self.settings.public_url}")
            return self
        from proctorai.cli import build_services

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._say(
            "Starting the stack (livekit-server, control API, agent worker); "
            f"its logs go to {self.log_path}"
        )
        stack = self._stack = Stack(output=self._output)
        self.started = True
        try:
            for spec in build_services(self.settings):
                if spec.name == "agent" and "AGENT_CPU_LIMIT" not in os.environ:
                    spec.env["AGENT_CPU_LIMIT"] = ""
                stack.start(spec)
            try:
                wait_ready(
                    ready_url(self.settings.agent_http_port),
                    REGISTER_TIMEOUT,
                    alive=lambda: stack.alive("agent"),
                )
            except WorkerNotReady as exc:
                raise StackError(f"{exc} (see {self.log_path})") from None
            self._say("agent | registered with livekit-server")
        except BaseException:
            self._stack.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._stack is not None:
            self._stack.stop()
            self._stack = None
