"""Tables of the report feature (migration: ``0002_reports``).

- ``report``: the stored evaluation of an interview (one row, replaced only by an explicit
  regeneration);
- ``report_claim`` (migration ``0004_report_claims``): the generation running now for an
  interview, so that one evaluation runs however many triggers fire;
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


class ReportClaim(SQLModel, table=True):
    """An interview's report generation in progress (one at most, by the primary key).

    Taken under the interview's row lock before the evaluator runs and deleted when the
    report is stored or the generation fails. A crashed process leaves its row behind:
    once older than ``REPORT_CLAIM_STALE_SECONDS`` another generator may take it over,
    and the first one's late result is then discarded (its ``token`` no longer matches).
    """

    __tablename__ = "report_claim"

    interview_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("interview.id", ondelete="CASCADE"), primary_key=True
        )
    )
    token: str = Field(max_length=36)
    claimed_at: datetime = Field(sa_column=_ts())


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
