"""The LiveKit worker: ``python -m agent.worker start`` (or ``dev``).

An :class:`~livekit.agents.AgentServer` with explicit dispatch under ``AGENT_NAME``: the
control API creates a dispatch (metadata ``{"interview_id": ...}``) when the candidate
opens the link, LiveKit offers the job to a worker with spare capacity, and
:func:`agent.job.run_interview` runs it. Load is the larger of running jobs over
``AGENT_MAX_JOBS`` and the machine's CPU use over ``AGENT_CPU_LIMIT``
(:mod:`agent.capacity`); requests beyond capacity are refused so another worker takes them.
The health check answers on ``AGENT_HTTP_PORT`` (``proctorai up`` polls it).
"""

from __future__ import annotations

import logging

from livekit.agents import (
    AgentServer,
    JobContext,
    JobExecutorType,
    JobProcess,
    JobRequest,
    cli,
)

from agent.api_client import ControlAPIClient
from agent.capacity import CapacityGate, CpuLoad
from agent.delivery import OutboxFlusher
from agent.job import run_interview
from agent.outbox import Outbox
from agent.settings import AgentSettings, get_settings

logger = logging.getLogger("proctorai.agent.worker")

_settings_override: AgentSettings | None = None
_gate: CapacityGate | None = None
_cpu: CpuLoad | None = None
_leftovers: tuple[OutboxFlusher, ControlAPIClient] | None = None


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


def start_leftover_flusher() -> None:
    """Deliver rows an earlier run left in the outbox (a crash, an API outage at exit).

    Jobs flush the outbox too, but a worker that restarts into an idle period would
    otherwise sit on them until its next job; this flusher runs in the worker process.
    """
    global _leftovers
    if _leftovers is not None:
        return
    settings = _settings()
    client = ControlAPIClient(settings.api_url, settings.secret("service_token"))
    flusher = OutboxFlusher(Outbox(settings.resolved_outbox_path), client)
    flusher.start()
    _leftovers = (flusher, client)


async def stop_leftover_flusher() -> None:
    global _leftovers
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
    server = AgentServer(
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
    )

    async def on_request(request: JobRequest) -> None:
        running = _running_ids(server)
        if not _capacity().try_reserve(request.id, running, cpu_load=_cpu_load().current()):
            logger.info("job refused: worker at capacity", extra={"job_id": request.id})
            await request.reject(terminate=False)  # another worker may take it
            return
        try:
            await request.accept(name="Interviewer", identity=f"agent-{request.id}")
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
