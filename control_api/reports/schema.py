"""The report document: what ``GET /interviews/{id}/report`` returns, versioned.

The JSON is the contract (docs/report-schema.md documents every field); the HTML and PDF
renderings are drawn from the same document. ``schema_version`` changes whenever a field
changes meaning or disappears; adding an optional field keeps the version.

Two halves with two sources of truth:

- ``evaluation`` (rubric, recommendation, strengths, ...) comes from a language model or
  from the offline heuristic, and every quote it rests on has passed the evidence check;
- ``proctoring`` comes only from the anomalies the server stored and the proctor's
  decisions: it is rebuilt from them each time a report is read, so nothing a model
  wrote can reach it and a later decision shows at once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from proctoring.scorecard import Scorecard

REPORT_SCHEMA_VERSION: Literal[1] = 1
OFFLINE_METHOD = "offline-deterministic"
NOT_ASSESSED_METHOD = "not-assessed"
"""No evaluator ran: the interview ended early, or no candidate answer was recorded."""
OPENAI_METHOD_PREFIX = "openai:"
SCORE_MIN = 1
SCORE_MAX = 5


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CompetencySource(StrEnum):
    """Where a competency was drawn from."""

    JOB_DESCRIPTION = "job_description"
    RESUME = "resume"
    BOTH = "both"


class AssessmentStatus(StrEnum):
    ASSESSED = "assessed"
    NOT_ASSESSED = "not_assessed"


class Recommendation(StrEnum):
    """Overall recommendation; ``insufficient_evidence`` when too little was assessed."""

    STRONG_YES = "strong_yes"
    YES = "yes"
    LEAN_YES = "lean_yes"
    LEAN_NO = "lean_no"
    NO = "no"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"


class MatchKind(StrEnum):
    EXACT = "exact"
    """The normalised quote is a substring of the normalised turn."""
    FUZZY = "fuzzy"
    """A window of the turn's words matches the quote within the documented tolerance."""


class Evidence(_Doc):
    """A candidate quote that was found in the stored transcript."""

    turn_id: str
    quote: str
    """The words as the transcript holds them (not as the model wrote them)."""
    turn_started_at: datetime
    offset_seconds: float
    """Start of the turn, in seconds after the interview started."""
    match: MatchKind
    similarity: float = Field(ge=0.0, le=1.0)


class RejectedEvidence(_Doc):
    """A quote a claim rested on that the transcript does not hold."""

    quote: str
    turn_id: str | None
    reason: str


class Competency(_Doc):
    id: str
    name: str
    source: CompetencySource
    status: AssessmentStatus
    score: int | None = Field(default=None, ge=SCORE_MIN, le=SCORE_MAX)
    """1 (no evidence of the skill) to 5 (strong, specific evidence); null if not assessed."""
    rationale: str
    evidence: list[Evidence]
    rejected_evidence: list[RejectedEvidence] = Field(default_factory=list)
    not_assessed_reason: str | None = None
    """Why there is no score (shown as "Not assessed: <reason>"); null when assessed."""


class EvidenceCheck(_Doc):
    """What the evidence check did to the evaluator's claims."""

    rule: str
    quotes_checked: int
    quotes_accepted: int
    quotes_rejected: int
    competencies_rejected: int
    """Competencies the evaluator scored whose quotes were all rejected (now not assessed)."""


class Evaluation(_Doc):
    """The rubric and the overall judgement, with the method that produced them."""

    method: str
    """``openai:<model>`` or ``offline-deterministic``."""
    method_note: str
    """Plain words on what the method is and how far to trust it."""
    summary: str
    recommendation: Recommendation
    recommendation_rationale: str
    competencies: list[Competency]
    strengths: list[str]
    growth_areas: list[str]
    next_steps: list[str]
    evidence_check: EvidenceCheck
    not_assessed_reason: str | None = None
    """Set when no competency could be assessed: why (the recommendation is then
    ``insufficient_evidence`` and the renderings show "Not assessed: <reason>")."""


class IdentityVerification(_Doc):
    """Whether the candidate was verified before joining (fixed when the report is made)."""

    verified: bool
    """Face and voice baselines were both accepted before the interview."""
    face_baseline: bool
    voice_baseline: bool
    reference_photo: bool
    """The recruiter gave a reference photo (the face baseline, or the agent's live
    enrollment when there was no baseline, was compared with it)."""
    summary: str
    """One sentence saying what was checked, shown first in the report."""


