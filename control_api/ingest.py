"""Idempotent ingestion of the agent's proctoring events and transcript turns.

The agent's outbox retries until it hears back, so every message may arrive more
than once, and an anomaly's end may even arrive before its start. Each anomaly is
one row keyed by (interview, event id); each message state (started, ended) is
applied at most once. A whole batch is one transaction; if a concurrent delivery
of the same ids wins a race, the batch is replayed and its rows count as duplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from control_api.models import ProctoringEvent, TranscriptTurn, utcnow
from control_api.schemas import AnomalyMessage, IngestResult, TurnIn

logger = logging.getLogger(__name__)

_ATTEMPTS = 3


def ingest_events(
    session: Session, interview_id: str, messages: Sequence[AnomalyMessage]
) -> IngestResult:
    return commit_idempotent(session, lambda: _apply_events(session, interview_id, messages))


def ingest_turns(session: Session, interview_id: str, turns: Sequence[TurnIn]) -> IngestResult:
    return commit_idempotent(session, lambda: _apply_turns(session, interview_id, turns))


def commit_idempotent(session: Session, apply: Callable[[], IngestResult]) -> IngestResult:
    """Apply and commit a batch of idempotent writes; replay it when a concurrent delivery
    of the same ids wins the race (its rows are then duplicates, not errors)."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            result = apply()
            session.commit()
            return result
        except IntegrityError:
            session.rollback()
            if attempt == _ATTEMPTS:
                raise
            logger.info("concurrent delivery of the same ids, replaying batch")
    raise AssertionError("unreachable")


def _apply_events(
    session: Session, interview_id: str, messages: Sequence[AnomalyMessage]
) -> IngestResult:
    inserted = updated = duplicates = 0
    pending: dict[str, ProctoringEvent] = {}
    for message in messages:
        row = pending.get(message.id) or session.get(ProctoringEvent, (interview_id, message.id))
        if row is None:
            row = _new_event(interview_id, message)
            session.add(row)
            pending[message.id] = row
            inserted += 1
            continue
        pending[message.id] = row
        if _merge_event(row, message):
            session.add(row)
            updated += 1
        else:
            duplicates += 1
    session.flush()
    return IngestResult(inserted=inserted, updated=updated, duplicates=duplicates)


def _new_event(interview_id: str, message: AnomalyMessage) -> ProctoringEvent:
    ended = message.state == "ended"
    return ProctoringEvent(
        interview_id=interview_id,
        id=message.id,
        type=message.type,
        severity=message.severity,
        confidence=message.confidence,
        started_at=message.started_at,
        ended_at=message.ended_at if ended else None,
        evidence=dict(message.evidence),
        start_received=not ended,
        end_received=ended,
        message_version=message.v,
    )


def _merge_event(row: ProctoringEvent, message: AnomalyMessage) -> bool:
    """Apply a start or end message to an existing row; False if already applied."""
    if message.state == "started":
        if row.start_received:
            return False
        row.start_received = True
        row.started_at = message.started_at
        # The end message, already applied, carries the final figures: keep them.
        row.evidence = {**message.evidence, **row.evidence}
    else:
        if row.end_received:
            return False
        row.end_received = True
        row.ended_at = message.ended_at or utcnow()
        row.severity = message.severity
        row.confidence = message.confidence
        row.evidence = {**row.evidence, **message.evidence}
    row.updated_at = utcnow()
    return True


def _apply_turns(session: Session, interview_id: str, turns: Sequence[TurnIn]) -> IngestResult:
    inserted = duplicates = 0
    seen: set[str] = set()
    for turn in turns:
        if turn.id in seen or session.get(TranscriptTurn, (interview_id, turn.id)) is not None:
            duplicates += 1
            continue
        seen.add(turn.id)
        session.add(
            TranscriptTurn(
                interview_id=interview_id,
                id=turn.id,
                role=turn.role.value,
                text=turn.text,
                started_at=turn.started_at,
                ended_at=turn.ended_at,
            )
        )
        inserted += 1
    session.flush()
    return IngestResult(inserted=inserted, updated=0, duplicates=duplicates)
