"""Bodies of the dead-letter endpoints (the agent's report, and the listing)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator


class DeadLetterIn(BaseModel):
    """One outbox row the API refused for good, as the agent reports it (no payload).

    The ids take any text (within a length): a row is often refused *because* its id is
    malformed, and its report must not be refused for the same reason.
    """

    interview_id: str = Field(min_length=1, max_length=64)
    kind: Literal["event", "transcript", "lifecycle"]
    key: str = Field(min_length=1, max_length=200)
    status: int | None = Field(
        default=None, ge=400, le=499, description="The refusal's HTTP status"
    )
    reason: str = Field(min_length=1, max_length=200, description='e.g. "HTTP 422"')
    attempts: int = Field(ge=0, le=2**31 - 1)
    failed_at: datetime

    @field_validator("failed_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("timestamps need a timezone (e.g. 2024-01-01T10:00:00Z)")
        return value


class DeadLetterReport(BaseModel):
    dead_letters: list[DeadLetterIn] = Field(min_length=1, max_length=500)


class DeadLetterOut(DeadLetterIn):
    reported_at: datetime
    updated_at: datetime


class DeadLetterList(BaseModel):
    dead_letters: list[DeadLetterOut]
    total: int = Field(description="All dead letters (the list holds the newest `limit`)")
