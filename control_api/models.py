"""Database tables: everything an interview, its live proctoring and its report need.

Ids that come from the agent (proctoring events, transcript turns) are part of the
primary key together with the interview id, so a retried delivery can never insert
a second row. Times are stored in UTC and always come back timezone-aware.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy import JSON, Column, DateTime, ForeignKey, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

from contracts.anomaly import AnomalyRecord
from contracts.statuses import InterviewStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and read back as aware UTC on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a timezone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class LinkRole(StrEnum):
    CANDIDATE = "candidate"
    PROCTOR = "proctor"


class TransitionSource(StrEnum):
    RECRUITER = "recruiter"
    CANDIDATE = "candidate"
    AGENT = "agent"
    LIVEKIT = "livekit"
    SYSTEM = "system"


class FileKind(StrEnum):
    REFERENCE_PHOTO = "reference_photo"
    BASELINE_IMAGE = "baseline_image"
    BASELINE_AUDIO = "baseline_audio"
    SNAPSHOT = "snapshot"


class SpeakerRole(StrEnum):
    CANDIDATE = "candidate"
    INTERVIEWER = "interviewer"


def _ts(nullable: bool = False, index: bool = False) -> Any:
    """A UTC timestamp column (a fresh Column per field, as SQLAlchemy requires)."""
    return Column(UTCDateTime(), nullable=nullable, index=index)


def _interview_fk() -> Any:
    return Column(
        String(36), ForeignKey("interview.id", ondelete="CASCADE"), nullable=False, index=True
    )


class Interview(SQLModel, table=True):
    """One interview: who, for what job, with which options, and where it stands."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    title: str = Field(max_length=200)
    candidate_name: str = Field(max_length=200)
    candidate_email: str = Field(max_length=320)
    job_description: str = Field(sa_column=Column(Text, nullable=False))
    job_description_filename: str | None = Field(default=None, max_length=255)
    resume_text: str = Field(sa_column=Column(Text, nullable=False))
    resume_filename: str = Field(max_length=255)
    duration_minutes: int
    question_count: int
    sensitivity: str = Field(max_length=16)
    status: str = Field(default=InterviewStatus.CREATED.value, max_length=16, index=True)
    room_name: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class LifecycleTransition(SQLModel, table=True):
    """A status change of an interview, kept as an audit trail with its time."""

    __tablename__ = "lifecycle_transition"

    id: int | None = Field(default=None, primary_key=True)
    interview_id: str = Field(sa_column=_interview_fk())
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    source: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=200)


class InterviewLink(SQLModel, table=True):
    """A join or proctor link that was issued (its token id, not the token)."""

    __tablename__ = "interview_link"

    jti: str = Field(primary_key=True, max_length=64)
    interview_id: str = Field(sa_column=_interview_fk())
    role: str = Field(max_length=16)
    issued_at: datetime = Field(sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    first_used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    use_count: int = 0
    label: str | None = Field(default=None, max_length=100)
    """Who a proctor link is for ("Hiring manager"), shown in who watched; None: "Proctor"."""


def from_epoch(seconds: float) -> datetime:
    """Epoch seconds (the wire's time, :mod:`contracts.anomaly`) as a stored timestamp."""
    return datetime.fromtimestamp(seconds, UTC)


class ProctoringEvent(SQLModel, table=True):
    """One anomaly: the columns of :class:`contracts.anomaly.AnomalyRecord` (its start and
    end messages merged by :meth:`AnomalyRecord.merged`), plus which of the two messages
    arrived (each is applied once). :meth:`from_record`, :meth:`record` and :meth:`apply`
    are the only conversions between the record's epoch seconds and these timestamps.
    """

    __tablename__ = "proctoring_event"

    interview_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("interview.id", ondelete="CASCADE"), primary_key=True
        )
    )
    id: str = Field(primary_key=True, max_length=64)
    type: str = Field(max_length=64, index=True)
    severity: str = Field(max_length=32)
    confidence: float
    started_at: datetime = Field(sa_column=_ts(index=True))
    ended_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    confirmed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    """When the start was confirmed (None on rows stored before it was kept: the start)."""
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    start_received: bool = False
    end_received: bool = False
    message_version: int = 1
    received_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())

    @classmethod
    def from_record(cls, record: AnomalyRecord) -> ProctoringEvent:
        started = from_epoch(record.started_at)
        row = cls(
            interview_id=record.interview_id,
            id=record.id,
            type=record.type.value,
            severity=record.severity.value,
            confidence=record.confidence,
            started_at=started,
        )
        row.apply(record)
        return row

    def apply(self, record: AnomalyRecord) -> None:
        """Store ``record``'s content in this row (its id and interview stay)."""
        self.type = record.type.value
        self.severity = record.severity.value
        self.confidence = record.confidence
        self.started_at = from_epoch(record.started_at)
        self.ended_at = None if record.ended_at is None else from_epoch(record.ended_at)
        self.confirmed_at = from_epoch(record.confirmed_at)
        self.evidence = dict(record.evidence)
        self.updated_at = utcnow()

    def record(self) -> AnomalyRecord | None:
        """The row as a record, or None if it holds what the contract no longer accepts
        (a type or severity written by another version)."""
        started = self.started_at.timestamp()
        try:
            return AnomalyRecord(
                id=self.id,
                interview_id=self.interview_id,
                type=self.type,  # type: ignore[arg-type]  # validated into AnomalyType here
                severity=self.severity,  # type: ignore[arg-type]
                confidence=self.confidence,
                started_at=started,
                ended_at=None if self.ended_at is None else self.ended_at.timestamp(),
                confirmed_at=started
                if self.confirmed_at is None
                else self.confirmed_at.timestamp(),
                evidence=self.evidence or {},
            )
        except ValidationError:
            return None


class TranscriptTurn(SQLModel, table=True):
    """One spoken turn of the interview, by the candidate or the interviewer."""

    __tablename__ = "transcript_turn"

    interview_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("interview.id", ondelete="CASCADE"), primary_key=True
        )
    )
    id: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    started_at: datetime = Field(sa_column=_ts(index=True))
    ended_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    received_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class StoredFile(SQLModel, table=True):
    """A file kept in storage: reference photo, baseline media or evidence snapshot."""

    __tablename__ = "stored_file"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    interview_id: str = Field(sa_column=_interview_fk())
    kind: str = Field(max_length=32, index=True)
    storage_key: str = Field(max_length=255, unique=True)
    content_type: str = Field(max_length=100)
    size_bytes: int
    sha256: str = Field(max_length=64)
    # The proctoring event a snapshot belongs to, when the agent says so.
    event_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))


class RoomEvent(SQLModel, table=True):
    """A LiveKit webhook about the interview's room (kept once per webhook id)."""

    __tablename__ = "room_event"

    id: str = Field(primary_key=True, max_length=64)
    interview_id: str = Field(sa_column=_interview_fk())
    event: str = Field(max_length=32)
    participant_identity: str | None = Field(default=None, max_length=128)
    participant_role: str | None = Field(default=None, max_length=16)
    occurred_at: datetime = Field(sa_column=_ts())
    received_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
