"""Serve an app over real HTTP with uvicorn in a thread, for tests that need a port
(LiveKit's webhooks, concurrent clients)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI


@contextmanager
def serve(
    app: FastAPI,
    port: int | None = None,
    timeout: float = 20.0,
    options: dict[str, Any] | None = None,
) -> Iterator[str]:
    """Run ``app`` until the block ends; yields the base URL. On 127.0.0.1:``port``, or
    with ``options`` (uvicorn.Config's keywords, ``host`` and ``port`` among them)."""
    options = options or {"host": "127.0.0.1", "port": port, "log_level": "warning"}
    config = uvicorn.Config(app, lifespan="on", **options)
    server = uvicorn.Server(config)
    name = f"uvicorn-{options['port']}"
    thread = threading.Thread(target=server.run, name=name, daemon=True)
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
