"""Recording a verified LiveKit webhook and applying its effect on the interview, once.

LiveKit retries a webhook until it is answered, so each is stored by its id and a retry
records nothing again; the candidate joining starts the interview and the room
finishing completes it, under the interview's row lock so a webhook and the agent's
report apply one after the other. A participant whose link is revoked or unknown
(:mod:`control_api.room_access`) changes nothing. What happens next in the room
(removals, the agent supervisor, the report's drain) is the route's, which has the
app's state (docs/architecture.md, "Processes").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from livekit import api
from sqlalchemy import Engine
from sqlmodel import Session, select

from control_api.lifecycle import InvalidTransition, lock_interview, transition
from control_api.livekit_rooms import participant_role
from control_api.models import (
    Interview,
    InterviewStatus,
    LinkRole,
    RoomEvent,
    TransitionSource,
    utcnow,
)
from control_api.room_access import must_leave
from control_api.schemas import WebhookResult

logger = logging.getLogger(__name__)

RECORDED_EVENTS = frozenset(
    {"room_started", "room_finished", "participant_joined", "participant_left"}
)


@dataclass(frozen=True, slots=True)
class Applied:
    """What a webhook did: the answer, and what the route must do next."""

    result: WebhookResult
    intruder: bool = False
    """A participant whose link is revoked or unknown (removed; starts nothing)."""
    completed: bool = False
    """The room's end completed the interview."""


def apply_webhook(engine: Engine, event: api.WebhookEvent) -> Applied:
    """Record the event and apply its lifecycle effect, once per webhook id."""
    if event.event not in RECORDED_EVENTS or not event.room.name:
        return Applied(WebhookResult(event=event.event, interview_id=None, applied=False))
    with Session(engine, expire_on_commit=False) as session:
        found = session.exec(select(Interview.id).where(Interview.room_name == event.room.name))
        interview_id = found.first()
        if interview_id is None:
            return Applied(WebhookResult(event=event.event, interview_id=None, applied=False))
        session.rollback()
        interview = lock_interview(session, interview_id)
        if interview is None:
            return Applied(WebhookResult(event=event.event, interview_id=None, applied=False))
        intruder = event.event == "participant_joined" and must_leave(
            session, interview, event.participant.identity, dict(event.participant.attributes)
        )
        event_id = event.id or f"{event.event}:{event.room.sid}:{event.participant.sid}"
        if session.get(RoomEvent, event_id) is not None:
            # a retry: record nothing again, but an intruder is still removed
            seen = WebhookResult(event=event.event, interview_id=interview_id, applied=False)
            return Applied(seen, intruder=intruder)
        identity = event.participant.identity or None
        role = participant_role(identity) if identity else None
        occurred = datetime.fromtimestamp(event.created_at, UTC) if event.created_at else utcnow()
        session.add(
            RoomEvent(
                id=event_id[:64],
                interview_id=interview_id,
                event=event.event,
                participant_identity=identity,
                participant_role=role,
                occurred_at=occurred,
            )
        )
        target = lifecycle_effect(event.event, role, InterviewStatus(interview.status))
        completed = False
        if target is not None and not intruder:
            try:
                moved = transition(
                    session, interview, target, TransitionSource.LIVEKIT, event.event
                )
                completed = moved.changed and moved.status is InterviewStatus.COMPLETED
            except InvalidTransition:
                logger.info("webhook transition not applicable: %s", interview_id)
        session.commit()
        logger.info(
            "webhook recorded: %s event=%s%s",
            interview_id,
            event.event,
            " (intruder removed)" if intruder else "",
        )
        recorded = WebhookResult(event=event.event, interview_id=interview_id, applied=True)
        return Applied(recorded, intruder=intruder, completed=completed)


def lifecycle_effect(
    event: str, role: str | None, current: InterviewStatus
) -> InterviewStatus | None:
    """The status a webhook moves the interview to, or None: only the candidate's arrival
    starts it (a proctor watching an empty room does not), only the room's end while it
    runs completes it."""
    if (
        event == "participant_joined"
        and role == LinkRole.CANDIDATE.value
        and current in {InterviewStatus.CREATED, InterviewStatus.READY}
    ):
        return InterviewStatus.IN_PROGRESS
    if event == "room_finished" and current is InterviewStatus.IN_PROGRESS:
        return InterviewStatus.COMPLETED
    return None
