"""Run the local stack (livekit-server, control API, agent worker) as child processes.

Why a small supervisor of our own instead of honcho/supervisord: the stack has three
processes with different health checks and one generated config file, and a newcomer
must get it with one command and no extra tool. The supervisor starts each process,
waits until it answers its health check, prefixes its log lines with its name, and on
Ctrl-C (or any child dying) stops all of them, newest first.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

_COLOURS = {"livekit": "35", "api": "36", "agent": "33"}


class StackError(RuntimeError):
    """A service failed to start or become healthy; the message says which and why."""


def find_livekit_server() -> str:
    """Locate the livekit-server binary: PATH first, then the project's tool folder."""
    found = shutil.which("livekit-server")
    if found:
        return found
    for name in ("livekit-server", "server"):
        candidate = REPO_ROOT / ".tools" / "bin" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise StackError("livekit-server not found: run `make setup` (it builds one into .tools/bin)")


def http_ok(url: str, timeout: float = 1.0) -> bool:
    """True when ``url`` answers 2xx: the health check shared by every service."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def readable_log_line(line: str) -> str:
    """Shorten a JSON log record (livekit-agents' production format) to one readable line.

    Other lines pass through unchanged. The record's own fields are not echoed: the
    agent logs ids, never personal data, but a short line is what a person reads.
    """
    if not line.startswith("{"):
        return line
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict) or "message" not in record:
        return line
    level = str(record.get("level", "INFO"))
    logger = str(record.get("name", ""))
    text = f"{level:<7} {logger}: {record['message']}"
    if record.get("exc_info"):
        text += "\n" + str(record["exc_info"])
    return text


@dataclass
class ServiceSpec:
    """One process of the stack and how to know it is ready."""

    name: str
    argv: Sequence[str]
    health_url: str
    env: dict[str, str] = field(default_factory=dict)
    start_timeout: float = 60.0


@dataclass
class RunningService:
    spec: ServiceSpec
    process: subprocess.Popen[bytes]
    log_thread: threading.Thread


class Stack:
    """Start services in order, wait for health, stream logs, stop them all together."""

    def __init__(self, output: Callable[[str], None] | None = None) -> None:
        self._running: list[RunningService] = []
        self._output = output or self._print
        self._lock = threading.Lock()
        self._colour = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None

    def _print(self, line: str) -> None:
        with self._lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def _prefix(self, name: str) -> str:
        label = f"{name:>7} |"
        if self._colour:
            return f"\033[{_COLOURS.get(name, '37')}m{label}\033[0m"
        return label

    def _pump(self, name: str, stream: object) -> None:
        prefix = self._prefix(name)
        assert hasattr(stream, "readline")
        for raw in iter(stream.readline, b""):
            self._output(f"{prefix} {readable_log_line(raw.decode('utf-8', 'replace').rstrip())}")

    def start(self, spec: ServiceSpec) -> None:
        """Start one service and block until its health check passes."""
        env = {**os.environ, **spec.env, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            list(spec.argv),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop children in order
        )
        thread = threading.Thread(target=self._pump, args=(spec.name, process.stdout), daemon=True)
        thread.start()
        self._running.append(RunningService(spec, process, thread))
        deadline = time.monotonic() + spec.start_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StackError(f"{spec.name} exited with code {process.returncode} at start")
            if http_ok(spec.health_url):
                self._output(f"{self._prefix(spec.name)} healthy ({spec.health_url})")
                return
            time.sleep(0.25)
        raise StackError(f"{spec.name} did not become healthy within {spec.start_timeout:.0f} s")

    def alive(self, name: str) -> bool:
        """Whether the service ``name`` was started and has not exited: what a caller
        waiting on it beyond its health check (the demo, for the worker's readiness)
        polls, so a crash ends the wait at once."""
        return any(
            service.spec.name == name and service.process.poll() is None
            for service in self._running
        )

    def wait(self, should_stop: threading.Event) -> int:
        """Block until ``should_stop`` is set or a service dies; return an exit code."""
        while not should_stop.wait(0.5):
            for service in self._running:
                code = service.process.poll()
                if code is not None:
                    self._output(f"{self._prefix(service.spec.name)} exited with code {code}")
                    return 1
        return 0

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every service, newest first: SIGTERM, then SIGKILL after ``timeout``."""
        for service in reversed(self._running):
            process = service.process
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            service.log_thread.join(timeout=2)
            self._output(f"{self._prefix(service.spec.name)} stopped")
        self._running.clear()
