"""What an evaluator reads and what it claims, before the evidence check.

Both evaluators (OpenAI and offline) take an :class:`EvaluationInput` and return an
:class:`EvaluatorAnswer` of unverified claims; :mod:`.evidence` then decides which claims
stand. Keeping the claim types separate from the report types makes it impossible to put
an unchecked quote into a report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from control_api.reports.schema import CompetencySource, Recommendation


@dataclass(frozen=True, slots=True)
class Turn:
    """One stored transcript turn, with its start relative to the interview's start."""

    id: str
    role: str
    """``candidate`` or ``interviewer``."""
    text: str
    started_at: datetime
    offset_seconds: float


@dataclass(frozen=True, slots=True)
class EvaluationInput:
    title: str
    job_description: str
    resume_text: str
    turns: tuple[Turn, ...]
    """The transcribed turns only: placeholders for untranscribed answers are left out
    (:mod:`.untranscribed`), so no evaluator reads, quotes or scores them."""
    untranscribed_turns: int = 0
    """Candidate turns left out because they hold a placeholder, not the candidate's words."""

    @property
    def candidate_turns(self) -> tuple[Turn, ...]:
        return tuple(t for t in self.turns if t.role == "candidate")


@dataclass(frozen=True, slots=True)
class QuoteClaim:
    quote: str
    turn_id: str | None = None


@dataclass(frozen=True, slots=True)
class CompetencyClaim:
    name: str
    source: CompetencySource
    score: int | None
    rationale: str
    quotes: tuple[QuoteClaim, ...]


@dataclass(frozen=True, slots=True)
class EvaluatorAnswer:
    """An evaluator's unverified answer and the name of the method that produced it."""

    method: str
    method_note: str
    summary: str
    recommendation: Recommendation
    recommendation_rationale: str
    competencies: tuple[CompetencyClaim, ...]
    strengths: tuple[str, ...] = field(default_factory=tuple)
    growth_areas: tuple[str, ...] = field(default_factory=tuple)
    next_steps: tuple[str, ...] = field(default_factory=tuple)
