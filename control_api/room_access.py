"""Which participants may stay in an interview's room, decided when LiveKit says they joined.

A LiveKit token cannot be revoked: one handed out before a cancellation or a re-issue of
the links stays valid until it expires (``LIVEKIT_TOKEN_TTL``, minutes). So on every
``participant_joined`` webhook the API checks the link behind the participant — a proctor
by its identity (``proctor-<ref>``), the candidate by its token's ``proctorai.link``
attribute — and asks LiveKit to remove anyone whose link is revoked or unknown, or who
joined a cancelled or finished interview. The agent is never judged here.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from control_api.lifecycle import FINISHED_STATUSES
from control_api.livekit_rooms import (
    CANDIDATE_PREFIX,
    LINK_ATTRIBUTE,
    PROCTOR_PREFIX,
    link_ref,
    proctor_identity,
)
from control_api.models import Interview, InterviewLink, InterviewStatus, LinkRole


def must_leave(
    engine: Engine, interview_id: str, identity: str, attributes: dict[str, str]
) -> bool:
    """True when the participant holds no valid link of this open interview."""
    if identity.startswith(PROCTOR_PREFIX):
        role = LinkRole.PROCTOR
    elif identity.startswith(CANDIDATE_PREFIX):
        role = LinkRole.CANDIDATE
    else:
        return False  # the agent, or another service the deployment runs
    with Session(engine) as session:
        interview = session.get(Interview, interview_id)
        if interview is None or InterviewStatus(interview.status) in FINISHED_STATUSES:
            return True
        links = session.exec(
            select(InterviewLink).where(
                InterviewLink.interview_id == interview_id, InterviewLink.role == role.value
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
