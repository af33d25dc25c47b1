"""Idempotent ingestion of the agent's proctoring events and transcript turns.

The agent's outbox retries until it hears back, so every message may arrive more
than once, and an anomaly's end may even arrive before its start. Each anomaly is
one row keyed by (interview, event id); each message state (started, ended) is
applied at most once, folded into the row by :meth:`contracts.anomaly.AnomalyRecord.merged`
(the one merge of an anomaly's versions). A whole batch is one transaction; if a concurrent delivery
of the same ids wins a race, the batch is replayed and its rows count as duplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from contracts.anomaly import AnomalyEvent, AnomalyRecord, AnomalyState
from control_api.models import ProctoringEvent, TranscriptTurn
from control_api.schemas import IngestResult, TurnIn

logger = logging.getLogger(__name__)

_ATTEMPTS = 3


def ingest_events(
    session: Session, interview_id: str, messages: Sequence[AnomalyEvent]
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
    session: Session, interview_id: str, messages: Sequence[AnomalyEvent]
) -> IngestResult:
    inserted = updated = duplicates = 0
    pending: dict[str, ProctoringEvent] = {}
    for message in messages:
        if message.interview_id != interview_id:  # the route answers 422 before this
            raise ValueError(f"event {message.id} belongs to another interview")
        row = pending.get(message.id) or session.get(ProctoringEvent, (interview_id, message.id))
        if row is None:
            row = _new_event(message)
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


def _new_event(message: AnomalyEvent) -> ProctoringEvent:
    row = ProctoringEvent.from_record(AnomalyRecord.from_event(message))
    _mark_received(row, message)
    row.message_version = message.v
    return row


def _merge_event(row: ProctoringEvent, message: AnomalyEvent) -> bool:
    """Fold a start or end message into an existing row; False if already applied."""
    already = row.start_received if message.state is AnomalyState.STARTED else row.end_received
    if already:
        return False
    stored = row.record()
    incoming = AnomalyRecord.from_event(message)
    row.apply(incoming if stored is None else stored.merged(incoming))
    _mark_received(row, message)
    return True


def _mark_received(row: ProctoringEvent, message: AnomalyEvent) -> None:
    if message.state is AnomalyState.STARTED:
        row.start_received = True
    else:
        row.end_received = True


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
