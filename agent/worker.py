"""The LiveKit worker: ``python -m agent.worker start`` (or ``dev``).

An :class:`~livekit.agents.AgentServer` with explicit dispatch under ``AGENT_NAME``: the
control API creates a dispatch (metadata ``{"interview_id": ...}``) when the candidate
opens the link, LiveKit offers the job to a worker with spare capacity, and
:func:`agent.job.run_interview` runs it. Load is the larger of running jobs over
``AGENT_MAX_JOBS`` and the machine's CPU use over ``AGENT_CPU_LIMIT``
(:mod:`agent.capacity`); requests beyond capacity are refused so another worker takes them.
The health check answers on ``AGENT_HTTP_PORT`` (``proctorai up`` polls it): 503, with
the reason, while the control API refuses the service token or dead letters wait to be
reported (:mod:`agent.outbox_status`); the outbox's metrics are served on
``AGENT_PROMETHEUS_PORT`` when set.
"""

from __future__ import annotations

import asyncio
import logging

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

_settings_override: AgentSettings | None = None
_gate: CapacityGate | None = None
_cpu: CpuLoad | None = None
_leftovers: tuple[OutboxFlusher, ControlAPIClient] | None = None
_collector: OutboxCollector | None = None


def _settings() -> AgentSettings:
    return _settings_override or get_settings()


def _capacity() -> CapacityGate:
    global _gate
    if _gate is None or _gate.max_jobs != _settings().agent_max_jobs:
        _gate = CapacityGate(_settings().agent_max_jobs)
    return _gate


def _cpu_load() -> CpuLoad:
    global _cpu
    if _cpu is None or _cpu.limit != _settings().agent_cpu_limit:
        _cpu = CpuLoad(_settings().agent_cpu_limit)
    return _cpu


def _running_ids(server: AgentServer) -> list[str]:
    return [info.job.id for info in server.active_jobs]


def worker_load(server: AgentServer) -> float:
    """What LiveKit balances on, 0..1: the larger of the jobs share (running jobs over
    capacity; LiveKit adds the accepted-but-not-running ones itself) and the CPU share
    (machine CPU over its limit)."""
    return max(_capacity().load(_running_ids(server)), _cpu_load().sample())


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


async def entrypoint(ctx: JobContext) -> None:
    """One interview: module-level so job processes can import it."""
    await run_interview(ctx, _settings())


@web.middleware
async def outbox_health(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn livekit-agents' "OK" on ``GET /`` into a 503 with the reason while the outbox
    needs an operator (its other answers, and its own 503s, pass through)."""
    response = await handler(request)
    if request.path != "/" or response.status != 200 or _leftovers is None:
        return response
    try:
        status = await asyncio.to_thread(_leftovers[0].outbox.status)
    except Exception as exc:  # a closed or broken file is a problem too
        return web.Response(status=503, text=f"outbox file unreadable ({type(exc).__name__})")
    problem = health_problem(status)
    return response if problem is None else web.Response(status=503, text=problem)


class ProctorAIServer(AgentServer):
    """The AgentServer whose health answer also covers the outbox.

    livekit-agents 1.8.9 builds its health server inside ``run()`` and starts it before
    any hook runs, with no option for another check; the server's aiohttp app still takes
    a middleware between the two. So this class catches the assignment of that server
    (its private ``_http_server`` attribute: the version is pinned, and the health test
    goes through the real port, so an upgrade that changes it fails loudly) and adds
    :func:`outbox_health` to it.
    """

    @property  # type: ignore[override]
    def _http_server(self) -> HttpServer | None:
        server: HttpServer | None = self.__dict__.get("_proctorai_http_server")
        return server

    @_http_server.setter
    def _http_server(self, server: HttpServer | None) -> None:
        if server is not None:
            server.app.middlewares.append(outbox_health)
        self.__dict__["_proctorai_http_server"] = server


def start_leftover_flusher() -> None:
    """Deliver rows an earlier run left in the outbox (a crash, an API outage at exit).

    Jobs flush the outbox too, but a worker that restarts into an idle period would
    otherwise sit on them until its next job; this flusher runs in the worker process.
    """
    global _leftovers, _collector
    if _leftovers is not None:
        return
    settings = _settings()
    client = ControlAPIClient(settings.api_url, settings.secret("service_token"))
    flusher = OutboxFlusher(
        Outbox(settings.resolved_outbox_path),
        client,
        credentials_retry_cap=settings.outbox_credentials_retry_cap,
    )
    flusher.start()
    _leftovers = (flusher, client)
    _collector = OutboxCollector(flusher.outbox)
    REGISTRY.register(_collector)  # served by livekit-agents on AGENT_PROMETHEUS_PORT


async def stop_leftover_flusher() -> None:
    global _leftovers, _collector
    if _collector is not None:
        REGISTRY.unregister(_collector)
        _collector = None
    if _leftovers is None:
        return
    (flusher, client), _leftovers = _leftovers, None
    await flusher.aclose()
    flusher.outbox.close()
    await client.aclose()


def build_server(
    settings: AgentSettings | None = None,
    *,
    job_executor_type: JobExecutorType | None = None,
    port: int | None = None,
) -> AgentServer:
    """The worker for ``settings`` (tests pass their own, a thread executor and port 0)."""
    global _settings_override
    if settings is not None:
        _settings_override = settings
    current = _settings()
    server = ProctorAIServer(
        ws_url=current.livekit_url,
        api_key=current.livekit_api_key,
        api_secret=current.secret("livekit_api_secret"),
        host=current.agent_http_host,
        port=current.agent_http_port if port is None else port,
        load_fnc=worker_load,
        load_threshold=1.0,  # worker_load reaches 1.0 at AGENT_MAX_JOBS or AGENT_CPU_LIMIT
        # warm processes: a job starts at once instead of waiting 5-30 s for imports, and
        # LiveKit's load estimate for a first burst of requests is threshold / this
        num_idle_processes=min(3, current.agent_max_jobs),
        initialize_process_timeout=current.agent_process_init_timeout,
        job_executor_type=job_executor_type or JobExecutorType.PROCESS,
        setup_fnc=prepare_process,
        prometheus_port=current.agent_prometheus_port,
    )

    async def on_request(request: JobRequest) -> None:
        running = _running_ids(server)
        if not _capacity().try_reserve(request.id, running, cpu_load=_cpu_load().current()):
            logger.info("job refused: worker at capacity", extra={"job_id": request.id})
            await request.reject(terminate=False)  # another worker may take it
            return
        try:
            await request.accept(name="Interviewer", identity=agent_identity(request.id))
        except Exception:
            _capacity().release(request.id)
            raise

    server.rtc_session(entrypoint, agent_name=current.agent_name, on_request=on_request)
    server.on("worker_started", start_leftover_flusher)
    return server


def main() -> None:
    logging.getLogger("proctorai").setLevel(logging.INFO)
    cli.run_app(build_server())


if __name__ == "__main__":
    main()
