"""Opening join and proctor links: the grants of the LiveKit tokens handed out, the
agent dispatch, link-use tracking and refusals for ended interviews."""

from __future__ import annotations

import asyncio

from livekit import api as lkapi
from sqlmodel import Session, select

from control_api.models import InterviewLink
from tests.api.conftest import Api
from tests.support.livekit_server import TestLiveKitServer


async def _dispatches(server: TestLiveKitServer, room: str) -> list[lkapi.AgentDispatch]:
    """The room's dispatches of the interviewer agent (LiveKit also lists its own
    default dispatch for unnamed agents)."""
    async with lkapi.LiveKitAPI(server.http_url, server.api_key, server.api_secret) as client:
        dispatches = await client.agent_dispatch.list_dispatch(room)
    return [d for d in dispatches if d.agent_name == "proctorai-interviewer"]


def _token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_candidate_link_grants_camera_and_microphone_only(
    api: Api, livekit_server: TestLiveKitServer
) -> None:
    body = api.create_ready(reference_photo=None)
    session = api.client.post(f"/links/{_token_of(body['candidate_link'])}/session").json()
    assert session["role"] == "candidate"
    assert session["room"] == body["room"]
    assert session["interview"] == {
        "id": body["id"],
        "title": "Backend engineer, first round",
        "candidate_name": "Ada Example",
        "duration_minutes": 20,
        "question_count": 4,
        "status": "ready",
        "identity_verified": True,
    }
    # Nothing private reaches the link holder.
    text = str(session)
    assert "ada@example.com" not in text and "payment APIs" not in text
    claims = lkapi.TokenVerifier(livekit_server.api_key, livekit_server.api_secret).verify(
        session["livekit_token"]
    )
    assert claims.identity == f"candidate-{body['id']}"
    video = claims.video
    assert video is not None
    assert video.room_join and video.room == body["room"]
    assert video.can_publish and video.can_subscribe
    assert sorted(video.can_publish_sources or []) == ["camera", "microphone"]
    assert video.can_publish_data is False
    assert not video.hidden and not video.room_admin and not video.room_create


def test_proctor_link_grants_hidden_subscribe_only(
    api: Api, livekit_server: TestLiveKitServer
) -> None:
    body = api.create_ok(reference_photo=None)
    token = _token_of(body["proctor_link"])
    first = api.client.post(f"/links/{token}/session").json()
    second = api.client.post(f"/links/{token}/session").json()
    verifier = lkapi.TokenVerifier(livekit_server.api_key, livekit_server.api_secret)
    claims = verifier.verify(first["livekit_token"])
    assert first["role"] == "proctor"
    assert claims.identity.startswith("proctor-")
    # one identity per link: reopening it replaces the last session (never fills the room)
    assert first["identity"] == second["identity"]
    video = claims.video
    assert video is not None
    assert video.hidden is True
    assert video.can_publish is False and video.can_publish_data is False
    assert video.can_subscribe is True and video.room == body["room"]
    # A proctor opening the room does not dispatch the interviewer.
    assert asyncio.run(_dispatches(livekit_server, body["room"])) == []


def test_candidate_link_dispatches_the_agent_once(
    api: Api, livekit_server: TestLiveKitServer
) -> None:
    body = api.create_ready(reference_photo=None)
    token = _token_of(body["candidate_link"])
    for _ in range(2):
        assert api.client.post(f"/links/{token}/session").status_code == 200
    [dispatch] = asyncio.run(_dispatches(livekit_server, body["room"]))
    assert dispatch.agent_name == "proctorai-interviewer"
    assert dispatch.metadata == f'{{"interview_id": "{body["id"]}"}}'
    with Session(api.engine) as session:
        links = {link.role: link for link in session.exec(select(InterviewLink)).all()}
    assert links["candidate"].use_count == 2
    assert links["candidate"].first_used_at is not None
    assert links["proctor"].use_count == 0


def test_links_of_ended_interviews(api: Api) -> None:
    completed = api.create_ok(reference_photo=None)
    for status in ("in_progress", "completed"):
        api.client.post(
            f"/agent/interviews/{completed['id']}/lifecycle",
            json={"status": status},
            headers=api.service,
        )
    ended = api.client.post(f"/links/{_token_of(completed['proctor_link'])}/session")
    assert ended.status_code == 409
    # Completing evaluates the interview at once (the report), so it reads "evaluated".
    assert ended.json()["detail"] == "this interview has ended (status: evaluated)"

    cancelled = api.create_ok(reference_photo=None)
    api.client.post(
        f"/agent/interviews/{cancelled['id']}/lifecycle",
        json={"status": "cancelled"},
        headers=api.service,
    )
    gone = api.client.post(f"/links/{_token_of(cancelled['candidate_link'])}/session")
    assert gone.status_code == 410
    assert gone.json()["detail"] == "this interview was cancelled by the recruiter"


def test_reading_a_link_says_what_it_opens_and_starts_nothing(api: Api) -> None:
    """The join page reads its link before consent: role, status and title, nothing
    counted; a cancelled interview is a 410 that says so, a replaced link a 401."""
    body = api.create_ok(reference_photo=None)
    token = _token_of(body["candidate_link"])
    before = api.state()
    answer = api.client.get(f"/links/{token}")
    assert answer.status_code == 200
    assert answer.json() == {
        "role": "candidate",
        "status": "created",
        "title": "Backend engineer, first round",
    }
    assert "ada@example.com" not in answer.text
    assert api.state() == before  # no room, no dispatch, no use counted
    with Session(api.engine) as session:
        links = session.exec(select(InterviewLink)).all()
        assert links and all(link.use_count == 0 for link in links)
    proctor = api.client.get(f"/links/{_token_of(body['proctor_link'])}").json()
    assert proctor["role"] == "proctor"

    cancelled = api.client.post(
        f"/interviews/{body['id']}/cancel", json={"reason": "filled"}, headers=api.recruiter
    )
    assert cancelled.status_code == 200
    gone = api.client.get(f"/links/{token}")
    assert gone.status_code == 410
    assert gone.json()["detail"] == "this interview was cancelled by the recruiter"
    assert api.client.get("/links/not-a-link").status_code == 401
