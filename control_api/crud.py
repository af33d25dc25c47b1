"""Queries and small writes shared by several routes."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from control_api.links import encode_link, link_url, new_link
from control_api.models import (
    FileKind,
    Interview,
    InterviewLink,
    LifecycleTransition,
    LinkRole,
    ProctoringEvent,
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


def revoke_links(session: Session, interview_id: str) -> int:
    """Revoke every active link of the interview (the caller commits)."""
    now = utcnow()
    links = session.exec(
        select(InterviewLink).where(
            InterviewLink.interview_id == interview_id, col(InterviewLink.revoked_at).is_(None)
        )
    ).all()
    for link in links:
        link.revoked_at = now
        session.add(link)
    return len(links)


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


def current_links(session: Session, interview_id: str, settings: Settings) -> InterviewLinks | None:
    """The newest unrevoked, unexpired pair of links, rebuilt from their records."""
    now = utcnow()
    newest: dict[str, InterviewLink] = {}
    rows = session.exec(
        select(InterviewLink)
        .where(InterviewLink.interview_id == interview_id, col(InterviewLink.revoked_at).is_(None))
        .order_by(col(InterviewLink.issued_at).desc())
    ).all()
    for link in rows:
        if link.expires_at > now:
            newest.setdefault(link.role, link)
    if LinkRole.CANDIDATE not in newest or LinkRole.PROCTOR not in newest:
        return None
    return links_view(newest[LinkRole.CANDIDATE], newest[LinkRole.PROCTOR], settings)


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


def list_interviews(
    session: Session, limit: int, offset: int, status: str | None
) -> tuple[list[Interview], int]:
    query = select(Interview)
    count_query = select(func.count()).select_from(Interview)
    if status is not None:
        query = query.where(Interview.status == status)
        count_query = count_query.where(Interview.status == status)
    items = session.exec(
        query.order_by(col(Interview.created_at).desc(), col(Interview.id))
        .offset(offset)
        .limit(limit)
    ).all()
    return list(items), session.exec(count_query).one()
