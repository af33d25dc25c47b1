"""Status changes asked for through the API: the recruiter cancelling, the agent reporting.

Each locks the interview row, moves it with :func:`control_api.lifecycle.transition` and
commits, so two requests for the same interview apply one after the other; what follows
the commit (closing the room, evaluating) is decided here too, from the result, so a
retry that changes nothing does nothing again (docs/architecture.md, "Processes").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio.from_thread
from sqlmodel import Session

from control_api import crud
from control_api.lifecycle import InvalidTransition, TransitionResult, lock_interview, transition
from control_api.livekit_rooms import LiveKitUnavailable, RoomManager
from control_api.models import Interview, InterviewStatus, TransitionSource

logger = logging.getLogger(__name__)


class NoSuchInterview(LookupError):
    """No interview has this id (the routes answer 404)."""

    def __init__(self, interview_id: str) -> None:
        super().__init__(f"no interview with id {interview_id}")
        self.interview_id = interview_id


def _locked(session: Session, interview_id: str) -> Interview:
    interview = lock_interview(session, interview_id)
    if interview is None:
        raise NoSuchInterview(interview_id)
    return interview


def _move(
    session: Session,
    interview: Interview,
    requested: InterviewStatus,
    source: TransitionSource,
    reason: str | None,
) -> TransitionResult:
    """The transition, or :class:`InvalidTransition` with the row lock released (rolled
    back) before the caller answers 409."""
    try:
        return transition(session, interview, requested, source, reason)
    except InvalidTransition:
        session.rollback()
        raise


def cancel_interview(
    session: Session, rooms: RoomManager, interview_id: str, reason: str | None
) -> TransitionResult:
    """Cancel, revoke every link and close the room.

    The links are revoked even when the interview was already cancelled (a retry), and
    the room is closed only by the request that cancelled: a LiveKit outage then does
    not undo the cancellation, since nobody can join with a revoked link and the room
    expires by itself. Raises :class:`NoSuchInterview` and :class:`InvalidTransition`.
    """
    interview = _locked(session, interview_id)
    result = _move(
        session, interview, InterviewStatus.CANCELLED, TransitionSource.RECRUITER, reason
    )
    crud.revoke_links(session, interview_id)
    session.commit()
    if result.changed:
        try:
            anyio.from_thread.run(rooms.delete_room, interview_id)
        except LiveKitUnavailable:
            logger.warning("room of a cancelled interview not deleted: %s", interview_id)
    return result


@dataclass(frozen=True, slots=True)
class AgentStatusChange:
    """The transition the agent's report made, and whether the report is due now."""

    result: TransitionResult
    evaluate: bool


def agent_status(
    session: Session, interview_id: str, requested: InterviewStatus, reason: str | None
) -> AgentStatusChange:
    """Apply the status the agent reports (the same status again is a no-op).

    The agent saying ``completed`` makes the report due, also when LiveKit's
    ``room_finished`` completed the interview first (``changed`` is then False): that
    one waited for this, since the agent's outbox sends the oldest rows first and the
    turns queued before this have arrived. A retry while the report is being made, or
    once it is made, evaluates nothing (the claim in :mod:`control_api.reports.service`).
    Raises :class:`NoSuchInterview` and :class:`InvalidTransition`.
    """
    interview = _locked(session, interview_id)
    result = _move(session, interview, requested, TransitionSource.AGENT, reason)
    session.commit()
    evaluate = requested is InterviewStatus.COMPLETED and result.status is InterviewStatus.COMPLETED
    return AgentStatusChange(result, evaluate)
