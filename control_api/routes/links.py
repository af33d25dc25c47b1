"""The endpoint behind the join and proctor pages: a link token in, a LiveKit token out.

Opening the candidate link also makes sure the room exists (rooms vanish after
their empty timeout) and that the interviewer agent is dispatched to it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import anyio.from_thread
from fastapi import APIRouter, HTTPException, status

from contracts.statuses import FINISHED_STATUSES
from control_api.deps import LinkDep, RoomsDep, SessionDep, SettingsDep
from control_api.enrollment.verification import identity_check
from control_api.livekit_rooms import LiveKitUnavailable, RoomManager, proctor_identity
from control_api.models import InterviewLink, InterviewStatus, LinkRole, utcnow
from control_api.routes.responses import error_responses, link_errors
from control_api.schemas import LinkInterview, LinkSession, LinkSessionRequest

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/links", tags=["links (candidate and proctor pages)"])

_PAGE = {LinkRole.CANDIDATE: "join", LinkRole.PROCTOR: "proctor"}


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
    role = LinkRole(link.role)
    if body is not None and body.role is not None and body.role != role:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"this is a {role.value} link, not a {body.role.value} link: "
            f"open it at /{_PAGE[role]}/<link>",
        )
    current = InterviewStatus(interview.status)
    if current is InterviewStatus.CANCELLED:
        raise HTTPException(status.HTTP_410_GONE, "this interview was cancelled by the recruiter")
    if current in FINISHED_STATUSES:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"this interview has ended (status: {current.value})"
        )

    identity = identity_check(session, interview.id)
    if role is LinkRole.CANDIDATE and not identity.verified and not settings.allow_live_enrollment:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "record your face and voice baseline on this page first: the interview room "
            f"opens once it is accepted (still missing: {' and '.join(identity.missing)})",
        )

    try:
        anyio.from_thread.run(rooms.ensure_room, interview.id)
        if role is LinkRole.CANDIDATE:
            anyio.from_thread.run(rooms.ensure_agent_dispatched, interview.id)
        else:
            _check_proctor_seat(rooms, settings.max_proctors, interview.id, link.jti)
    except LiveKitUnavailable as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the video service is not reachable right now: try again in a minute",
        ) from exc

    if role is LinkRole.CANDIDATE:
        token = rooms.candidate_token(interview.id, interview.candidate_name, link.jti)
    else:
        token = rooms.proctor_token(interview.id, link.jti, link.label)
    _record_use(session, link)
    logger.info("link opened: %s role=%s", interview.id, role.value)
    return LinkSession(
        livekit_url=settings.client_livekit_url,
        livekit_token=token.token,
        identity=token.identity,
        room=interview.room_name,
        role=role,
        expires_at=utcnow() + timedelta(seconds=settings.livekit_token_ttl),
        interview=LinkInterview(
            id=interview.id,
            title=interview.title,
            candidate_name=interview.candidate_name,
            duration_minutes=interview.duration_minutes,
            question_count=interview.question_count,
            status=current,
            identity_verified=identity.verified,
        ),
    )


def _check_proctor_seat(rooms: RoomManager, cap: int, interview_id: str, jti: str) -> None:
    """409 when ``cap`` other proctors are in the room (this link's own session, being
    replaced by this opening, does not count)."""
    present = anyio.from_thread.run(rooms.proctors_in_room, interview_id)
    others = present - {proctor_identity(jti)}
    if len(others) >= cap:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"{len(others)} proctors are already watching this interview, the most at once: "
            "ask one of them to close their page, then open this link again",
        )


def _record_use(session: SessionDep, link: InterviewLink) -> None:
    now = utcnow()
    link.first_used_at = link.first_used_at or now
    link.last_used_at = now
    link.use_count += 1
    session.add(link)
    session.commit()
