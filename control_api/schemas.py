"""Request and response bodies of the API.

Three audiences, three views: recruiters see everything about their interviews;
the agent sees what it needs to conduct and proctor one; link holders (candidate,
proctor) see only what their page shows: never the resume, the email, or (for the
candidate) anything about proctoring.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.anomaly import AnomalyEvent
from contracts.interview_context import Sensitivity
from control_api.models import (
    FileKind,
    InterviewStatus,
    LinkRole,
    SpeakerRole,
)

ClientId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]


class ErrorResponse(BaseModel):
    """Every error: a message that says what went wrong and what to do."""

    detail: str


# --- recruiter ---------------------------------------------------------------------


class InterviewLinks(BaseModel):
    candidate_link: str
    proctor_link: str
    expires_at: datetime


class InterviewCreated(InterviewLinks):
    id: str
    status: InterviewStatus
    room: str
    created_at: datetime


class InterviewSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    candidate_name: str
    status: InterviewStatus
    duration_minutes: int
    question_count: int
    sensitivity: Sensitivity
    room_name: str
    created_at: datetime
    updated_at: datetime


class ListIntegrity(StrEnum):
    """An interview's integrity in the recruiter's list, from its anomalies and the
    proctor's decision in force on each (the newest one), most serious first.

    The same facts as the report's verdict (:mod:`control_api.reports.integrity`), folded
    into five words a list can filter on:

    - ``confirmed``: the proctor confirmed at least one anomaly (the report's
      ``identity_confirmed`` or ``confirmed``; ``identity_confirmed_count`` tells which);
    - ``flagged``: anomalies raised, none confirmed, at least one with no decision (the
      report's ``unreviewed`` or ``minor_unreviewed``);
    - ``dismissed``: anomalies raised and the proctor dismissed every one;
    - ``clean``: no anomaly and the interview is over (a finished status: completed,
      evaluated, cancelled or failed);
    - ``pending``: no anomaly so far and the interview is not over.
    """

    CONFIRMED = "confirmed"
    FLAGGED = "flagged"
    DISMISSED = "dismissed"
    CLEAN = "clean"
    PENDING = "pending"


class ListSort(StrEnum):
    """The orders of the recruiter's list; a leading ``-`` reverses one. Ties: newest first.

    ``candidate`` is the candidate's name A to Z (case-insensitive); ``status`` follows the
    lifecycle (created, ready, in_progress, completed, evaluated, cancelled, failed);
    ``integrity`` puts the most serious first (a confirmed identity concern, any other
    confirmed, flagged, dismissed, clean, pending).
    """

    NEWEST = "-created_at"
    OLDEST = "created_at"
    CANDIDATE = "candidate"
    CANDIDATE_DESC = "-candidate"
    STATUS = "status"
    STATUS_DESC = "-status"
    INTEGRITY = "integrity"
    INTEGRITY_DESC = "-integrity"


class InterviewListItem(InterviewSummary):
    """One row of the recruiter's list: the summary and its integrity state."""

    integrity: ListIntegrity
    anomaly_count: int = Field(description="Anomalies the proctoring raised.")
    unreviewed_count: int = Field(description="Anomalies with no decision.")
    confirmed_count: int = Field(description="Anomalies whose decision in force is confirm.")
    identity_confirmed_count: int = Field(
        description="Confirmed anomalies saying the person was not the candidate "
        "(face_mismatch, voice_mismatch)."
    )
    dismissed_count: int = Field(description="Anomalies whose decision in force is dismiss.")


class InterviewPage(BaseModel):
    items: list[InterviewListItem]
    total: int
    limit: int
    offset: int


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: InterviewStatus | None
    to_status: InterviewStatus
    at: datetime
    source: str
    reason: str | None


class FileOut(BaseModel):
    id: str
    kind: FileKind
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime
    event_id: str | None
    url: str = Field(description="A signed URL that expires (MEDIA_URL_TTL).")


class ProctorLinkRequest(BaseModel):
    label: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Who the link is for, shown in who watched (e.g. 'Hiring manager')",
    )


class ProctorLinkOut(BaseModel):
    """One active proctor link: each is one hidden participant at a time."""

    label: str
    url: str
    issued_at: datetime
    expires_at: datetime
    use_count: int
    last_used_at: datetime | None