class InterviewFacts(_Doc):
    """The interview as the server recorded it."""

    id: str
    title: str
    candidate_name: str
    status: str
    scheduled_minutes: int
    question_count: int
    started_at: datetime
    ended_at: datetime
    duration_seconds: float
    timing_source: str
    """Which records gave the start and end (lifecycle transitions, or a fallback)."""
    candidate_turns: int
    interviewer_turns: int
    candidate_words: int
    """Words the candidate said, from transcribed turns only (placeholders count none)."""
    untranscribed_turns: int = 0
    """Candidate turns stored without text (no speech recognition: a placeholder only)."""
    identity: IdentityVerification | None = None
    """Null only in reports made before this field existed."""


class Snapshot(_Doc):
    file_id: str
    url: str
    """A signed URL that expires (``MEDIA_URL_TTL``); read the report again for a fresh one."""
    content_type: str
    taken_at: datetime


class DecisionKind(StrEnum):
    CONFIRM = "confirm"
    DISMISS = "dismiss"


class Decision(_Doc):
    """One proctor decision on an anomaly, as kept in the audit trail."""

    id: int
    anomaly_id: str
    decision: DecisionKind
    actor_kind: str
    """``recruiter`` (API key) or ``proctor`` (proctor link)."""
    actor_ref: str
    """Which credential: ``api-key`` or the proctor link's id."""
    actor_name: str | None
    decided_at: datetime
    note: str | None


class TimelineItem(_Doc):
    """One anomaly on the timeline, with its snapshots and the decision in force."""

    anomaly_id: str
    type: str
    severity: str
    confidence: float
    started_at: datetime
    ended_at: datetime | None
    offset_start_seconds: float
    offset_end_seconds: float
    overlap_share: float
    points: float
    points_excluding_dismissed: float
    scored: bool
    """False for types or severities the scorecard does not know (listed, not scored)."""
    decision: DecisionKind | None
    snapshots: list[Snapshot]


class ProctoringSection(_Doc):
    source: Literal["stored-events"] = "stored-events"
    scorecard: Scorecard
    """The engine's scorecard verbatim (``proctoring.scorecard.compute_scorecard``)."""
    timeline: list[TimelineItem]
    decisions: list[Decision]
    """Every decision ever made, oldest first; the newest one per anomaly is in force."""


class IntegrityState(StrEnum):
    """What the proctoring says about the interview's integrity, most serious first."""

    IDENTITY_CONFIRMED = "identity_confirmed"
    CONFIRMED = "confirmed"
    UNREVIEWED = "unreviewed"
    MINOR_UNREVIEWED = "minor_unreviewed"
    DISMISSED = "dismissed"
    CLEAN = "clean"


class IntegrityLevel(StrEnum):
    """How loudly the renderings show the verdict (``serious`` is red)."""

    SERIOUS = "serious"
    CAUTION = "caution"
    CLEAR = "clear"


class IntegrityVerdict(_Doc):
    """The line that opens the report, derived from the timeline and decisions only."""

    state: IntegrityState
    level: IntegrityLevel
    headline: str
    """E.g. "Identity concern confirmed by proctor"."""
    detail: str
    evidence: list[str]
    """The anomaly ids the verdict rests on (each is a row of the timeline)."""


class TranscriptEntry(_Doc):
    """One stored turn of the conversation."""

    turn_id: str
    role: str
    """``interviewer`` or ``candidate``."""
    started_at: datetime
    offset_seconds: float
    """Start of the turn, in seconds after the interview started."""
    text: str


class EndedEarly(_Doc):
    """How an interview that was not completed ended (cancelled or failed)."""

    status: str
    """``cancelled`` or ``failed``."""
    at: datetime
    by: str
    """Who ended it: ``recruiter``, ``agent``, ``livekit`` or ``system``."""
    reason: str | None
    previous_status: str | None
    """The status it was in when it ended (e.g. ``in_progress``)."""
    headline: str
    """E.g. "Interview cancelled", shown first in the renderings."""
    detail: str
    """One sentence: when, by whom, in which status, with the reason if given."""


class ReportDocument(_Doc):
    schema_version: Literal[1] = REPORT_SCHEMA_VERSION
    report_id: str
    generated_at: datetime
    """When the evaluation was produced (the proctoring section is rebuilt on every read)."""
    proctoring_built_at: datetime
    evaluation_method: str
    interview: InterviewFacts
    evaluation: Evaluation
    proctoring: ProctoringSection
    integrity: IntegrityVerdict | None = None
    """Rebuilt with the proctoring section; null only in reports stored before it existed."""
    transcript: list[TranscriptEntry] = Field(default_factory=list)
    """Every stored turn, rebuilt from the stored transcript on each read."""
    ended_early: EndedEarly | None = None
    """Set when the interview was cancelled or failed: the report holds what was recorded
    until then and assesses nothing."""


def openai_method(model: str) -> str:
    return f"{OPENAI_METHOD_PREFIX}{model}"
