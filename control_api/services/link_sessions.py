"""Opening a join or proctor link: may this link enter the room now, and with what token.

The checks run cheapest first and before any LiveKit call: the page the link was opened
on, the interview's status, the candidate's baseline; only then is the room made sure
of (rooms vanish after their empty timeout), the agent dispatched for a candidate or a
proctor seat checked, the LiveKit token signed and the opening counted on the link
(docs/architecture.md, "Processes").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio.from_thread
from fastapi import status
from sqlmodel import Session

from contracts.statuses import FINISHED_STATUSES
from control_api.enrollment.verification import identity_check
from control_api.livekit_rooms import ParticipantToken, RoomManager, proctor_identity
from control_api.models import Interview, InterviewLink, InterviewStatus, LinkRole, utcnow
from control_api.settings import Settings

logger = logging.getLogger(__name__)

PAGES = {LinkRole.CANDIDATE: "join", LinkRole.PROCTOR: "proctor"}


class LinkRefused(Exception):
    """This link may not enter the room now; ``status_code`` is the HTTP answer and the
    message says what to do (a candidate or a proctor reads it on the page)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class OpenedLink:
    """What the page needs to join: the role, the status and the LiveKit token."""

    role: LinkRole
    status: InterviewStatus
    token: ParticipantToken
    identity_verified: bool


def open_link(
    session: Session,
    settings: Settings,
    rooms: RoomManager,
    link: InterviewLink,
    interview: Interview,
    page_role: LinkRole | None,
) -> OpenedLink:
    """Check the link may enter, prepare the room, sign its token and count the use.

    ``page_role`` is the role of the page that opened the link, if it said. Raises
    :class:`LinkRefused`, and ``LiveKitUnavailable`` when the room cannot be prepared
    (nothing counted).
    """
    role = LinkRole(link.role)
    if page_role is not None and page_role != role:
        raise LinkRefused(
            status.HTTP_403_FORBIDDEN,
            f"this is a {role.value} link, not a {page_role.value} link: "
            f"open it at /{PAGES[role]}/<link>",
        )
    current = InterviewStatus(interview.status)
    if current is InterviewStatus.CANCELLED:
        raise LinkRefused(status.HTTP_410_GONE, "this interview was cancelled by the recruiter")
    if current in FINISHED_STATUSES:
        raise LinkRefused(
            status.HTTP_409_CONFLICT, f"this interview has ended (status: {current.value})"
        )

    identity = identity_check(session, interview.id)
    if role is LinkRole.CANDIDATE and not identity.verified and not settings.allow_live_enrollment:
        raise LinkRefused(
            status.HTTP_409_CONFLICT,
            "record your face and voice baseline on this page first: the interview room "
            f"opens once it is accepted (still missing: {' and '.join(identity.missing)})",
        )

    anyio.from_thread.run(rooms.ensure_room, interview.id)
    if role is LinkRole.CANDIDATE:
        anyio.from_thread.run(rooms.ensure_agent_dispatched, interview.id)
        token = rooms.candidate_token(interview.id, interview.candidate_name, link.jti)
    else:
        _check_proctor_seat(rooms, settings.max_proctors, interview.id, link.jti)
        token = rooms.proctor_token(interview.id, link.jti, link.label)
    _record_use(session, link)
    logger.info("link opened: %s role=%s", interview.id, role.value)
    return OpenedLink(role, current, token, identity.verified)


def _check_proctor_seat(rooms: RoomManager, cap: int, interview_id: str, jti: str) -> None:
    """409 when ``cap`` other proctors are in the room (this link's own session, being
    replaced by this opening, does not count)."""
    present = anyio.from_thread.run(rooms.proctors_in_room, interview_id)
    others = present - {proctor_identity(jti)}
    if len(others) >= cap:
        raise LinkRefused(
            status.HTTP_409_CONFLICT,
            f"{len(others)} proctors are already watching this interview, the most at once: "
            "ask one of them to close their page, then open this link again",
        )


def _record_use(session: Session, link: InterviewLink) -> None:
    now = utcnow()
    link.first_used_at = link.first_used_at or now
    link.last_used_at = now
    link.use_count += 1
    session.add(link)
    session.commit()