class ProctorVisitOut(BaseModel):
    """Who watched: one proctor's time in the room (from LiveKit's webhooks)."""

    label: str
    identity: str
    joined_at: datetime
    left_at: datetime | None


class InterviewDetail(InterviewSummary):
    candidate_email: str
    job_description: str
    job_description_filename: str | None
    resume_text: str
    resume_filename: str
    # First time each status was reached (the lifecycle timestamps).
    status_times: dict[InterviewStatus, datetime]
    transitions: list[TransitionOut]
    links: InterviewLinks | None
    files: list[FileOut]
    event_count: int
    transcript_turn_count: int
    identity_verified: bool
    """Face and voice baselines accepted (False until then, or after live enrollment)."""
    proctor_links: list[ProctorLinkOut]
    proctor_visits: list[ProctorVisitOut]


class CancelRequest(BaseModel):
    reason: str | None = Field(default=None, max_length=200)


class StatusChange(BaseModel):
    id: str
    previous_status: InterviewStatus
    status: InterviewStatus
    changed: bool


# --- link holders ------------------------------------------------------------------


class LinkSessionRequest(BaseModel):
    """Optional: the role the opening page expects, so a proctor link pasted into
    the candidate page (or the reverse) gets a clear refusal."""

    model_config = ConfigDict(extra="forbid")

    role: LinkRole | None = None


class LinkInterview(BaseModel):
    id: str
    title: str
    candidate_name: str
    duration_minutes: int
    question_count: int
    status: InterviewStatus
    identity_verified: bool
    """Face and voice baselines accepted before the interview (False: live enrollment)."""


class LinkState(BaseModel):
    """What a link opens, read before the page asks for consent, camera or photos: a
    cancelled interview (410) or an ended one is said on the first screen."""

    role: LinkRole
    status: InterviewStatus
    title: str


class LinkSession(BaseModel):
    livekit_url: str
    livekit_token: str
    identity: str
    room: str
    role: LinkRole
    expires_at: datetime
    interview: LinkInterview


# --- agent -------------------------------------------------------------------------


class EventBatch(BaseModel):
    events: list[AnomalyEvent] = Field(min_length=1, max_length=500)


class TurnIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: ClientId
    role: SpeakerRole
    text: str = Field(max_length=20_000)
    started_at: datetime
    ended_at: datetime | None = None

    @field_validator("started_at", "ended_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps need a timezone (e.g. 2024-01-01T10:00:00Z)")
        return value


class TranscriptBatch(BaseModel):
    turns: list[TurnIn] = Field(min_length=1, max_length=500)


class IngestResult(BaseModel):
    """What a batch did: new rows, rows completed (an anomaly's end), repeats ignored."""

    inserted: int
    updated: int
    duplicates: int


class LifecycleRequest(BaseModel):
    status: InterviewStatus
    reason: str | None = Field(default=None, max_length=200)


class SnapshotStored(BaseModel):
    id: str
    key: str
    content_type: str
    size_bytes: int
    url: str
    download_path: str


# --- webhook and health ------------------------------------------------------------


class WebhookResult(BaseModel):
    event: str
    interview_id: str | None
    applied: bool


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


class BaselineFrame(BaseModel):
    index: int
    accepted: bool
    reason: str | None = None


class BaselineAdvice(BaseModel):
    """A change to the candidate's set-up that makes the live face check surer."""

    code: str = Field(description="dark, far, backlit or blurred")
    message: str = Field(description="What to do, in plain words for the candidate")


class BaselineResult(BaseModel):
    """The engine's verdict on a baseline upload, in words a candidate understands."""

    modality: str
    accepted: bool
    detail: str
    reasons: list[str] = Field(default_factory=list)
    frames: list[BaselineFrame] = Field(default_factory=list)
    ready: bool = Field(False, description="Face and voice are both enrolled")
    status: InterviewStatus | None = None
    details: dict[str, float] = Field(default_factory=dict)
    advice: list[BaselineAdvice] = Field(
        default_factory=list,
        description="Set-up advice from the face photos (accepted or not); never a verdict",
    )
