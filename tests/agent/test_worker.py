"""The worker on the real livekit-server: explicit dispatch, honest load, refusal at capacity."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from livekit import api
from livekit.agents import JobExecutorType

from agent.outbox import Outbox, OutboxKind
from agent.worker import build_server
from contracts.anomaly import AnomalyEvent, AnomalyState, AnomalyType, Severity, new_anomaly_id
from proctorai.private_servers import free_tcp_port as free_port
from proctorai.private_servers.worker import ready_url, wait_ready
from tests.agent.conftest import RunningAPI, agent_settings, create_interview, running_worker
from tests.support.livekit_server import TestLiveKitServer


async def _agents_in(lk: api.LiveKitAPI, room: str) -> list[str]:
    response = await lk.room.list_participants(api.ListParticipantsRequest(room=room))
    return [p.identity for p in response.participants if p.identity.startswith("agent-")]


async def test_a_full_worker_refuses_and_reports_its_load(
    tmp_path: Path, control_api: RunningAPI, livekit_server: TestLiveKitServer
) -> None:
    settings = agent_settings(tmp_path, control_api, livekit_server, agent_max_jobs=1)
    first = await create_interview(control_api)
    second = await create_interview(control_api)
    lk = api.LiveKitAPI(livekit_server.http_url, livekit_server.api_key, livekit_server.api_secret)
    try:
        async with running_worker(settings) as server:
            port = server.worker_info.http_port
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                assert (await http.get("/")).text == "OK"
                idle = (await http.get("/worker")).json()
                assert idle["agent_name"] == settings.agent_name
                assert idle.get("active_jobs", 0) == 0

                for interview in (first, second):
                    await lk.room.create_room(api.CreateRoomRequest(name=interview["room"]))
                    await lk.agent_dispatch.create_dispatch(
                        api.CreateAgentDispatchRequest(
                            agent_name=settings.agent_name,
                            room=interview["room"],
                            metadata=json.dumps({"interview_id": interview["id"]}),
                        )
                    )
                deadline = time.monotonic() + 30
                while not await _agents_in(lk, first["room"]):
                    assert time.monotonic() < deadline, "the first job never started"
                    await asyncio.sleep(0.5)
                await asyncio.sleep(5)  # time for the second request to be offered and refused

                assert len(server.active_jobs) == 1
                assert await _agents_in(lk, second["room"]) == []
                busy = (await http.get("/worker")).json()
                assert busy["active_jobs"] == 1
                assert busy["worker_load"] == pytest.approx(1.0)
    finally:
        await lk.aclose()


async def test_rows_left_in_the_outbox_are_delivered_when_the_worker_starts(
    tmp_path: Path, control_api: RunningAPI, livekit_server: TestLiveKitServer
) -> None:
    """An earlier run crashed with an event and a turn undelivered: a new worker sends them."""
    settings = agent_settings(tmp_path, control_api, livekit_server)
    interview = await create_interview(control_api)
    event = AnomalyEvent(
        id=new_anomaly_id(),
        interview_id=interview["id"],
        type=AnomalyType.NO_FACE,
        state=AnomalyState.ENDED,
        severity=Severity.MEDIUM,
        confidence=0.9,
        started_at=time.time() - 20,
        ended_at=time.time() - 5,
        confirmed_at=time.time() - 12,
    )
    outbox = Outbox(settings.resolved_outbox_path)
    outbox.put(
        OutboxKind.EVENT, interview["id"], event.idempotency_key, event.model_dump(mode="json")
    )
    turn = {"id": "turn-1", "role": "interviewer", "text": "Hello.", "started_at": time.time()}
    outbox.put(OutboxKind.TRANSCRIPT, interview["id"], "turn-1", turn)
    outbox.close()

    async with running_worker(settings):
        deadline = time.monotonic() + 20
        while True:
            async with httpx.AsyncClient(base_url=control_api.url) as http:
                detail = (
                    await http.get(f"/interviews/{interview['id']}", headers=control_api.recruiter)
                ).json()
            if detail["event_count"] == 1 and detail["transcript_turn_count"] == 1:
                break
            assert time.monotonic() < deadline, "leftover rows were not delivered"
            await asyncio.sleep(0.5)
    assert Outbox(settings.resolved_outbox_path).pending_count() == 0


async def _health(port: int) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
        return await http.get("/")


async def test_the_health_check_fails_while_the_api_refuses_the_service_token(
    tmp_path: Path, control_api: RunningAPI, livekit_server: TestLiveKitServer
) -> None:
    """A worker started with an old SERVICE_TOKEN answers 503 (and says why) while its
    deliveries are refused; restarted with the right one it delivers and is healthy."""
    wrong = "an-old-service-token-0123456789abcdef"
    metrics_port = free_port()
    settings = agent_settings(
        tmp_path,
        control_api,
        livekit_server,
        service_token=wrong,
        agent_prometheus_port=metrics_port,
    )
    interview = await create_interview(control_api, baseline=False)
    turn = {"id": "turn-h1", "role": "interviewer", "text": "Hello.", "started_at": time.time()}
    outbox = Outbox(settings.resolved_outbox_path)
    outbox.put(OutboxKind.TRANSCRIPT, interview["id"], "turn-h1", turn)
    outbox.close()

    async with running_worker(settings) as server:
        port = server.worker_info.http_port
        deadline = time.monotonic() + 20
        while (response := await _health(port)).status_code == 200:
            assert time.monotonic() < deadline, "the health check never reported the 401"
            await asyncio.sleep(0.2)
        assert response.status_code == 503
        assert "SERVICE_TOKEN" in response.text and "HTTP 401" in response.text
        assert wrong not in response.text
        async with httpx.AsyncClient(timeout=5) as http:
            metrics = (await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
        assert "proctorai_agent_outbox_credentials_refused 1.0" in metrics
        assert "proctorai_agent_outbox_pending 1.0" in metrics

    fixed = agent_settings(tmp_path, control_api, livekit_server)
    async with running_worker(fixed) as server:
        port = server.worker_info.http_port
        deadline = time.monotonic() + 20
        while (response := await _health(port)).status_code != 200:
            assert time.monotonic() < deadline, f"still unhealthy: {response.text}"
            await asyncio.sleep(0.2)
        assert response.text == "OK"
        assert Outbox(fixed.resolved_outbox_path).pending_count() == 0


@contextlib.asynccontextmanager
async def held_connection(target: str, gate: asyncio.Event) -> AsyncIterator[str]:
    """A TCP relay to ``target`` (``ws://host:port``) that connects nobody until ``gate``
    is set: the worker reaches the real livekit-server, only later."""
    host, port = urlsplit(target).hostname, urlsplit(target).port

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await gate.wait()
        upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    relay_server = await asyncio.start_server(relay, "127.0.0.1", 0)
    relay_port = relay_server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{relay_port}"
    finally:
        relay_server.close()


async def test_the_readiness_route_answers_only_once_the_worker_has_registered(
    tmp_path: Path, control_api: RunningAPI, livekit_server: TestLiveKitServer
) -> None:
    """``GET /ready`` says 503 while the worker's HTTP server is up but it has not yet
    registered with livekit-server (a dispatch then would be dropped), and 200 with the
    worker id once it has: what the demo, the benchmarks and the fault tests wait on
    instead of reading the log. The registration is held back by a relay in front of the
    real server, so the 503 is seen for certain."""
    gate = asyncio.Event()
    async with held_connection(livekit_server.url, gate) as held_url:
        settings = agent_settings(tmp_path, control_api, livekit_server, livekit_url=held_url)
        server = build_server(settings, job_executor_type=JobExecutorType.THREAD, port=0)
        started = asyncio.Event()
        server.on("worker_started", started.set)
        task = asyncio.create_task(server.run(devmode=True))
        try:
            await asyncio.wait_for(started.wait(), timeout=30)
            url = ready_url(server.worker_info.http_port)
            async with httpx.AsyncClient(timeout=5) as http:
                before = await http.get(url)
                assert before.status_code == 503
                assert before.text == "not registered with livekit-server yet"
                assert server.registered_id is None
                gate.set()
                deadline = time.monotonic() + 30
                while (after := await http.get(url)).status_code != 200:
                    assert time.monotonic() < deadline, f"never ready: {after.text}"
                    await asyncio.sleep(0.2)
            assert after.json() == {"worker_id": server.id}
            assert server.id != "unregistered"
            assert await asyncio.to_thread(wait_ready, url, 5) == server.id
        finally:
            gate.set()
            await server.aclose()
            await server.stop_leftover_flusher()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
