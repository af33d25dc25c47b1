"""`proctorai up` and `proctorai demo` as a newcomer runs them: real processes, real ports.

The stack runs on its own ports and data folder so it never clashes with a developer's
running stack or with the other tests' livekit-server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from proctorai.private_servers.ports import free_tcp_port_block, tcp_port_free
from proctorai.stack import http_ok

pytestmark = [pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parent.parent


def _answers(url: str, within: float = 15.0) -> bool:
    """The service answers its health check within ``within`` seconds (a loaded CI
    machine can stall a single 1-second probe)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if http_ok(url, timeout=3.0):
            return True
        time.sleep(0.5)
    return False


class RunningUp:
    """A `proctorai up` child process and the lines it printed so far."""

    def __init__(self, process: subprocess.Popen[str], env: dict[str, str]) -> None:
        self.process = process
        self.env = env
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, needle: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if needle in line:
                    return line
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        tail = "\n".join(self.lines[-40:])
        raise AssertionError(f"{needle!r} not printed within {timeout} s; last lines:\n{tail}")


@pytest.fixture()
def stack_env(tmp_path: Path) -> dict[str, str]:
    livekit_port = free_tcp_port_block(3)
    api_port = free_tcp_port_block(1)
    agent_port = free_tcp_port_block(1)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LIVEKIT_", "DATABASE_", "OPENAI_"))
    }
    env.update(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "PUBLIC_URL": f"http://127.0.0.1:{api_port}",
            "LIVEKIT_URL": f"ws://127.0.0.1:{livekit_port}",
            "AGENT_HTTP_PORT": str(agent_port),
            "NO_COLOR": "1",
        }
    )
    return env


@pytest.fixture()
def running_up(stack_env: dict[str, str], tmp_path: Path) -> Iterator[RunningUp]:
    process = subprocess.Popen(
        [sys.executable, "-m", "proctorai.cli", "up"],
        cwd=tmp_path,  # a newcomer may run it from anywhere
        env=stack_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = RunningUp(process, stack_env)
    try:
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_up_starts_every_service_and_ctrl_c_stops_them(running_up: RunningUp) -> None:
    env = running_up.env
    running_up.wait_for_line("ProctorAI is running", timeout=240)
    livekit_http = env["LIVEKIT_URL"].replace("ws://", "http://")
    api = env["PUBLIC_URL"]
    agent = f"http://127.0.0.1:{env['AGENT_HTTP_PORT']}/"
    assert _answers(livekit_http), "\n".join(running_up.lines[-30:])
    with urllib.request.urlopen(f"{api}/healthz", timeout=5) as response:
        assert json.load(response)["database"] == "ok"
    assert _answers(agent), "\n".join(running_up.lines[-30:])
    for name in ("livekit", "api", "agent"):
        running_up.wait_for_line(f"{name} | healthy", timeout=1)

    # `proctorai demo` (the whole scripted interview) is tested in tests/demo/.

    running_up.process.send_signal(signal.SIGINT)
    assert running_up.process.wait(timeout=60) == 0
    for name in ("agent", "api", "livekit"):
        running_up.wait_for_line(f"{name} | stopped", timeout=5)
    livekit_port = int(env["LIVEKIT_URL"].rsplit(":", 1)[1])
    api_port = int(api.rsplit(":", 1)[1])
    for port in (livekit_port, api_port, int(env["AGENT_HTTP_PORT"])):
        assert tcp_port_free(port), f"port {port} still in use after Ctrl-C"


@pytest.mark.integration  # a child process of the CLI (run in the body); no server
def test_up_explains_a_missing_livekit_server(stack_env: dict[str, str], tmp_path: Path) -> None:
    env = {**stack_env, "PATH": "/usr/bin:/bin"}
    # A copy of the package tree without .tools/bin: find_livekit_server must say what to do.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import proctorai.stack as s, pathlib, sys;"
            "s.REPO_ROOT = pathlib.Path(sys.argv[1]);"
            "from proctorai.cli import main; sys.exit(main(['up']))",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "livekit-server not found: run `make setup`" in result.stderr
