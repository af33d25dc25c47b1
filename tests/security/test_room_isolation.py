"""Real rooms on the real livekit-server: what a candidate's token can and cannot do.

Extends ``tests/api/test_livekit_room.py`` (which shows a broadcast from the
candidate never arrives and an anomaly addressed to the proctor reaches only the
proctor) with the attacks that test does not try:
- interview A's candidate token cannot get into interview B's room: the grant names
  room A, and rewriting it breaks the signature;
- the candidate's data, even addressed to the agent or the proctor by identity,
  reaches nobody; nor does the hidden proctor's;
- anomalies and status heartbeats go to the proctor only, on every topic;
- reopening the candidate link gives the same identity, so a second device replaces
  the first instead of joining beside it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from livekit import api as lkapi
from livekit import rtc

from control_api.app import create_app
from tests.api import documents
from tests.api.conftest import RECRUITER_KEY, make_settings
from tests.security.credentials import token_of
from tests.support.baseline import record_baseline
from tests.support.interviews import created, post_interview
from tests.support.livekit_server import TestLiveKitServer

AGENT = "agent-under-test"


@pytest.fixture
def client(tmp_path: Path, livekit_server: TestLiveKitServer) -> Iterator[TestClient]:
    settings = make_settings(
        tmp_path / "data", f"sqlite:///{tmp_path / 'db.sqlite'}", livekit_server
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def _interview(client: TestClient) -> dict[str, str]:
    response = post_interview(
        client,
        {"Authorization": f"Bearer {RECRUITER_KEY}"},
        title="Isolation check",
        candidate_name="Ada Example",
        candidate_email="ada@example.com",
        job_description="\n".join(documents.JOB_LINES),
        resume=("cv.txt", b"Python developer", "text/plain"),
    )
    body: dict[str, str] = created(response)
    record_baseline(client, body["candidate_link"])
    return body


def _session(client: TestClient, link: str) -> dict[str, str]:
    opened = client.post(f"/links/{token_of(link)}/session")
    assert opened.status_code == 200, opened.text
    session: dict[str, str] = opened.json()
    return session


def _agent_token(server: TestLiveKitServer, room: str) -> str:
    return (
        lkapi.AccessToken(server.api_key, server.api_secret)
        .with_identity(AGENT)
        .with_ttl(timedelta(minutes=10))
        .with_grants(lkapi.VideoGrants(room_join=True, room=room, can_publish_data=True))
        .to_jwt()
    )


def _rewrite_room(token: str, room: str) -> str:
    """The token with its grant's room changed and its signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["video"]["room"] = room
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


class Inbox:
    def __init__(self, room: rtc.Room) -> None:
        self.packets: list[tuple[str, bytes]] = []
        room.on("data_received", lambda p: self.packets.append((p.topic or "", bytes(p.data))))


async def _eventually(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def _participants(server: TestLiveKitServer, room: str) -> set[str]:
    async with lkapi.LiveKitAPI(server.http_url, server.api_key, server.api_secret) as lk:
        listed = await lk.room.list_participants(lkapi.ListParticipantsRequest(room=room))
    return {p.identity for p in listed.participants}


async def test_a_candidate_token_opens_its_own_room_only(
    client: TestClient, livekit_server: TestLiveKitServer
) -> None:
    a, b = _interview(client), _interview(client)
    token_a = _session(client, a["candidate_link"])["livekit_token"]
    claims = lkapi.TokenVerifier(livekit_server.api_key, livekit_server.api_secret).verify(token_a)
    assert claims.video is not None and claims.video.room == a["room"]

    b_candidate = rtc.Room()
    intruder = rtc.Room()
    try:
        await b_candidate.connect(
            livekit_server.url, _session(client, b["candidate_link"])["livekit_token"]
        )
        # A's token with B's room written into its grant: the signature no longer holds.
        with pytest.raises(rtc.ConnectError):
            await intruder.connect(livekit_server.url, _rewrite_room(token_a, b["room"]))
        # A's token as issued lands in A's room, never in B's.
        await intruder.connect(livekit_server.url, token_a)
        assert intruder.name == a["room"]
        await asyncio.sleep(0.5)
        assert f"candidate-{a['id']}" not in b_candidate.remote_participants
        assert await _participants(livekit_server, b["room"]) == {f"candidate-{b['id']}"}
    finally:
        await intruder.disconnect()
        await b_candidate.disconnect()


async def test_only_the_agent_reaches_the_proctor_and_nobody_hears_the_candidate(
    client: TestClient, livekit_server: TestLiveKitServer
) -> None:
    body = _interview(client)
    candidate_session = _session(client, body["candidate_link"])
    proctor_session = _session(client, body["proctor_link"])
    candidate, proctor, agent = rtc.Room(), rtc.Room(), rtc.Room()
    inbox = {"candidate": Inbox(candidate), "proctor": Inbox(proctor), "agent": Inbox(agent)}
    try:
        await agent.connect(livekit_server.url, _agent_token(livekit_server, body["room"]))
        await candidate.connect(livekit_server.url, candidate_session["livekit_token"])
        await proctor.connect(livekit_server.url, proctor_session["livekit_token"])
        await _eventually(
            lambda: candidate_session["identity"] in agent.remote_participants, 10, "the candidate"
        )
        # The candidate addresses the agent and the proctor by name; the proctor tries too.
        for sender, targets in (
            (candidate, [AGENT, proctor_session["identity"]]),
            (proctor, [AGENT, candidate_session["identity"]]),
        ):
            with contextlib.suppress(Exception):  # refusing outright is fine too
                await sender.local_participant.publish_data(
                    b"forged",
                    reliable=True,
                    topic="proctoring.anomaly",
                    destination_identities=targets,
                )
        # The agent sends the proctor an anomaly and a heartbeat, by identity.
        for topic in ("proctoring.anomaly", "proctoring.status"):
            await agent.local_participant.publish_data(
                json.dumps({"v": 1, "topic": topic}).encode(),
                reliable=True,
                topic=topic,
                destination_identities=[proctor_session["identity"]],
            )
        await _eventually(lambda: len(inbox["proctor"].packets) >= 2, 10, "the proctor's messages")
        await asyncio.sleep(1.5)  # room for anything misrouted to arrive
        assert sorted(topic for topic, _ in inbox["proctor"].packets) == [
            "proctoring.anomaly",
            "proctoring.status",
        ]
        assert inbox["candidate"].packets == []
        assert inbox["agent"].packets == []
    finally:
        for room in (candidate, proctor, agent):
            await room.disconnect()


async def test_reopening_the_link_replaces_the_first_device(
    client: TestClient, livekit_server: TestLiveKitServer
) -> None:
    body = _interview(client)
    first_device, second_device = rtc.Room(), rtc.Room()
    try:
        await first_device.connect(
            livekit_server.url, _session(client, body["candidate_link"])["livekit_token"]
        )
        await second_device.connect(
            livekit_server.url, _session(client, body["candidate_link"])["livekit_token"]
        )
        await _eventually(lambda: not first_device.isconnected(), 10, "the first device to drop")
        assert second_device.isconnected()
        assert await _participants(livekit_server, body["room"]) == {f"candidate-{body['id']}"}
    finally:
        await first_device.disconnect()
        await second_device.disconnect()
