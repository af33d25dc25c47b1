"""The endpoint behind the join and proctor pages: a link token in, a LiveKit token out.

Opening the candidate link also makes sure the room exists (rooms vanish after
their empty timeout) and that the interviewer agent is dispatched to it
(:mod:`control_api.services.link_sessions`).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, status

from control_api.deps import LinkDep, RoomsDep, SessionDep, SettingsDep
from control_api.livekit_rooms import LiveKitUnavailable
from control_api.models import InterviewStatus, LinkRole, utcnow
from control_api.routes.responses import error_responses, link_errors
from control_api.schemas import LinkInterview, LinkSession, LinkSessionRequest, LinkState
from control_api.services.link_sessions import LinkRefused, open_link

router = APIRouter(prefix="/links", tags=["links (candidate and proctor pages)"])


@router.get(
    "/{token}",
    response_model=LinkState,
    summary="What a link opens (nothing is started, counted or recorded)",
    responses=error_responses(
        {
            401: "Invalid, expired or replaced link",
            404: "The interview no longer exists",
            410: "The interview was cancelled",
        }
    ),
)
def read_link(found: LinkDep) -> LinkState:
    link, interview = found
    return LinkState(
        role=LinkRole(link.role), status=InterviewStatus(interview.status), title=interview.title
    )


@router.post(
    "/{token}/session",
    response_model=LinkSession,
    summary="Exchange a join or proctor link for a LiveKit access token",
    responses={
        **link_errors("A link for the other page"),
        **error_responses(
            {
                404: "The interview no longer exists",
                409: "The interview has ended, the candidate has no accepted baseline yet, "
                "or the most proctors at once are watching",
                410: "The interview was cancelled",
                503: "LiveKit unreachable",
            }
        ),
    },
)
def open_link_session(
    found: LinkDep,
    session: SessionDep,
    settings: SettingsDep,
    rooms: RoomsDep,
    body: LinkSessionRequest | None = None,
) -> LinkSession:
    link, interview = found
    page_role = body.role if body is not None else None
    try:
        opened = open_link(session, settings, rooms, link, interview, page_role)
    except LinkRefused as exc:
        raise HTTPException(exc.status_code, str(exc)) from exc
    except LiveKitUnavailable as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the video service is not reachable right now: try again in a minute",
        ) from exc
    return LinkSession(
        livekit_url=settings.client_livekit_url,
        livekit_token=opened.token.token,
        identity=opened.token.identity,
        room=interview.room_name,
        role=opened.role,
        expires_at=utcnow() + timedelta(seconds=settings.livekit_token_ttl),
        interview=LinkInterview(
            id=interview.id,
            title=interview.title,
            candidate_name=interview.candidate_name,
            duration_minutes=interview.duration_minutes,
            question_count=interview.question_count,
            status=opened.status,
            identity_verified=opened.identity_verified,
        ),
    )
