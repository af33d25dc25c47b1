"""Retention of biometric media, and erasure of everything about a candidate.

- :func:`purge_expired_media` deletes snapshots and baseline media (reference photo,
  baseline images and audio) older than ``MEDIA_RETENTION_DAYS`` from finished
  interviews; the API runs it at start-up and then periodically. Reports keep working:
  their timelines simply list no snapshot once it is gone.
- :func:`erase_candidate_data` removes an interview entirely: its files from storage, then
  its row, which cascades to links, transitions, anomalies, transcript, files, room
  events, report and decisions, and the agent's dead-letter reports about it. Only a
  ``data_erasure`` row (ids, counts, time) and the ATS delivery log remain.

Storage is emptied before rows are deleted, so a storage failure leaves the rows that
point at the remaining files and the operation can simply be repeated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from contracts.statuses import FINISHED_STATUSES
from control_api.agent_outbox.models import AgentDeadLetter
from control_api.lifecycle import lock_interview
from control_api.models import FileKind, Interview, InterviewStatus, StoredFile, utcnow
from control_api.reports.models import DataErasure
from control_api.reports.service import ReportError
from control_api.storage import Storage, StorageError

logger = logging.getLogger(__name__)

RETAINED_KINDS = (
    FileKind.SNAPSHOT,
    FileKind.BASELINE_IMAGE,
    FileKind.BASELINE_AUDIO,
    FileKind.REFERENCE_PHOTO,
)


@dataclass(frozen=True, slots=True)
class PurgeResult:
    deleted: int
    failed: int


def purge_expired_media(
    engine: Engine, storage: Storage, retention_days: int, now: datetime | None = None
) -> PurgeResult:
    """Delete retained media older than ``retention_days`` of finished interviews."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    finished = [s.value for s in FINISHED_STATUSES]
    deleted = failed = 0
    with Session(engine) as session:
        rows = session.exec(
            select(StoredFile)
            .join(Interview, col(Interview.id) == col(StoredFile.interview_id))
            .where(
                col(StoredFile.kind).in_([k.value for k in RETAINED_KINDS]),
                col(StoredFile.created_at) < cutoff,
                col(Interview.status).in_(finished),
            )
        ).all()
        for row in rows:
            try:
                storage.delete(row.storage_key)
            except StorageError:
                failed += 1
                logger.warning("retention: file not deleted from storage: %s", row.id)
                continue
            session.delete(row)
            deleted += 1
        session.commit()
    logger.info("retention purge done: deleted=%d failed=%d", deleted, failed)
    return PurgeResult(deleted=deleted, failed=failed)


def erase_candidate_data(
    engine: Engine, storage: Storage, interview_id: str, actor: str
) -> DataErasure:
    """Remove an interview and everything about its candidate; raise :class:`ReportError`.

    A running interview is refused (409: cancel it first), so the agent cannot write
    into an interview that no longer exists.
    """
    with Session(engine, expire_on_commit=False) as session:
        interview = lock_interview(session, interview_id)
        if interview is None:
            raise ReportError(404, f"no interview with id {interview_id}")
        if InterviewStatus(interview.status) is InterviewStatus.IN_PROGRESS:
            raise ReportError(
                409, "the interview is in progress: cancel it before erasing its data"
            )
        files = session.exec(
            select(StoredFile).where(StoredFile.interview_id == interview_id)
        ).all()
        for row in files:
            try:
                storage.delete(row.storage_key)
            except StorageError as exc:
                session.rollback()
                raise ReportError(
                    503, "a file could not be deleted from storage: nothing was erased, retry"
                ) from exc
        # the agent's dead-letter reports name the interview (no foreign key: some name
        # interviews the API never had); they are operational records, erased with it
        session.execute(
            delete(AgentDeadLetter).where(col(AgentDeadLetter.interview_id) == interview_id)
        )
        session.delete(interview)
        record = DataErasure(interview_id=interview_id, files_deleted=len(files), actor=actor)
        session.add(record)
        session.commit()
    logger.info("candidate data erased: %s files=%d", interview_id, len(files))
    return record
