"""The interview state machine and the one function that moves an interview along it.

``created → ready → in_progress → completed → evaluated``, plus ``cancelled`` and
``failed``. A transition to the state the interview is already in is a no-op, so the
agent's retries and LiveKit's webhooks can report the same change twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session, select

from control_api.models import (
    Interview,
    InterviewStatus,
    LifecycleTransition,
    TransitionSource,
    utcnow,
)

logger = logging.getLogger(__name__)

S = InterviewStatus
ALLOWED_TRANSITIONS: dict[InterviewStatus, frozenset[InterviewStatus]] = {
    # created → in_progress: an interview run without a baseline enrollment.
    S.CREATED: frozenset({S.READY, S.IN_PROGRESS, S.CANCELLED, S.FAILED}),
    S.READY: frozenset({S.IN_PROGRESS, S.CANCELLED, S.FAILED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.CANCELLED, S.FAILED}),
    S.COMPLETED: frozenset({S.EVALUATED}),
    S.EVALUATED: frozenset(),
    S.CANCELLED: frozenset(),
    S.FAILED: frozenset(),
}
# (requested, current) pairs that are late retries rather than errors: the server
# evaluates an interview as soon as it completes, so the agent's retry of "completed"
# may arrive when the interview is already evaluated.
ALREADY_PASSED: frozenset[tuple[InterviewStatus, InterviewStatus]] = frozenset(
    {(S.COMPLETED, S.EVALUATED)}
)


class InvalidTransition(Exception):
    """The interview cannot move from its current status to the requested one."""

    def __init__(self, current: InterviewStatus, requested: InterviewStatus) -> None:
        allowed = sorted(s.value for s in ALLOWED_TRANSITIONS[current])
        super().__init__(
            f"cannot move the interview from '{current.value}' to '{requested.value}'; "
            f"allowed next statuses: {', '.join(allowed) or 'none (final status)'}"
        )
        self.current = current
        self.requested = requested


@dataclass(frozen=True)
class TransitionResult:
    previous: InterviewStatus
    status: InterviewStatus
    changed: bool


def can_transition(current: InterviewStatus, requested: InterviewStatus) -> bool:
    return requested == current or requested in ALLOWED_TRANSITIONS[current]


def lock_interview(session: Session, interview_id: str) -> Interview | None:
    """Load the interview row for update (a row lock on PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` already serialises writers)."""
    return session.exec(
        select(Interview).where(Interview.id == interview_id).with_for_update()
    ).first()


def transition(
    session: Session,
    interview: Interview,
    requested: InterviewStatus,
    source: TransitionSource,
    reason: str | None = None,
) -> TransitionResult:
    """Move ``interview`` to ``requested`` and record it; the caller commits.

    The interview should have been loaded with :func:`lock_interview` in the same
    transaction so two concurrent reporters cannot both apply a change.
    """
    current = InterviewStatus(interview.status)
    if requested == current or (requested, current) in ALREADY_PASSED:
        return TransitionResult(previous=current, status=current, changed=False)
    if requested not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(current, requested)
    now = utcnow()
    interview.status = requested.value
    interview.updated_at = now
    session.add(interview)
    session.add(
        LifecycleTransition(
            interview_id=interview.id,
            from_status=current.value,
            to_status=requested.value,
            at=now,
            source=source.value,
            reason=reason,
        )
    )
    logger.info(
        "interview status changed: %s %s -> %s (%s)",
        interview.id,
        current.value,
        requested.value,
        source.value,
    )
    return TransitionResult(previous=current, status=requested, changed=True)
