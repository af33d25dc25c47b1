"""The LiveKit worker: ``python -m agent.worker start`` (or ``dev``).

An :class:`~livekit.agents.AgentServer` with explicit dispatch under ``AGENT_NAME``: the
control API creates a dispatch (metadata ``{"interview_id": ...}``) when the candidate
opens the link, LiveKit offers the job to a worker with spare capacity, and
:func:`agent.job.run_interview` runs it. Load is the larger of running jobs over
``AGENT_MAX_JOBS`` and the machine's CPU use over ``AGENT_CPU_LIMIT``
(:mod:`agent.capacity`); requests beyond capacity are refused so another worker takes them.
The health check answers on ``AGENT_HTTP_PORT`` (``proctorai up`` polls it): 503, with
the reason, while the control API refuses the service token or dead letters wait to be
reported (:mod:`agent.outbox_status`); ``GET /ready`` on the same port answers 200 (with
the worker id) only once the worker has registered with livekit-server, since a dispatch
made before that is dropped. The outbox's metrics are served on ``AGENT_PROMETHEUS_PORT``
when set.

State lives where livekit-agents puts it (docs/architecture.md): the worker's own state
(settings, capacity gate, CPU meter, leftover flusher, registration) on the server
object, a job process's settings in ``proc.userdata``; nothing in module globals, so two
servers in one process (the tests) never see each other's settings.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from livekit.agents import (
    AgentServer,
    JobContext,
    JobExecutorType,
    JobProcess,
    JobRequest,
    cli,
)
from livekit.agents.utils.http_server import HttpServer
from prometheus_client import REGISTRY

from agent.api_client import ControlAPIClient
from agent.capacity import CapacityGate, CpuLoad
from agent.delivery import OutboxFlusher
from agent.job import run_interview
from agent.outbox import Outbox
from agent.outbox_status import OutboxCollector, health_problem
from agent.settings import AgentSettings, get_settings
from contracts.identities import agent_identity

logger = logging.getLogger("proctorai.agent.worker")

READY_PATH = "/ready"
"""The readiness route on ``AGENT_HTTP_PORT`` (:mod:`proctorai.private_servers.worker`
polls it)."""

SETTINGS_KEY = "proctorai.settings"
"""Where a job process keeps its :class:`AgentSettings` in ``proc.userdata``."""


@dataclass(frozen=True)
class ProcessSetup:
    """``setup_fnc`` of the worker: runs once in each job process before it takes a job.

    A picklable object rather than a closure, because livekit-agents sends it to each
    job subprocess. ``settings`` is None for the production worker: a fresh job process
    reads its own from the environment (:func:`get_settings`), as the worker did. A
    server built with explicit settings (the tests, in-process thread executor) passes
    them, so its jobs run with them and not with whatever the environment says.
    """

    settings: AgentSettings | None = None

    def __call__(self, proc: JobProcess) -> None:
        proc.userdata[SETTINGS_KEY] = self.settings or get_settings()
        prepare_process(proc)


def prepare_process(proc: JobProcess) -> None:
    """Run once in each job process before it takes a job (warm processes run it ahead).

    BLAS gets one thread: a worker runs many job processes on few cores, and each numpy
    library's default of one thread per core made every matrix product fight the other
    jobs for the same cores. The process-wide engines (the face and voice encoders) are
    read here, not in a job, so a candidate's proctoring starts without seconds of
    loading; dlib's detector and landmark models are per thread, so the engine pool's
    threads load their own.
    """
    from threadpoolctl import threadpool_limits

    from agent.proctor.engines import shared_voice_encoder
    from proctoring.face.models import shared_encoder

    threadpool_limits(limits=1)
    shared_encoder()
    shared_voice_encoder()


def job_settings(proc: JobProcess) -> AgentSettings:
    """The settings :class:`ProcessSetup` left in the job's process."""
    settings = proc.userdata.get(SETTINGS_KEY)
    return settings if isinstance(settings, AgentSettings) else get_settings()


async def entrypoint(ctx: JobContext) -> None:
    """One interview: module-level so job processes can import it."""
    await run_interview(ctx, job_settings(ctx.proc))


@dataclass
class _Leftovers:
    """The worker's own outbox flusher (rows earlier runs left) and what it reports."""

    flusher: OutboxFlusher
    client: ControlAPIClient
    collector: OutboxCollector


