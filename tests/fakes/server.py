"""Start and stop a local aiohttp application for a fake remote service.

The fakes must work in two settings: inside an async test, on the test's own
event loop (``async with``), and behind synchronous clients or code that runs
its own loop elsewhere (``with``), where the server needs a private loop in a
thread. Both bind 127.0.0.1 on a port the kernel picks, so parallel tests and
other helpers' servers never clash.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self, TypeVar

from aiohttp import web

T = TypeVar("T")

_HOST = "127.0.0.1"


class LocalAppServer:
    """An aiohttp application served on 127.0.0.1 and a free port.

    Subclasses implement :meth:`build_app`; this class owns the lifecycle.
    """

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def build_app(self) -> web.Application:
        """Return the application to serve; called once per start."""
        raise NotImplementedError

    async def on_stop(self) -> None:
        """Release what the fake holds open (e.g. WebSockets) before the runner stops."""

    @property
    def port(self) -> int:
        """The TCP port the server listens on (only while running)."""
        if self._port is None:
            raise RuntimeError("server is not running")
        return self._port

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>``, without any path."""
        return f"http://{_HOST}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (``.../v1``) that OpenAI clients take as ``base_url``."""
        return f"{self.origin}/v1"

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the server runs on."""
        if self._loop is None:
            raise RuntimeError("server is not running")
        return self._loop

    async def start(self) -> None:
        """Serve on the running loop."""
        self._loop = asyncio.get_running_loop()
        runner = web.AppRunner(self.build_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, _HOST, 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server), "aiohttp site has no listening socket"
        self._port = int(server.sockets[0].getsockname()[1])
        self._runner = runner

    async def stop(self) -> None:
        """Close open connections and stop serving."""
        if self._runner is None:
            return
        await self.on_stop()
        await self._runner.cleanup()
        self._runner = None
        self._port = None

    async def run_on_server_loop(self, make: Callable[[], Awaitable[T]]) -> T:
        """Await ``make()`` on the server's loop, from the server's loop or any other one."""
        loop = self.loop
        if asyncio.get_running_loop() is loop:
            return await make()

        async def _run() -> T:
            return await make()

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_run(), loop))

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __enter__(self) -> Self:
        loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def _serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as e:  # reported to the caller below
                failure.append(e)
                started.set()
                return
            started.set()
            loop.run_forever()

        self._thread = threading.Thread(target=_serve, name=type(self).__name__, daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            self._thread.join()
            loop.close()
            raise failure[0]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        loop = self.loop
        asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        assert self._thread is not None
        self._thread.join(timeout=30)
        loop.close()
        self._thread = None
        self._loop = None


async def wait_until(
    predicate: Callable[[], bool], *, timeout: float, interval: float = 0.02
) -> None:
    """Poll ``predicate`` until it holds; raise ``TimeoutError`` after ``timeout`` seconds.

    Polling (rather than an ``asyncio.Event``) works whether the fake runs on the
    caller's loop or on its own thread.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() >= deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(interval)
