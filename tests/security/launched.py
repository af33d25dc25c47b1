"""The app served by a real uvicorn in a thread, configured the way ``proctorai up`` is.

``control_api.server.uvicorn_options`` gives the launcher's options; the tests pass the
same options with an app object instead of the factory's import string, so proxy
headers, host and port are what a running stack has. ``plain=True`` serves with
uvicorn's own defaults instead (someone running ``uvicorn`` by hand).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from control_api.app import create_app
from control_api.server import api_bind, uvicorn_options
from control_api.settings import Settings
from tests.api.conftest import make_settings
from tests.livekit_server import TestLiveKitServer, free_tcp_port


def launch_settings(
    data_dir: Path, database_url: str, livekit: TestLiveKitServer, **overrides: Any
) -> Settings:
    """The test settings, with a PUBLIC_URL on a free loopback port (the bind address)."""
    values: dict[str, Any] = {
        "public_url": f"http://127.0.0.1:{free_tcp_port()}",
        "maintenance_interval_seconds": 0,
        "agent_check_interval": 0,
    }
    values.update(overrides)
    return make_settings(data_dir, database_url, livekit, **values)


@contextmanager
def launched(settings: Settings, *, plain: bool = False, timeout: float = 20.0) -> Iterator[str]:
    """Serve ``create_app(settings)`` until the block ends; yields the base URL."""
    if plain:
        host, port = api_bind(settings)
        options: dict[str, Any] = {"host": host, "port": port}
    else:
        options = uvicorn_options(settings)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), **options))
    thread = threading.Thread(target=server.run, name="uvicorn-launched", daemon=True)
    thread.start()
    base = f"http://{options['host']}:{options['port']}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the API did not start at {base}")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=15)
