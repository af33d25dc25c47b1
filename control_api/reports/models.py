"""Tables of the report feature (migration: ``0002_reports``).

- ``report``: the stored evaluation of an interview (one row, replaced on regeneration);
- ``anomaly_decision``: every proctor decision, never updated or deleted while the
  interview exists (the audit trail; the newest decision per anomaly is in force);
- ``webhook_delivery``: one row per attempt to notify the applicant tracking system;
- ``data_erasure``: when an interview's candidate data was erased, and how much.

The last two carry no personal data and no foreign key, so they outlive an erasure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, Text
from sqlmodel import Field, SQLModel

from control_api.models import UTCDateTime, utcnow


def _ts(index: bool = False, nullable: bool = False) -> Any:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Report(SQLModel, table=True):
    __tablename__ = "report"

    interview_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("interview.id", ondelete="CASCADE"), primary_key=True
        )
    )
    report_id: str = Field(max_length=36)
    schema_version: int
    evaluation_method: str = Field(max_length=100)
    generated_at: datetime = Field(sa_column=_ts())
    # The ReportDocument as generated (its proctoring section is rebuilt on every read).
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class AnomalyDecision(SQLModel, table=True):
    __tablename__ = "anomaly_decision"

    id: int | None = Field(default=None, primary_key=True)
    interview_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("interview.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    anomaly_id: str = Field(max_length=64, index=True)
    decision: str = Field(max_length=16)
    actor_kind: str = Field(max_length=16)
    actor_ref: str = Field(max_length=64)
    actor_name: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_delivery"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(max_length=36, index=True)
    interview_id: str = Field(max_length=36, index=True)
    event: str = Field(max_length=32)
    target: str = Field(max_length=500)
    """The receiver's URL without its query string."""
    attempt: int
    attempted_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=200)
    succeeded: bool = False
    duration_ms: int = 0


class DataErasure(SQLModel, table=True):
    __tablename__ = "data_erasure"

    id: int | None = Field(default=None, primary_key=True)
    interview_id: str = Field(max_length=36, index=True)
    erased_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    files_deleted: int
    actor: str = Field(max_length=16)
