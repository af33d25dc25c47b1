"""Which participants may stay in an interview's room, decided when LiveKit says they joined.

A LiveKit token cannot be revoked: one handed out before a cancellation or a re-issue of
the links stays valid until it expires (``LIVEKIT_TOKEN_TTL``, minutes). So on every
``participant_joined`` webhook the API checks the link behind the participant — a proctor
by its identity (``proctor-<ref>``), the candidate by its token's ``proctorai.link``
attribute — in the same transaction that would start the interview: an intruder (a link
revoked or unknown, an interview cancelled or finished) starts nothing, summons no agent,
and is removed from the room. The agent is never judged here.
"""

from __future__ import annotations

from sqlmodel import Session, select

from contracts.statuses import FINISHED_STATUSES
from control_api.livekit_rooms import (
    CANDIDATE_PREFIX,
    LINK_ATTRIBUTE,
    PROCTOR_PREFIX,
    link_ref,
    proctor_identity,
)
from control_api.models import Interview, InterviewLink, InterviewStatus, LinkRole


def must_leave(
    session: Session, interview: Interview, identity: str, attributes: dict[str, str]
) -> bool:
    """True when the participant holds no valid link of this open interview."""
    if identity.startswith(PROCTOR_PREFIX):
        role = LinkRole.PROCTOR
    elif identity.startswith(CANDIDATE_PREFIX):
        role = LinkRole.CANDIDATE
    else:
        return False  # the agent, or another service the deployment runs
    if InterviewStatus(interview.status) in FINISHED_STATUSES:
        return True
    links = session.exec(
        select(InterviewLink).where(
            InterviewLink.interview_id == interview.id, InterviewLink.role == role.value
        )
    ).all()
    for link in links:
        matches = (
            proctor_identity(link.jti) == identity
            if role is LinkRole.PROCTOR
            else attributes.get(LINK_ATTRIBUTE) == link_ref(link.jti)
        )
        if matches:
            return link.revoked_at is not None
    return True
