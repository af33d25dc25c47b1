"""The stored enrollment: one row per interview and modality (face, voice)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, String, Text
from sqlmodel import Field, SQLModel

from control_api.models import UTCDateTime, utcnow


class Modality(StrEnum):
    FACE = "face"
    VOICE = "voice"


class BiometricEnrollment(SQLModel, table=True):
    """Embeddings of one modality (JSON from the engine), replaced on re-enrollment.

    Only embeddings are kept here, never the raw recording: they are what the agent
    needs, and they cannot be played back or shown.
    """

    __tablename__ = "biometric_enrollment"

    interview_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("interview.id", ondelete="CASCADE"), primary_key=True
        )
    )
    modality: str = Field(sa_column=Column(String(8), primary_key=True))
    data: str = Field(sa_column=Column(Text, nullable=False))
    model: str = Field(max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