@web.middleware
async def outbox_health(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn livekit-agents' "OK" on ``GET /`` into a 503 with the reason while the outbox
    needs an operator (its other answers, and its own 503s, pass through)."""
    response = await handler(request)
    leftovers = request.app[SERVER_KEY].leftovers
    if request.path != "/" or response.status != 200 or leftovers is None:
        return response
    try:
        status = await asyncio.to_thread(leftovers.flusher.outbox.status)
    except Exception as exc:  # a closed or broken file is a problem too
        return web.Response(status=503, text=f"outbox file unreadable ({type(exc).__name__})")
    problem = health_problem(status)
    return response if problem is None else web.Response(status=503, text=problem)


async def readiness(request: web.Request) -> web.Response:
    """``GET /ready``: 200 with the worker id once registered with livekit-server, else 503.

    The health check answers as soon as the HTTP server is up, 20-40 s before the
    registration on a busy machine, and a dispatch made in between is dropped; whoever
    needs the worker to take a job now (the demo, the benchmarks, the tests) waits for
    this instead of reading its log.
    """
    worker_id = request.app[SERVER_KEY].registered_id
    if worker_id is None:
        return web.Response(status=503, text="not registered with livekit-server yet")
    return web.json_response({"worker_id": worker_id})


class ProctorAIServer(AgentServer):
    """The AgentServer of one worker, owning its settings and state.

    Its health answer also covers the outbox: livekit-agents 1.8.9 builds its health
    server inside ``run()`` and starts it before any hook runs, with no option for
    another check; the server's aiohttp app still takes a middleware and routes before it
    starts. So this class catches the assignment of that server (its private
    ``_http_server`` attribute: the version is pinned, and the health and readiness tests
    go through the real port, so an upgrade that changes it fails loudly) and adds
    :func:`outbox_health` and :func:`readiness` to it.
    """

    def __init__(self, settings: AgentSettings, **options: Any) -> None:
        self.settings = settings
        self.gate = CapacityGate(settings.agent_max_jobs)
        self.cpu = CpuLoad(settings.agent_cpu_limit)
        self.registered_id: str | None = None
        self.leftovers: _Leftovers | None = None
        super().__init__(load_fnc=self.worker_load, **options)
        self.on("worker_registered", self._registered)
        self.on("worker_started", self.start_leftover_flusher)

    @property  # type: ignore[override]
    def _http_server(self) -> HttpServer | None:
        server: HttpServer | None = self.__dict__.get("_proctorai_http_server")
        return server

    @_http_server.setter
    def _http_server(self, server: HttpServer | None) -> None:
        if server is not None:
            server.app[SERVER_KEY] = self
            server.app.middlewares.append(outbox_health)
            server.app.add_routes([web.get(READY_PATH, readiness)])
        self.__dict__["_proctorai_http_server"] = server

    def _registered(self, worker_id: str, *_: Any) -> None:
        self.registered_id = worker_id

    def running_ids(self) -> list[str]:
        return [info.job.id for info in self.active_jobs]

    def worker_load(self) -> float:
        """What LiveKit balances on, 0..1: the larger of the jobs share (running jobs over
        capacity; LiveKit adds the accepted-but-not-running ones itself) and the CPU share
        (machine CPU over its limit)."""
        return max(self.gate.load(self.running_ids()), self.cpu.sample())

    async def on_request(self, request: JobRequest) -> None:
        """Accept a job while there is room, else refuse it so another worker takes it."""
        if not self.gate.try_reserve(request.id, self.running_ids(), cpu_load=self.cpu.current()):
            logger.info("job refused: worker at capacity", extra={"job_id": request.id})
            await request.reject(terminate=False)  # another worker may take it
            return
        try:
            await request.accept(name="Interviewer", identity=agent_identity(request.id))
        except Exception:
            self.gate.release(request.id)
            raise

    def start_leftover_flusher(self) -> None:
        """Deliver rows an earlier run left in the outbox (a crash, an API outage at exit).

        Jobs flush the outbox too, but a worker that restarts into an idle period would
        otherwise sit on them until its next job; this flusher runs in the worker process.
        """
        if self.leftovers is not None:
            return
        settings = self.settings
        client = ControlAPIClient(settings.api_url, settings.secret("service_token"))
        flusher = OutboxFlusher(
            Outbox(settings.resolved_outbox_path),
            client,
            credentials_retry_cap=settings.outbox_credentials_retry_cap,
        )
        flusher.start()
        collector = OutboxCollector(flusher.outbox)
        self.leftovers = _Leftovers(flusher, client, collector)
        REGISTRY.register(collector)  # served by livekit-agents on AGENT_PROMETHEUS_PORT

    async def stop_leftover_flusher(self) -> None:
        if self.leftovers is None:
            return
        leftovers, self.leftovers = self.leftovers, None
        REGISTRY.unregister(leftovers.collector)
        await leftovers.flusher.aclose()
        leftovers.flusher.outbox.close()
        await leftovers.client.aclose()


SERVER_KEY = web.AppKey("proctorai_server", ProctorAIServer)
"""The server, in its health app: what :func:`outbox_health` and :func:`readiness` read."""


def build_server(
    settings: AgentSettings | None = None,
    *,
    job_executor_type: JobExecutorType | None = None,
    port: int | None = None,
) -> ProctorAIServer:
    """The worker for ``settings`` (tests pass their own, a thread executor and port 0);
    without them, the environment's (:func:`get_settings`), read again by each job
    process."""
    current = settings or get_settings()
    server = ProctorAIServer(
        current,
        ws_url=current.livekit_url,
        api_key=current.livekit_api_key,
        api_secret=current.secret("livekit_api_secret"),
        host=current.agent_http_host,
        port=current.agent_http_port if port is None else port,
        load_threshold=1.0,  # worker_load reaches 1.0 at AGENT_MAX_JOBS or AGENT_CPU_LIMIT
        # warm processes: a job starts at once instead of waiting 5-30 s for imports, and
        # LiveKit's load estimate for a first burst of requests is threshold / this
        num_idle_processes=min(3, current.agent_max_jobs),
        initialize_process_timeout=current.agent_process_init_timeout,
        job_executor_type=job_executor_type or JobExecutorType.PROCESS,
        setup_fnc=ProcessSetup(settings),
        prometheus_port=current.agent_prometheus_port,
    )
    server.rtc_session(entrypoint, agent_name=current.agent_name, on_request=server.on_request)
    return server


def main() -> None:
    logging.getLogger("proctorai").setLevel(logging.INFO)
    cli.run_app(build_server())


if __name__ == "__main__":
    main()
