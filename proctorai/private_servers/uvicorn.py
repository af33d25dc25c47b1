"""Serve an ASGI app with uvicorn in a background thread, stoppable and restartable.

The agent benchmarks serve the control API this way, and the tests put a real HTTP
server in front of the agent's client (the control API app, or a small recorder app) and
take it down and bring it back on the same port, which is what an API outage looks like
from the agent.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

from proctorai.private_servers.ports import free_tcp_port


class UvicornThread:
    """One uvicorn server on 127.0.0.1:``port`` running in a daemon thread.

    ``options`` are the ``uvicorn.Config`` keywords to use instead of the quiet defaults
    (``host`` and ``port`` among them: the security tests serve the API exactly as
    ``proctorai up`` configures it, access log and all).
    """

    def __init__(
        self, app: Any, port: int | None = None, options: dict[str, Any] | None = None
    ) -> None:
        self.app = app
        self.options = dict(options) if options is not None else {"log_level": "warning"}
        self.host = str(self.options.pop("host", "127.0.0.1"))
        self.port = int(self.options.pop("port", None) or port or free_tcp_port())
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        config = uvicorn.Config(
            self.app, host=self.host, port=self.port, lifespan="on", **self.options
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"uvicorn-{self.port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        self._server, self._thread = server, thread

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        self._server, self._thread = None, None

    def __enter__(self) -> UvicornThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
