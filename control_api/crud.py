"""Queries and small writes shared by several routes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from control_api.links import encode_link, link_url, new_link
from control_api.livekit_rooms import DEFAULT_PROCTOR_LABEL, proctor_identity
from control_api.models import (
    FileKind,
    InterviewLink,
    LifecycleTransition,
    LinkRole,
    ProctoringEvent,
    RoomEvent,
    StoredFile,
    TranscriptTurn,
    utcnow,
)
from control_api.schemas import InterviewLinks
from control_api.settings import Settings

ENROLLMENT_KINDS = (FileKind.REFERENCE_PHOTO, FileKind.BASELINE_IMAGE, FileKind.BASELINE_AUDIO)


def issue_links(
    session: Session, interview_id: str, settings: Settings
) -> tuple[InterviewLink, InterviewLink]:
    """Add a fresh candidate link and proctor link (the caller commits)."""
    candidate = new_link(interview_id, LinkRole.CANDIDATE, settings.link_ttl)
    proctor = new_link(interview_id, LinkRole.PROCTOR, settings.link_ttl)
    session.add(candidate)
    session.add(proctor)
    return candidate, proctor


def add_proctor_link(
    session: Session, interview_id: str, settings: Settings, label: str | None
) -> InterviewLink:
    """Another proctor link beside the current ones, for another person (caller commits)."""
    link = new_link(interview_id, LinkRole.PROCTOR, settings.link_ttl)
    link.label = label
    session.add(link)
    return link


def revoke_links(session: Session, interview_id: str) -> list[InterviewLink]:
    """Revoke every active link of the interview and return them (the caller commits)."""
    now = utcnow()
    links = session.exec(
        select(InterviewLink).where(
            InterviewLink.interview_id == interview_id, col(InterviewLink.revoked_at).is_(None)
        )
    ).all()
    for link in links:
        link.revoked_at = now
        session.add(link)
    return list(links)


def links_view(
    candidate: InterviewLink, proctor: InterviewLink, settings: Settings
) -> InterviewLinks:
    secret = settings.secret("link_secret")
    return InterviewLinks(
        candidate_link=link_url(
            settings.public_url, LinkRole.CANDIDATE, encode_link(candidate, secret)
        ),
        proctor_link=link_url(settings.public_url, LinkRole.PROCTOR, encode_link(proctor, secret)),
        expires_at=min(candidate.expires_at, proctor.expires_at),
    )


def active_links(session: Session, interview_id: str) -> list[InterviewLink]:
    """The unrevoked, unexpired links of the interview, oldest first."""
    now = utcnow()
    rows = session.exec(
        select(InterviewLink)
        .where(InterviewLink.interview_id == interview_id, col(InterviewLink.revoked_at).is_(None))
        .order_by(col(InterviewLink.issued_at), col(InterviewLink.jti))
    ).all()
    return [link for link in rows if link.expires_at > now]


def current_links(session: Session, interview_id: str, settings: Settings) -> InterviewLinks | None:
    """The pair issued together (the oldest active link of each role: links added for
    more proctors come later), rebuilt from their records."""
    first: dict[str, InterviewLink] = {}
    for link in active_links(session, interview_id):
        first.setdefault(link.role, link)
    if LinkRole.CANDIDATE not in first or LinkRole.PROCTOR not in first:
        return None
    return links_view(first[LinkRole.CANDIDATE], first[LinkRole.PROCTOR], settings)


def link_address(link: InterviewLink, settings: Settings) -> str:
    """The URL of an issued link (signing is deterministic: the same link, the same URL)."""
    token = encode_link(link, settings.secret("link_secret"))
    return link_url(settings.public_url, LinkRole(link.role), token)


def transitions_of(session: Session, interview_id: str) -> list[LifecycleTransition]:
    return list(
        session.exec(
            select(LifecycleTransition)
            .where(LifecycleTransition.interview_id == interview_id)
            .order_by(col(LifecycleTransition.at), col(LifecycleTransition.id))
        ).all()
    )


def files_of(
    session: Session, interview_id: str, kinds: tuple[FileKind, ...] | None = None
) -> list[StoredFile]:
    query = select(StoredFile).where(StoredFile.interview_id == interview_id)
    if kinds is not None:
        query = query.where(col(StoredFile.kind).in_([k.value for k in kinds]))
    return list(session.exec(query.order_by(col(StoredFile.created_at))).all())


def count_rows(
    session: Session, model: type[ProctoringEvent | TranscriptTurn], interview_id: str
) -> int:
    return session.exec(
        select(func.count()).select_from(model).where(model.interview_id == interview_id)
    ).one()


@dataclass(frozen=True, slots=True)
class ProctorVisit:
    """One proctor's time in the room, from LiveKit's webhooks."""

    identity: str
    label: str
    joined_at: datetime
    left_at: datetime | None


def proctor_visits(session: Session, interview_id: str) -> list[ProctorVisit]:
    """Who watched: each proctor join paired with the next leave of the same identity,
    named by the link it came from (oldest first)."""
    labels = {
        proctor_identity(link.jti): link.label or DEFAULT_PROCTOR_LABEL
        for link in session.exec(
            select(InterviewLink).where(
                InterviewLink.interview_id == interview_id,
                InterviewLink.role == LinkRole.PROCTOR.value,
            )
        ).all()
    }
    rows = session.exec(
        select(RoomEvent)
        .where(
            RoomEvent.interview_id == interview_id,
            RoomEvent.participant_role == LinkRole.PROCTOR.value,
            col(RoomEvent.event).in_(["participant_joined", "participant_left"]),
        )
        .order_by(col(RoomEvent.occurred_at), col(RoomEvent.received_at))
    ).all()
    visits: list[ProctorVisit] = []
    open_visits: dict[str, int] = {}
    for row in rows:
        identity = row.participant_identity or ""
        if row.event == "participant_joined":
            open_visits[identity] = len(visits)
            label = labels.get(identity, "Unknown proctor link")
            visits.append(ProctorVisit(identity, label, row.occurred_at, None))
        elif identity in open_visits:
            index = open_visits.pop(identity)
            visit = visits[index]
            visits[index] = ProctorVisit(
                visit.identity, visit.label, visit.joined_at, row.occurred_at
            )
    return visits
