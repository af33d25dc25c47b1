"""The stack the fault tests break: the control API (uvicorn thread) and worker processes.

The API is served on the port the session's livekit-server posts its webhooks to, so
``participant_joined``/``participant_left`` reach it as in production; it can be stopped
and started again on that port with the same database (an API outage). Workers are real
``python -m agent.worker start`` processes, each in its own process group (the worker and
its job processes, like a container) with its own ``DATA_DIR`` (so its own outbox), and
can be killed with SIGKILL.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from livekit import api as lkapi

from control_api.app import create_app
from control_api.settings import Settings
from proctorai.private_servers import UvicornThread, start_worker
from proctorai.private_servers import free_tcp_port as free_port
from proctorai.private_servers.worker import WorkerProcess as StartedWorker
from tests.support.baseline import record_baseline_async
from tests.support.interviews import created, post_interview_async
from tests.support.livekit_server import TestLiveKitServer
from tests.support.served_api import Stored, stored_rows

REPO_ROOT = Path(__file__).resolve().parents[2]
RECRUITER_KEY = "fault-tests-recruiter-key-0123456789"
SERVICE_TOKEN = "fault-tests-service-token-0123456789"
LINK_SECRET = "fault-tests-link-secret-0123456789abcdef"

# Offline interviewer timings of the workers: short answers, fast speech, and a grace
# long enough for the candidate's reconnect (longer than candidate_left's 10 s debounce).
WORKER_ENV = {
    "AGENT_MAX_JOBS": "2",  # two warm job processes per worker: the machine has 2 cores
    "AGENT_CPU_LIMIT": "",  # admit on job count only: the test machine is shared
    "HEARTBEAT_INTERVAL": "1",
    "PROCTOR_POLL_INTERVAL": "1",
    "ENROLLMENT_FRAMES": "3",
    "ANSWER_TIMEOUT": "6",
    "ANSWER_END_SILENCE": "1.0",
    "CANDIDATE_GONE_GRACE": "25",
    "OFFLINE_WORDS_PER_MINUTE": "220",
    "OUTBOX_DRAIN_TIMEOUT": "5",
    "OPENAI_API_KEY": "",
}


@dataclass
class WorkerProcess(StartedWorker):
    """One worker process group (readiness and log from :class:`StartedWorker`), its
    name and its data folder (a restarted worker reuses it, so its outbox)."""

    name: str
    data_dir: Path

    def kill(self) -> None:
        """SIGKILL the worker and its job processes at once (a crashed machine)."""
        if self.alive:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self) -> None:
        if self.alive:
            os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (the worker drains), then SIGKILL if it takes longer than ``timeout``."""
        self.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class FaultStack:
    """The API (restartable) and the workers of the fault tests."""

    workdir: Path
    livekit: TestLiveKitServer
    agent_name: str = field(default_factory=lambda: f"proctorai-faults-{secrets.token_hex(3)}")
    workers: list[WorkerProcess] = field(default_factory=list)
    server: UvicornThread | None = None
    settings: Settings | None = None
    app: Any = None

    def start_api(self) -> None:
        if self.app is None:
            self.settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                data_dir=self.workdir / "api",
                public_url=f"http://127.0.0.1:{self.livekit.webhook_port}",
                recruiter_api_key=RECRUITER_KEY,  # type: ignore[arg-type]
                service_token=SERVICE_TOKEN,  # type: ignore[arg-type]
                link_secret=LINK_SECRET,  # type: ignore[arg-type]
                livekit_url=self.livekit.url,
                livekit_api_key=self.livekit.api_key,
                livekit_api_secret=self.livekit.api_secret,  # type: ignore[arg-type]
                agent_name=self.agent_name,
                room_departure_timeout=20,
                room_empty_timeout=60,
                agent_join_timeout=3.0,
                agent_check_interval=1.0,
                agent_start_timeout=30.0,
                log_level="WARNING",
            )
            self.app = create_app(self.settings)
        self.server = UvicornThread(self.app, port=self.livekit.webhook_port)
        self.server.start()

    def stop_api(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.livekit.webhook_port}"

    @property
    def recruiter(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {RECRUITER_KEY}"}

    def start_worker(self, name: str, data_dir: Path | None = None) -> WorkerProcess:
        """Start a worker process (not waiting for it to register)."""
        data_dir = data_dir or self.workdir / f"worker-{name}"
        data_dir.mkdir(parents=True, exist_ok=True)
        log = self.workdir / f"worker-{name}-{len(self.workers)}.log"
        env = {
            **os.environ,
            **WORKER_ENV,
            "DATA_DIR": str(data_dir),
            "CONTROL_API_URL": self.url,
            "SERVICE_TOKEN": SERVICE_TOKEN,
            "LIVEKIT_URL": self.livekit.url,
            "LIVEKIT_API_KEY": self.livekit.api_key,
            "LIVEKIT_API_SECRET": self.livekit.api_secret,
            "AGENT_NAME": self.agent_name,
        }
        # its own process group: killed with its jobs
        started = start_worker(env, log, free_port(), cwd=REPO_ROOT, own_session=True)
        worker = WorkerProcess(started.process, started.port, started.log, name, data_dir)
        self.workers.append(worker)
        return worker

    def worker_of(self, agent_identity: str) -> WorkerProcess:
        """The worker running the job of an agent participant (``agent-<job id>``)."""
        job = f'"job_id": "{agent_identity.removeprefix("agent-")}"'
        found = [w for w in self.workers if w.alive and job in w.log_text()]
        assert len(found) == 1, f"{len(found)} workers claim job {agent_identity}"
        return found[0]

    def live_worker(self) -> WorkerProcess:
        """A registered, running worker (starting one if every worker is gone)."""
        for worker in self.workers:
            if worker.ready():
                return worker
        worker = self.start_worker(f"spare{len(self.workers)}")
        worker.wait_ready(timeout=90)
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            worker.terminate()  # all at once: each drains in parallel
        for worker in self.workers:
            worker.stop(timeout=10)
        self.stop_api()

    # --- the API's side ------------------------------------------------------------------

    async def create_interview(self, *, questions: int, minutes: int = 5) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            response = await post_interview_async(
                http,
                self.recruiter,
                duration_minutes=minutes,
                question_count=questions,
                sensitivity="standard",
            )
        body = created(response)
        await record_baseline_async(self.url, body["candidate_link"])
        return body

    async def open_link(self, link: str) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            response = await http.post(f"/links/{link.rsplit('/', 1)[1]}/session")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def status(self, interview_id: str) -> str | None:
        """The interview's status, or None while the API is down."""
        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=10) as http:
                response = await http.get(f"/interviews/{interview_id}", headers=self.recruiter)
        except httpx.TransportError:
            return None
        return str(response.json()["status"])

    def stored(self, interview_id: str) -> Stored:
        return stored_rows(self.app.state.engine, interview_id)

    async def agents_in_room(self, interview_id: str) -> set[str]:
        """The agent participants in the interview's room, asked of livekit-server."""
        async with lkapi.LiveKitAPI(
            self.livekit.http_url, self.livekit.api_key, self.livekit.api_secret
        ) as client:
            found = await client.room.list_participants(
                lkapi.ListParticipantsRequest(room=f"interview-{interview_id}")
            )
        return {p.identity for p in found.participants if p.identity.startswith("agent-")}
