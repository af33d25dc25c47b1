"""Store the agent's dead-letter reports idempotently, and read them back.

A report is keyed like the agent's outbox row (interview, kind, key): the agent resends
until it hears back, so the same report may arrive twice (a duplicate, stored once); a
row set aside again later (a newer ``failed_at``) updates the stored one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from control_api.agent_outbox.models import AgentDeadLetter
from control_api.agent_outbox.schemas import DeadLetterIn
from control_api.ingest import commit_idempotent
from control_api.models import utcnow
from control_api.schemas import IngestResult

logger = logging.getLogger(__name__)


def record_dead_letters(session: Session, letters: Sequence[DeadLetterIn]) -> IngestResult:
    """Apply a report in one transaction; replayed if a concurrent resend wins a race."""
    return commit_idempotent(session, lambda: _apply(session, letters))


def _apply(session: Session, letters: Sequence[DeadLetterIn]) -> IngestResult:
    inserted = updated = duplicates = 0
    seen: dict[tuple[str, str, str], AgentDeadLetter] = {}
    now = utcnow()
    for letter in letters:
        key = (letter.interview_id, letter.kind, letter.key)
        row = seen.get(key) or session.get(AgentDeadLetter, key)
        if row is None:
            row = AgentDeadLetter(**letter.model_dump(), reported_at=now, updated_at=now)
            session.add(row)
            seen[key] = row
            inserted += 1
            logger.warning(
                "agent dead letter: interview %s %s %s refused (%s) after %d attempts",
                letter.interview_id,
                letter.kind,
                letter.key,
                letter.reason,
                letter.attempts,
            )
            continue
        seen[key] = row
        if letter.failed_at <= row.failed_at:
            duplicates += 1
            continue
        row.status, row.reason, row.attempts = letter.status, letter.reason, letter.attempts
        row.failed_at, row.updated_at = letter.failed_at, now
        session.add(row)
        updated += 1
    session.flush()
    return IngestResult(inserted=inserted, updated=updated, duplicates=duplicates)


def list_dead_letters(
    session: Session, *, interview_id: str | None = None, limit: int = 100
) -> tuple[list[AgentDeadLetter], int]:
    """The newest ``limit`` dead letters (of one interview, or all), and how many exist."""
    query = select(AgentDeadLetter)
    count = select(func.count()).select_from(AgentDeadLetter)
    if interview_id is not None:
        query = query.where(AgentDeadLetter.interview_id == interview_id)
        count = count.where(col(AgentDeadLetter.interview_id) == interview_id)
    rows = session.exec(query.order_by(col(AgentDeadLetter.failed_at).desc()).limit(limit)).all()
    return list(rows), int(session.exec(count).one())


def counts_by_kind_and_status(session: Session) -> list[tuple[str, int | None, int]]:
    """(kind, status, count) of every stored dead letter, for the metrics."""
    rows = session.exec(
        select(AgentDeadLetter.kind, AgentDeadLetter.status, func.count())
        .group_by(col(AgentDeadLetter.kind), col(AgentDeadLetter.status))
        .order_by(col(AgentDeadLetter.kind), col(AgentDeadLetter.status))
    ).all()
    return [(kind, status, int(n)) for kind, status, n in rows]
