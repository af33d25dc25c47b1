"""The app served by a real uvicorn in a thread, configured the way ``proctorai up`` is.

``control_api.server.uvicorn_options`` gives the launcher's options; the tests pass the
same options with an app object instead of the factory's import string, so proxy
headers, host and port are what a running stack has. ``plain=True`` serves with
uvicorn's own defaults instead (someone running ``uvicorn`` by hand).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from control_api.app import create_app
from control_api.server import api_bind, uvicorn_options
from control_api.settings import Settings
from tests.api.conftest import make_settings
from tests.support.livekit_server import TestLiveKitServer, free_tcp_port
from tests.support.served_api import serving


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
    with serving(create_app(settings), options=options, timeout=timeout) as served:
        yield served.url
