"""Fixtures for the agent's integration tests: the real control API and the real worker.

The control API app (``create_app``) is served by uvicorn on a free port with its own
SQLite database and the session's real livekit-server; the agent worker runs in this
process (thread job executor, HTTP port 0) registered under a unique agent name, so it
only receives the dispatches of these tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from livekit.agents import JobExecutorType

from agent.settings import AgentSettings
from agent.worker import ProctorAIServer, build_server
from tests.support.baseline import record_baseline_async
from tests.support.interviews import created, post_interview_async
from tests.support.livekit_server import TestLiveKitServer
from tests.support.served_api import ServedAPI, served_api

RECRUITER_KEY = "agent-tests-recruiter-key-0123456789"
SERVICE_TOKEN = "agent-tests-service-token-0123456789"
LINK_SECRET = "agent-tests-link-secret-0123456789abcdef"


RunningAPI = ServedAPI  # the name these tests (and others) import


@pytest.fixture
def agent_name() -> str:
    return f"proctorai-test-{secrets.token_hex(4)}"


@pytest.fixture
def control_api(
    tmp_path: Path, livekit_server: TestLiveKitServer, agent_name: str
) -> Iterator[RunningAPI]:
    with served_api(
        tmp_path / "api",
        livekit_server,
        recruiter_key=RECRUITER_KEY,
        service_token=SERVICE_TOKEN,
        link_secret=LINK_SECRET,
        agent_name=agent_name,
    ) as api:
        yield api


def agent_settings(
    tmp_path: Path, api: RunningAPI, livekit: TestLiveKitServer, **overrides: Any
) -> AgentSettings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "agent",
        "api_base_url": api.url,
        "service_token": SERVICE_TOKEN,
        "livekit_url": livekit.url,
        "livekit_api_key": livekit.api_key,
        "livekit_api_secret": livekit.api_secret,
        "agent_name": api.settings.agent_name,
        "agent_http_port": 0,
        "heartbeat_interval": 1.0,
        "proctor_poll_interval": 1.0,
        "enrollment_frames": 3,
        "answer_end_silence": 1.0,
        "answer_timeout": 15.0,
        "candidate_gone_grace": 10.0,
        "outbox_drain_timeout": 5.0,
        # the test machine's cores are shared with unrelated work: admit on job count
        # only here (the CPU share is covered by tests/agent/test_capacity.py)
        "agent_cpu_limit": None,
    }
    values.update(overrides)
    return AgentSettings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running_worker(settings: AgentSettings) -> AsyncIterator[ProctorAIServer]:
    """The real worker, in this process, registered with the livekit-server."""
    server = build_server(settings, job_executor_type=JobExecutorType.THREAD, port=0)
    registered = asyncio.Event()
    server.on("worker_registered", lambda *args: registered.set())
    task = asyncio.create_task(server.run(devmode=True))
    try:
        await asyncio.wait_for(registered.wait(), timeout=30)
        yield server
    finally:
        await server.aclose()
        await server.stop_leftover_flusher()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def create_interview(
    api: RunningAPI, *, question_count: int = 4, duration_minutes: int = 5, baseline: bool = True
) -> dict[str, Any]:
    """POST /interviews as a recruiter, with the demo resume and job description; then the
    candidate's accepted face and voice baseline (of the simulated candidate's face and
    speaker) through the join link, unless ``baseline`` is False."""
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
        response = await post_interview_async(
            http,
            api.recruiter,
            duration_minutes=duration_minutes,
            question_count=question_count,
            sensitivity="standard",
        )
    body = created(response)
    if baseline:
        await record_baseline_async(api.url, body["candidate_link"])
    return body


async def open_link(api: RunningAPI, link: str) -> dict[str, Any]:
    """What the candidate or proctor page does: exchange the link for a LiveKit token."""
    token = link.rsplit("/", 1)[1]
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
        response = await http.post(f"/links/{token}/session")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
