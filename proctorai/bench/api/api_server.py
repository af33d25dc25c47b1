"""The control API under test: a uvicorn child process, as in production, or a thread.

:class:`ApiProcess` serves it as ``proctorai up`` does (one uvicorn process,
``--factory``, no access log), so the load generator and the server share no
interpreter and no GIL; its CPU time is read from the process. :class:`ApiThread`
serves the same app in a thread of this process: quicker to start (the app's imports
are already done), for the test that checks the benchmark runs, not for figures.
Both are configured only by the settings below, on a fresh database, so no ambient
variable or ``.env`` value changes what is measured.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import psutil
import uvicorn

from proctorai.bench.api.servers import Credentials
from proctorai.private_servers import LiveKitServerProcess
from proctorai.stack import ServiceSpec, Stack


class ApiServer(Protocol):
    """What the benchmark needs of a running API."""

    url: str

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def cpu_seconds(self) -> float: ...
    def logged_errors(self) -> int: ...


def api_settings(
    workdir: Path, database_url: str, url: str, livekit: LiveKitServerProcess, cred: Credentials
) -> dict[str, str]:
    """Every setting the benchmark depends on, by environment variable name."""
    return {
        "DATA_DIR": str(workdir / "data"),
        "DATABASE_URL": database_url,
        "PUBLIC_URL": url,
        "RECRUITER_API_KEY": cred.recruiter_key,
        "SERVICE_TOKEN": cred.service_token,
        "LINK_SECRET": cred.link_secret,
        "LIVEKIT_URL": livekit.url,
        "LIVEKIT_PUBLIC_URL": "",
        "LIVEKIT_API_KEY": livekit.api_key,
        "LIVEKIT_API_SECRET": livekit.api_secret,
        "CLOUDINARY_URL": "",
        "LOG_LEVEL": "INFO",
    }


class ApiProcess:
    """The API served by uvicorn in a child process, its log kept in a file."""

    def __init__(
        self, workdir: Path, database_url: str, livekit: LiveKitServerProcess, cred: Credentials
    ) -> None:
        self.port = livekit.webhook_port  # LiveKit's webhooks reach this API
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "api.log"
        self._env = api_settings(workdir, database_url, self.url, livekit, cred)
        self._lock = threading.Lock()
        self._log = self.log_path.open("a", encoding="utf-8")
        self._stack = Stack(output=self._write_log)
        self._process: psutil.Process | None = None

    def _write_log(self, line: str) -> None:
        with self._lock:
            self._log.write(line + "\n")

    def start(self) -> None:
        argv = [sys.executable, "-m", "uvicorn", "control_api.app:create_app", "--factory"]
        argv += ["--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"]
        self._stack.start(
            ServiceSpec(
                name="api",
                argv=argv,
                health_url=f"{self.url}/healthz",
                env=self._env,
                start_timeout=180.0,  # the app's imports are slow on a busy machine
            )
        )
        self._process = self._find_process()

    def _find_process(self) -> psutil.Process | None:
        for child in psutil.Process().children(recursive=True):
            try:
                argv = child.cmdline()
            except psutil.Error:
                continue
            if "uvicorn" in argv and str(self.port) in argv:
                return child
        return None

    def cpu_seconds(self) -> float:
        """CPU time the API process has used so far (user + system), or NaN if unknown.

        The CPU cost per request hardly depends on what else runs on the machine, so it
        is the figure to compare between runs on a busy shared machine.
        """
        if self._process is None:
            return math.nan
        times = self._process.cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        self._stack.stop()
        with self._lock:
            self._log.close()

    def logged_errors(self) -> int:
        """Lines of the API's log at ERROR level, or tracebacks (0 in a clean run)."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return sum(1 for line in text.splitlines() if " ERROR " in line or "Traceback" in line)


# The root logger (the app's records propagate to it) and uvicorn's, which does not.
_ERROR_LOGGERS = ("", "uvicorn.error")


class _ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


class ApiThread:
    """The same app served by uvicorn in a thread of this process (no CPU figure)."""

    def __init__(
        self, workdir: Path, database_url: str, livekit: LiveKitServerProcess, cred: Credentials
    ) -> None:
        self.port = livekit.webhook_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._values: dict[str, Any] = {
            name.lower(): value
            for name, value in api_settings(workdir, database_url, self.url, livekit, cred).items()
        }
        self._errors = _ErrorCounter()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 120.0) -> None:
        from control_api.app import create_app
        from control_api.settings import Settings

        settings = Settings(_env_file=None, **self._values)  # type: ignore[call-arg]
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="bench-api", daemon=True)
        for name in _ERROR_LOGGERS:
            logging.getLogger(name).addHandler(self._errors)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the API did not start")
            time.sleep(0.02)

    def cpu_seconds(self) -> float:
        return math.nan  # shared with the clients: no separate figure

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
        for name in _ERROR_LOGGERS:
            logging.getLogger(name).removeHandler(self._errors)

    def logged_errors(self) -> int:
        return self._errors.count
