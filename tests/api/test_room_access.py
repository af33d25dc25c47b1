"""Who can be in an interview's room, and for how long (issue 11, items 4 and 5).

Through a served API (LiveKit's webhooks reach it) and the real livekit-server:
- a proctor link is one hidden identity: reopening it replaces the last, so reloading the
  proctor page can never fill the room against the candidate; concurrent proctors are
  capped, the cap never counts against the candidate or the agent, and the recruiter sees
  who watched;
- LiveKit tokens live minutes, not hours; cancelling removes everyone and no token can
  re-create the room; re-issuing links removes the holders of the old ones, and a
  still-valid old token that joins again is removed at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from livekit import api as lkapi
from livekit import rtc

from control_api.app import create_app
from tests.api.conftest import RECRUITER_KEY, make_settings
from tests.support.baseline import link_token, record_baseline_async
from tests.support.interviews import created, post_interview_async
from tests.support.livekit_server import TestLiveKitServer
from tests.support.served_api import serving

HEADERS = {"Authorization": f"Bearer {RECRUITER_KEY}"}


@asynccontextmanager
async def _served(
    tmp_path: Path, livekit: TestLiveKitServer, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    port = livekit.webhook_port
    settings = make_settings(
        tmp_path / "data",
        f"sqlite:///{tmp_path / 'proctorai.db'}",
        livekit,
        public_url=f"http://127.0.0.1:{port}",
        agent_check_interval=0,  # no agent in these tests: no supervision
        **overrides,
    )
    with serving(create_app(settings), port) as served:
        base = served.url
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            yield http


async def _interview(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await post_interview_async(
        http,
        HEADERS,
        title="Room access check",
        candidate_name="Ada Example",
        candidate_email="ada@example.com",
        job_description="Backend engineer: Python, PostgreSQL.",
        resume=("cv.txt", b"Python developer", "text/plain"),
    )
    body = created(response)
    await record_baseline_async(str(http.base_url), body["candidate_link"])
    return body


async def _session(http: httpx.AsyncClient, link: str) -> httpx.Response:
    return await http.post(f"/links/{link_token(link)}/session")


async def _eventually(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def _participants(livekit: TestLiveKitServer, room: str) -> set[str]:
    async with lkapi.LiveKitAPI(livekit.http_url, livekit.api_key, livekit.api_secret) as client:
        found = await client.room.list_participants(lkapi.ListParticipantsRequest(room=room))
    return {p.identity for p in found.participants}


async def _rooms(livekit: TestLiveKitServer, name: str) -> list[str]:
    async with lkapi.LiveKitAPI(livekit.http_url, livekit.api_key, livekit.api_secret) as client:
        found = await client.room.list_rooms(lkapi.ListRoomsRequest(names=[name]))
    return [room.name for room in found.rooms]


async def test_reopening_a_proctor_link_never_fills_the_room(
    tmp_path: Path, livekit_server: TestLiveKitServer
) -> None:
    rooms: list[rtc.Room] = []
    async with _served(tmp_path, livekit_server) as http:
        interview = await _interview(http)
        try:
            identities = set()
            for _ in range(7):  # a proctor reloading the page, or opening it in seven tabs
                answer = await _session(http, interview["proctor_link"])
                assert answer.status_code == 200, answer.text
                identities.add(answer.json()["identity"])
                room = rtc.Room()
                rooms.append(room)
                await room.connect(livekit_server.url, answer.json()["livekit_token"])
            assert len(identities) == 1  # one identity per link: each opening replaces the last
            (proctor,) = identities

            candidate = await _session(http, interview["candidate_link"])
            assert candidate.status_code == 200, candidate.text
            joined = rtc.Room()
            rooms.append(joined)
            await joined.connect(livekit_server.url, candidate.json()["livekit_token"])

            async def settled() -> bool:
                return await _participants(livekit_server, interview["room"]) == {
                    proctor,
                    candidate.json()["identity"],
                }

            await _eventually(settled, 15, "one proctor and the candidate in the room")
        finally:
            for room in rooms:
                await room.disconnect()


async def test_concurrent_proctors_are_capped_and_the_recruiter_sees_who_watched(
    tmp_path: Path, livekit_server: TestLiveKitServer
) -> None:
    rooms: list[rtc.Room] = []
    async with _served(tmp_path, livekit_server, max_proctors=2) as http:
        interview = await _interview(http)
        extra = await http.post(
            f"/interviews/{interview['id']}/proctor-links",
            headers=HEADERS,
            json={"label": "Hiring manager"},
        )
        assert extra.status_code == 201, extra.text
        third = await http.post(
            f"/interviews/{interview['id']}/proctor-links",
            headers=HEADERS,
            json={"label": "Second reviewer"},
        )
        assert third.status_code == 201, third.text
        try:
            for link in (interview["proctor_link"], extra.json()["url"]):
                answer = await _session(http, link)
                assert answer.status_code == 200, answer.text
                room = rtc.Room()
                rooms.append(room)
                await room.connect(livekit_server.url, answer.json()["livekit_token"])

            async def two_watching() -> bool:
                found = await _participants(livekit_server, interview["room"])
                return len([p for p in found if p.startswith("proctor-")]) == 2

            await _eventually(two_watching, 15, "two proctors in the room")
            refused = await _session(http, third.json()["url"])
            assert refused.status_code == 409, refused.text
            assert "2 proctors are already watching" in refused.json()["detail"]

            # The cap never counts against the candidate.
            candidate = await _session(http, interview["candidate_link"])
            assert candidate.status_code == 200, candidate.text
            joined = rtc.Room()
            rooms.append(joined)
            await joined.connect(livekit_server.url, candidate.json()["livekit_token"])

            async def recorded() -> bool:
                detail = (await http.get(f"/interviews/{interview['id']}", headers=HEADERS)).json()
                return len(detail["proctor_visits"]) == 2

            await _eventually(recorded, 15, "the proctors' joins recorded from the webhooks")
            detail = (await http.get(f"/interviews/{interview['id']}", headers=HEADERS)).json()
            labels = {s["label"] for s in detail["proctor_visits"]}
            assert labels == {"Proctor", "Hiring manager"}
            assert all(s["joined_at"] for s in detail["proctor_visits"])
            assert {link["label"] for link in detail["proctor_links"]} == {
                "Proctor",
                "Hiring manager",
                "Second reviewer",
            }
        finally:
            for room in rooms:
                await room.disconnect()


async def test_livekit_tokens_live_minutes(
    tmp_path: Path, livekit_server: TestLiveKitServer
) -> None:
    async with _served(tmp_path, livekit_server) as http:
        interview = await _interview(http)
        for link in (interview["candidate_link"], interview["proctor_link"]):
            answer = (await _session(http, link)).json()
            claims = jwt.decode(answer["livekit_token"], options={"verify_signature": False})
            assert claims["exp"] - time.time() <= 15 * 60


async def test_cancel_removes_everyone_and_old_tokens_cannot_recreate_the_room(
    tmp_path: Path, livekit_server: TestLiveKitServer
) -> None:
    async with _served(tmp_path, livekit_server) as http:
        interview = await _interview(http)
        token = (await _session(http, interview["candidate_link"])).json()["livekit_token"]
        candidate = rtc.Room()
        await candidate.connect(livekit_server.url, token)
        cancelled = await http.post(f"/interviews/{interview['id']}/cancel", headers=HEADERS)
        assert cancelled.status_code == 200, cancelled.text

        async def gone() -> bool:
            return candidate.connection_state != rtc.ConnectionState.CONN_CONNECTED

        await _eventually(gone, 15, "the candidate removed by the cancellation")
        await candidate.disconnect()

        # The candidate's token has not expired yet: it must not bring the room back.
        again = rtc.Room()
        with pytest.raises(rtc.ConnectError):
            await again.connect(livekit_server.url, token)
        await again.disconnect()
        assert await _rooms(livekit_server, interview["room"]) == []


async def test_reissued_links_remove_the_old_holders_and_their_tokens(
    tmp_path: Path, livekit_server: TestLiveKitServer
) -> None:
    rooms: list[rtc.Room] = []
    async with _served(tmp_path, livekit_server) as http:
        interview = await _interview(http)
        old_proctor = (await _session(http, interview["proctor_link"])).json()
        old_candidate = (await _session(http, interview["candidate_link"])).json()
        try:
            watching, answering = rtc.Room(), rtc.Room()
            rooms += [watching, answering]
            await watching.connect(livekit_server.url, old_proctor["livekit_token"])
            await answering.connect(livekit_server.url, old_candidate["livekit_token"])
            reissued = await http.post(f"/interviews/{interview['id']}/links", headers=HEADERS)
            assert reissued.status_code == 200, reissued.text

            async def both_removed() -> bool:
                return not (
                    {old_proctor["identity"], old_candidate["identity"]}
                    & await _participants(livekit_server, interview["room"])
                )

            await _eventually(both_removed, 15, "the old links' holders removed")

            # The old proctor token is still valid for LiveKit: joining with it again
            # lasts only until the API hears of the join.
            late = rtc.Room()
            rooms.append(late)
            await late.connect(livekit_server.url, old_proctor["livekit_token"])

            async def removed_again() -> bool:
                return old_proctor["identity"] not in await _participants(
                    livekit_server, interview["room"]
                )

            await _eventually(removed_again, 15, "the revoked proctor removed on joining")

            # The new links work.
            fresh = await _session(http, reissued.json()["proctor_link"])
            assert fresh.status_code == 200, fresh.text
            assert fresh.json()["identity"] != old_proctor["identity"]
        finally:
            for room in rooms:
                await room.disconnect()


async def _dispatched(livekit: TestLiveKitServer, room: str) -> list[str]:
    async with lkapi.LiveKitAPI(livekit.http_url, livekit.api_key, livekit.api_secret) as client:
        found = await client.agent_dispatch.list_dispatch(room)
    return [d.id for d in found if d.agent_name == "proctorai-interviewer"]


async def test_a_replaced_candidate_token_starts_nothing(
    tmp_path: Path, livekit_server: TestLiveKitServer
) -> None:
    """Whoever holds the candidate's old LiveKit token after a re-issue (a leaked link) is
    removed, and their join neither starts the interview nor summons the agent."""
    rooms: list[rtc.Room] = []
    async with _served(tmp_path, livekit_server) as http:
        interview = await _interview(http)
        old = (await _session(http, interview["candidate_link"])).json()
        async with lkapi.LiveKitAPI(
            livekit_server.http_url, livekit_server.api_key, livekit_server.api_secret
        ) as client:  # the dispatch the old link's opening made is not the question here
            for dispatch in await _dispatched(livekit_server, interview["room"]):
                await client.agent_dispatch.delete_dispatch(dispatch, interview["room"])
        reissued = await http.post(f"/interviews/{interview['id']}/links", headers=HEADERS)
        assert reissued.status_code == 200, reissued.text
        try:
            intruder = rtc.Room()
            rooms.append(intruder)
            await intruder.connect(livekit_server.url, old["livekit_token"])

            async def removed() -> bool:
                return old["identity"] not in await _participants(livekit_server, interview["room"])

            await _eventually(removed, 15, "the old candidate token's holder removed")
            detail = (await http.get(f"/interviews/{interview['id']}", headers=HEADERS)).json()
            assert detail["status"] == "ready"  # not started by the intruder
            assert await _dispatched(livekit_server, interview["room"]) == []
        finally:
            for room in rooms:
                await room.disconnect()


async def test_proctors_opening_at_once_never_pass_the_cap(
    tmp_path: Path, livekit_server: TestLiveKitServer
) -> None:
    """Two proctor links opened at the same moment both get a token; the later join leaves,
    so the room keeps its place for the candidate."""
    rooms: list[rtc.Room] = []
    async with _served(tmp_path, livekit_server, max_proctors=1) as http:
        interview = await _interview(http)
        extra = await http.post(
            f"/interviews/{interview['id']}/proctor-links", headers=HEADERS, json={}
        )
        assert extra.status_code == 201, extra.text
        first = await _session(http, interview["proctor_link"])
        second = await _session(http, extra.json()["url"])  # before the first has joined
        assert first.status_code == 200 and second.status_code == 200
        try:
            for answer in (first, second):
                room = rtc.Room()
                rooms.append(room)
                await room.connect(livekit_server.url, answer.json()["livekit_token"])

            async def one_left() -> bool:
                found = await _participants(livekit_server, interview["room"])
                return found == {first.json()["identity"]}

            await _eventually(one_left, 15, "the proctor past the cap removed")
            candidate = await _session(http, interview["candidate_link"])
            joined = rtc.Room()
            rooms.append(joined)
            await joined.connect(livekit_server.url, candidate.json()["livekit_token"])
        finally:
            for room in rooms:
                await room.disconnect()
