"""End to end through the real livekit-server: links → tokens → rtc clients → webhooks.

The API is served over HTTP on the port the session's livekit-server sends its
webhooks to, so the lifecycle changes here come from LiveKit's own, signed
webhooks. Shown on real connections:
- the candidate token publishes a camera track but no data: a data packet from
  the candidate never arrives, while one from a client with data grants does;
- the proctor is hidden: the candidate never sees it, while it sees the candidate;
- the candidate joining starts the interview; the room finishing completes it.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path

import httpx
from livekit import api, rtc

from control_api.app import create_app
from control_api.livekit_rooms import candidate_identity
from tests.api import documents
from tests.api.conftest import RECRUITER_KEY, make_settings
from tests.support.baseline import record_baseline_async
from tests.support.interviews import created, post_interview_async
from tests.support.livekit_server import TestLiveKitServer
from tests.support.served_api import serving

AGENT_LIKE = "agent-under-test"


def _agent_like_token(server: TestLiveKitServer, room: str) -> str:
    """A client with the grants the real agent has (publish audio and data)."""
    return (
        api.AccessToken(server.api_key, server.api_secret)
        .with_identity(AGENT_LIKE)
        .with_ttl(timedelta(minutes=10))
        .with_grants(api.VideoGrants(room_join=True, room=room, can_publish_data=True))
        .to_jwt()
    )


async def _wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


class Inbox:
    """Collects data packets a room receives."""

    def __init__(self, room: rtc.Room) -> None:
        self.packets: list[tuple[str, bytes]] = []
        room.on("data_received", self._on_data)

    def _on_data(self, packet: rtc.DataPacket) -> None:
        self.packets.append((packet.topic or "", bytes(packet.data)))


async def test_candidate_and_proctor_in_a_real_room(
    tmp_path: Path, livekit_server: TestLiveKitServer
) -> None:
    port = livekit_server.webhook_port
    settings = make_settings(
        tmp_path / "data",
        f"sqlite:///{tmp_path / 'proctorai.db'}",
        livekit_server,
        public_url=f"http://127.0.0.1:{port}",
        # no agent here: the interview LiveKit completes is evaluated once the drain bound
        # for the agent's word has passed (a second here), at the next catch-up round
        report_drain_seconds=1,
        maintenance_interval_seconds=0.5,
    )
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {RECRUITER_KEY}"}
    rooms: list[rtc.Room] = []
    with serving(app, port) as served:
        base = served.url
        async with httpx.AsyncClient(base_url=base, timeout=20) as http:
            response = await post_interview_async(
                http,
                headers,
                title="Realtime room check",
                candidate_name="Ada Example",
                candidate_email="ada@example.com",
                job_description="\n".join(documents.JOB_LINES),
                resume=("cv.docx", documents.docx_bytes(documents.RESUME_LINES)),
            )
            interview = created(response)
            await record_baseline_async(base, interview["candidate_link"])
            interview_id = interview["id"]
            candidate_token = interview["candidate_link"].rsplit("/", 1)[1]
            proctor_token = interview["proctor_link"].rsplit("/", 1)[1]

            joined = await http.post(
                f"/links/{candidate_token}/session", json={"role": "candidate"}
            )
            assert joined.status_code == 200, joined.text
            candidate_session = joined.json()
            assert candidate_session["identity"] == candidate_identity(interview_id)
            assert candidate_session["livekit_url"] == livekit_server.url

            proctoring = await http.post(
                f"/links/{proctor_token}/session", json={"role": "proctor"}
            )
            assert proctoring.status_code == 200, proctoring.text
            proctor_session = proctoring.json()

            try:
                candidate, proctor, agent = rtc.Room(), rtc.Room(), rtc.Room()
                rooms.extend([candidate, proctor, agent])
                candidate_inbox, proctor_inbox, agent_inbox = (
                    Inbox(candidate),
                    Inbox(proctor),
                    Inbox(agent),
                )
                await agent.connect(
                    livekit_server.url, _agent_like_token(livekit_server, interview["room"])
                )
                await candidate.connect(
                    candidate_session["livekit_url"], candidate_session["livekit_token"]
                )
                await proctor.connect(
                    proctor_session["livekit_url"], proctor_session["livekit_token"]
                )

                # The candidate may publish its camera.
                source = rtc.VideoSource(64, 48)
                track = rtc.LocalVideoTrack.create_video_track("camera", source)
                options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
                publication = await candidate.local_participant.publish_track(track, options)
                assert publication.sid

                async def everyone_sees_candidate() -> bool:
                    identity = candidate_session["identity"]
                    return (
                        identity in proctor.remote_participants
                        and identity in agent.remote_participants
                    )

                await _wait_for(everyone_sees_candidate, 10, "the candidate to be seen")

                # The LiveKit webhook moved the interview to in_progress.
                async def started() -> bool:
                    detail = (await http.get(f"/interviews/{interview_id}", headers=headers)).json()
                    return bool(detail["status"] == "in_progress")

                await _wait_for(started, 10, "the participant_joined webhook")

                # The candidate's data never arrives; the agent-like client's does.
                # Refusing outright would also show the grant; delivery is what matters.
                with contextlib.suppress(Exception):
                    await candidate.local_participant.publish_data(
                        b"forged anomaly", reliable=True, topic="proctoring.anomaly"
                    )
                await agent.local_participant.publish_data(
                    b"control message",
                    reliable=True,
                    topic="proctoring.anomaly",
                    destination_identities=[proctor_session["identity"]],
                )

                async def proctor_got_control() -> bool:
                    return (
                        "proctoring.anomaly",
                        b"control message",
                    ) in proctor_inbox.packets

                await _wait_for(proctor_got_control, 10, "the agent's message at the proctor")
                await asyncio.sleep(1.5)  # time for the candidate's packet, were it relayed
                assert all(data != b"forged anomaly" for _, data in agent_inbox.packets)
                assert all(data != b"forged anomaly" for _, data in proctor_inbox.packets)
                # Addressed to the proctor only: the candidate got nothing.
                assert candidate_inbox.packets == []

                # The proctor is hidden from the candidate (and from everyone).
                assert proctor_session["identity"] not in candidate.remote_participants
                assert proctor_session["identity"] not in agent.remote_participants
                assert set(candidate.remote_participants) == {AGENT_LIKE}
            finally:
                for room in rooms:
                    await room.disconnect()

            # Everyone left: after the departure timeout LiveKit finishes the room, which
            # completes the interview; with no agent to say it is done, the server
            # evaluates it after REPORT_DRAIN_SECONDS.
            async def evaluated() -> bool:
                detail = (await http.get(f"/interviews/{interview_id}", headers=headers)).json()
                return bool(detail["status"] == "evaluated")

            await _wait_for(evaluated, 30, "the room_finished webhook and the report")
            detail = (await http.get(f"/interviews/{interview_id}", headers=headers)).json()
            sources = [(t["to_status"], t["source"]) for t in detail["transitions"]]
            assert sources == [
                ("created", "recruiter"),
                ("ready", "candidate"),
                ("in_progress", "livekit"),
                ("completed", "livekit"),
                ("evaluated", "system"),
            ]
            assert set(detail["status_times"]) == {
                "created",
                "ready",
                "in_progress",
                "completed",
                "evaluated",
            }
            report = await http.get(f"/interviews/{interview_id}/report", headers=headers)
            assert report.status_code == 200
            assert report.json()["proctoring"]["scorecard"]["score"] == 100

            # The finished interview's links no longer open a room.
            again = await http.post(f"/links/{candidate_token}/session")
            assert again.status_code == 409
            assert "has ended" in again.json()["detail"]
