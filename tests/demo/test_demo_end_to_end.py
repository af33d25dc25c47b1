"""`proctorai demo --json` for real: a private stack, the default media, the whole script.

The stack is `proctorai up` on its own ports and data folder (as in tests/test_cli_up.py),
so the report URL can be checked after the demo: the demo uses a running stack as it is.
The demo's own check must pass: every scripted anomaly detected, none false, nothing
reaching the candidate; and the report it points at must answer.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from proctorai.private_servers.worker import WorkerNotReady, ready_url, wait_ready

pytestmark = [pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_TIMEOUT = 480.0  # about 3 minutes on an idle machine; generous for a loaded one


def _free_base(size: int) -> int:
    """A base port with ``size`` consecutive free TCP ports on loopback."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            base = int(sock.getsockname()[1])
        if base + size < 65000 and all(
            socket.socket().connect_ex(("127.0.0.1", base + i)) != 0 for i in range(size)
        ):
            return base
    raise RuntimeError("no block of free ports found")


class Lines:
    """The lines a child process printed so far, read by a thread (which also keeps its
    pipe from filling up and blocking it)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def tail(self, count: int = 40) -> str:
        return "\n".join(self.lines[-count:])


@pytest.fixture()
def stack(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`proctorai up` with its own ports and DATA_DIR; yields its environment once the
    agent worker says it has registered with livekit-server (``GET /ready``: the demo's
    script runs on a clock, and a job dispatched earlier waits for the API's redispatch)."""
    base = _free_base(6)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LIVEKIT_", "DATABASE_", "OPENAI_", "AGENT_", "RECRUITER_"))
    }
    env.update(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "LIVEKIT_URL": f"ws://127.0.0.1:{base}",  # and base+1, base+2 for RTC
            "PUBLIC_URL": f"http://127.0.0.1:{base + 3}",
            "AGENT_HTTP_PORT": str(base + 4),
            # the only worker, on cores shared with unrelated work: admit on job count
            "AGENT_CPU_LIMIT": "",
            "NO_COLOR": "1",
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "proctorai.cli", "up"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = Lines(process)
        try:
            wait_ready(
                ready_url(int(env["AGENT_HTTP_PORT"])),
                timeout=300,
                alive=lambda: process.poll() is None,
                what="the worker of `proctorai up`",
            )
        except WorkerNotReady as exc:
            raise AssertionError(f"{exc}; last lines:\n{lines.tail()}") from None
        yield env
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_demo_detects_every_scripted_anomaly_and_nothing_else(stack: dict[str, str]) -> None:
    began = time.monotonic()
    demo = subprocess.run(
        [sys.executable, "-m", "proctorai.cli", "demo", "--json"],
        cwd=REPO_ROOT,
        env=stack,
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT,
    )
    output = demo.stdout + demo.stderr
    result = json.loads(demo.stdout.strip().splitlines()[-1])
    print(output)  # the readable summary, in the test log
    print(f"demo took {time.monotonic() - began:.0f} s")

    expected = {e["type"] for e in result["expected"]}
    assert expected == {"face_mismatch", "multiple_faces", "no_face", "voice_mismatch"}
    assert {d["type"] for d in result["detected"]} == expected, output
    assert result["missed"] == [], output
    assert result["false_anomalies"] == [], output
    assert result["candidate_received"] == 0
    assert all(d["latency"] > 0 for d in result["detected"])
    assert result["transcript_answers"] >= 1
    assert 0 <= result["impact_score"] < 100  # four anomalies cost points
    assert result["passed"] is True and demo.returncode == 0, output
    assert stack["PUBLIC_URL"] + "/proctor/" in demo.stdout  # printed for a person to watch

    secrets = json.loads((Path(stack["DATA_DIR"]) / "dev-secrets.json").read_text())
    request = urllib.request.Request(
        result["report_url"],
        headers={"Authorization": f"Bearer {secrets['recruiter_api_key']}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        assert result["interview_id"] in response.read().decode("utf-8")
    assert Path(result["report_file"]).is_file()
