"""The agent taking over an interview another job started (a worker died, a re-dispatch).

``POST /agent/interviews/{id}/resume``, behind the service token, called by a job that
finds its interview already ``in_progress``. It does two things in one transaction:

* every anomaly the earlier job left open (its start stored, its end never came) is
  ended now, with ``end_reason: agent_restarted`` in its evidence, so each stored start
  has an end; the new job's monitor starts fresh and opens new anomalies under new ids;
* it answers what was already said, so the interviewer continues where the earlier job
  stopped instead of starting over: the interviewer's turns (their texts, which the
  offline interviewer matches against its deterministic plan) and the number of answers.

Safe to retry: a second call finds nothing open and answers the same.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel
from sqlmodel import Session, col, select

from control_api.deps import SessionDep, require_service
from control_api.lifecycle import lock_interview
from control_api.models import InterviewStatus, ProctoringEvent, TranscriptTurn, utcnow
from control_api.schemas import ErrorResponse

logger = logging.getLogger(__name__)

END_REASON = "agent_restarted"

router = APIRouter(
    prefix="/agent/interviews/{interview_id}",
    tags=["agent (service token)"],
    dependencies=[Depends(require_service)],
    responses={
        401: {"model": ErrorResponse, "description": "Missing or wrong SERVICE_TOKEN"},
        403: {"model": ErrorResponse, "description": "A credential of another kind"},
        404: {"model": ErrorResponse, "description": "No such interview"},
    },
)


class ResumeState(BaseModel):
    """What a job taking over an interview needs to continue it."""

    status: InterviewStatus
    ended_anomalies: int
    """Anomalies left open by the earlier job, ended now (reason ``agent_restarted``)."""
    interviewer_turns: list[str]
    """Texts of what the interviewer already said, oldest first."""
    candidate_turns: int
    first_turn_at: float | None
    """When the interview's first turn began (epoch seconds): the time budget counts from
    there, not from the takeover."""


@router.post(
    "/resume",
    response_model=ResumeState,
    summary="Take over an interview: end the anomalies an earlier job left open",
)
def resume_interview(interview_id: str, session: SessionDep) -> ResumeState:
    interview = lock_interview(session, interview_id)
    if interview is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no interview with id {interview_id}")
    ended = _end_open_anomalies(session, interview_id)
    session.commit()
    turns = session.exec(
        select(TranscriptTurn)
        .where(TranscriptTurn.interview_id == interview_id)
        .order_by(col(TranscriptTurn.started_at))
    ).all()
    if ended:
        logger.info("anomalies ended on agent takeover: %s count=%d", interview_id, ended)
    return ResumeState(
        status=InterviewStatus(interview.status),
        ended_anomalies=ended,
        interviewer_turns=[t.text for t in turns if t.role == "interviewer"],
        candidate_turns=sum(1 for t in turns if t.role == "candidate"),
        first_turn_at=_epoch(turns[0].started_at) if turns else None,
    )


def _epoch(value: datetime) -> float:
    """Seconds since the epoch; SQLite hands timestamps back without their zone (UTC)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def _end_open_anomalies(session: Session, interview_id: str) -> int:
    open_rows = session.exec(
        select(ProctoringEvent).where(
            ProctoringEvent.interview_id == interview_id,
            col(ProctoringEvent.start_received).is_(True),
            col(ProctoringEvent.end_received).is_(False),
        )
    ).all()
    now = utcnow()
    for row in open_rows:
        row.end_received = True
        row.ended_at = now
        row.evidence = {**row.evidence, "end_reason": END_REASON}
        row.updated_at = now
        session.add(row)
    return len(open_rows)
