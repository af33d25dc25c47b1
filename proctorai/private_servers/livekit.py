"""A private, real livekit-server for the tests and the control API benchmark.

The repository's ``livekit.yaml`` is rendered with free ports (so a running dev stack
is never disturbed), the webhook pointed at a port the tests reserve for an API they
serve with uvicorn, and keys passed through ``LIVEKIT_KEYS`` (never on the command
line) with a secret of 32+ characters.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from proctorai.livekit_config import livekit_keys_arg, render_livekit_config, write_livekit_config
from proctorai.private_servers.ports import free_tcp_port, free_udp_port
from proctorai.stack import StackError, find_livekit_server, http_ok

MISSING_BINARY = (
    "livekit-server is not installed: run `make setup` (it builds livekit-server "
    "into .tools/bin), or put a livekit-server binary on PATH"
)


def livekit_binary() -> str:
    """The server binary, or an error telling how to get one."""
    try:
        return find_livekit_server()
    except StackError as exc:
        raise RuntimeError(MISSING_BINARY) from exc


@dataclass
class LiveKitServerProcess:
    """One livekit-server process with its own keys, ports and webhook target."""

    __test__ = False  # imported into test modules as TestLiveKitServer: not a test class

    api_key: str = "proctorai-test"
    api_secret: str = field(default_factory=lambda: secrets.token_urlsafe(36))
    port: int = field(default_factory=free_tcp_port)
    webhook_port: int = field(default_factory=free_tcp_port)
    process: subprocess.Popen[bytes] | None = None
    workdir: Path | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook_url(self) -> str:
        """Where the server posts webhooks: an API served on this port (tests, benchmark)."""
        return f"http://127.0.0.1:{self.webhook_port}/livekit/webhook"

    @property
    def log_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "livekit.log"

    def start(self, timeout: float = 30.0) -> None:
        binary = livekit_binary()
        self.workdir = Path(tempfile.mkdtemp(prefix="proctorai-livekit-"))
        config = render_livekit_config(
            self.api_key,
            port=self.port,
            rtc_tcp_port=free_tcp_port(),
            rtc_udp_port=free_udp_port(),
            webhook_urls=[self.webhook_url],
        )
        path = write_livekit_config(config, self.workdir / "livekit.yaml")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [binary, "--config", str(path)],
                env={**os.environ, "LIVEKIT_KEYS": livekit_keys_arg(self.api_key, self.api_secret)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while not http_ok(self.http_url):
            if self.process.poll() is not None:
                raise RuntimeError(f"livekit-server exited at start-up; see {self.log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"livekit-server did not answer in {timeout:.0f} s")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
