"""The dead-letter table (migration ``0005_agent_dead_letters``).

One row per refused outbox row, keyed like the outbox itself (interview, kind, key), so
a report sent again after a lost answer updates nothing and inserts nothing.

No payload is kept: the rows are for noticing and triaging a refusal, and a payload is a
copy of candidate data (transcript text, evidence) outside the tables that retention and
erasure cover; the agent's outbox file keeps it for inspection. No foreign key either: a
404 dead letter names an interview the API does not have, and the ids, status and times
are no personal data, so a row may outlive its interview (like ``webhook_delivery``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from control_api.models import UTCDateTime, utcnow


def _ts() -> Any:
    return Column(UTCDateTime(), nullable=False)


class AgentDeadLetter(SQLModel, table=True):
    __tablename__ = "agent_dead_letter"

    interview_id: str = Field(sa_column=Column(String(64), primary_key=True))
    kind: str = Field(sa_column=Column(String(16), primary_key=True))
    key: str = Field(sa_column=Column(String(200), primary_key=True))
    status: int | None = None
    reason: str = Field(max_length=200)
    attempts: int
    failed_at: datetime = Field(sa_column=_ts())
    reported_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    """When the API first heard of it."""
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    """When a report last changed it (the row was set aside again, later)."""
