"""A dispatch made while no worker is registered is not lost: the API dispatches again.

livekit-server drops a dispatch when no worker of the agent's name is available ("not
dispatching agent job since no worker is available") and never retries it. Here the
candidate opens the link first, the worker registers only afterwards, and the agent must
still join the room: the control API's supervisor sees the room without an agent and
replaces the dispatch (once: the room never gets two agents).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from livekit import api as lkapi

from tests.agent.conftest import (
    LINK_SECRET,
    RECRUITER_KEY,
    SERVICE_TOKEN,
    RunningAPI,
    agent_settings,
    create_interview,
    open_link,
    running_worker,
)
from tests.support.livekit_server import TestLiveKitServer
from tests.support.served_api import served_api

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

JOIN_TIMEOUT = 2.0


@pytest.fixture
def supervised_api(tmp_path: Path, livekit_server: TestLiveKitServer) -> Iterator[RunningAPI]:
    with served_api(
        tmp_path / "api",
        livekit_server,
        recruiter_key=RECRUITER_KEY,
        service_token=SERVICE_TOKEN,
        link_secret=LINK_SECRET,
        agent_name=f"proctorai-retry-{secrets.token_hex(4)}",
        agent_join_timeout=JOIN_TIMEOUT,
        agent_check_interval=0.5,
    ) as api:
        yield api


async def _agents(livekit: TestLiveKitServer, room: str) -> list[str]:
    async with lkapi.LiveKitAPI(livekit.http_url, livekit.api_key, livekit.api_secret) as client:
        found = await client.room.list_participants(lkapi.ListParticipantsRequest(room=room))
    return [p.identity for p in found.participants if p.identity.startswith("agent-")]


async def test_a_dispatch_dropped_for_want_of_a_worker_is_made_again(
    tmp_path: Path, supervised_api: RunningAPI, livekit_server: TestLiveKitServer
) -> None:
    interview = await create_interview(supervised_api, question_count=1, duration_minutes=5)
    await open_link(supervised_api, interview["candidate_link"])  # dispatched: no worker yet
    room = f"interview-{interview['id']}"
    rooms = supervised_api.app.state.rooms
    assert rooms.dispatch_count(interview["id"]) == 1
    await asyncio.sleep(0.5)  # livekit-server has dropped it by now (no worker of that name)

    settings = agent_settings(tmp_path, supervised_api, livekit_server)
    async with running_worker(settings):
        registered_at = time.monotonic()
        deadline = registered_at + 60
        while not await _agents(livekit_server, room):
            assert time.monotonic() < deadline, "no agent ever joined the room"
            await asyncio.sleep(0.3)
        joined_after = time.monotonic() - registered_at
        dispatches = rooms.dispatch_count(interview["id"])
        assert dispatches >= 2  # dispatched again (more than once if the worker was slow)
        # a few more rounds of the supervisor: still exactly one agent, no new dispatch
        await asyncio.sleep(JOIN_TIMEOUT * 2)
        assert len(await _agents(livekit_server, room)) == 1
        assert rooms.dispatch_count(interview["id"]) == dispatches
    print(f"agent joined {joined_after:.1f} s after the worker registered")
