"""LiveKit webhooks: the room's own account of who joined, who left, and when it ended.

Each webhook is verified with LiveKit's receiver (a JWT signed with the API secret
carrying the body's SHA-256) and stored once by its id, since LiveKit retries.
The candidate joining starts the interview; the room finishing while the
interview runs completes it (the room is gone) but does not evaluate it: the agent's
outbox may still be delivering the last turns and events, so the report waits for the
agent's ``completed``, or for ``REPORT_DRAIN_SECONDS`` without it (a delayed task here,
and the catch-up round of :mod:`control_api.reports.maintenance` after a restart). An agent
leaving, or the candidate joining, wakes the agent supervisor
(:mod:`control_api.agent_supervisor`), which dispatches the agent again if the room stays
without one. A participant whose link was revoked starts nothing and is removed
(:mod:`control_api.room_access`), as is a proctor past ``MAX_PROCTORS``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from livekit import api
from sqlalchemy import Engine
from sqlmodel import Session, select

from control_api.lifecycle import InvalidTransition, lock_interview, transition
from control_api.livekit_rooms import (
    AGENT_PREFIX,
    CANDIDATE_PREFIX,
    PROCTOR_PREFIX,
    LiveKitUnavailable,
    participant_role,
)
from control_api.models import (
    Interview,
    InterviewStatus,
    LinkRole,
    RoomEvent,
    TransitionSource,
    utcnow,
)
from control_api.reports.maintenance import generate_after_completion
from control_api.room_access import must_leave
from control_api.schemas import ErrorResponse, WebhookResult

logger = logging.getLogger(__name__)

router = APIRouter(tags=["livekit"])

RECORDED_EVENTS = frozenset(
    {"room_started", "room_finished", "participant_joined", "participant_left"}
)


@router.post(
    "/livekit/webhook",
    response_model=WebhookResult,
    summary="LiveKit webhook receiver (signed by the LiveKit server)",
    responses={401: {"model": ErrorResponse, "description": "Signature missing or wrong"}},
)
async def livekit_webhook(request: Request) -> WebhookResult:
    settings = request.app.state.settings
    body = (await request.body()).decode("utf-8", errors="replace")
    auth = request.headers.get("authorization", "")
    receiver = api.WebhookReceiver(
        api.TokenVerifier(settings.livekit_api_key, settings.secret("livekit_api_secret"))
    )
    try:
        event = receiver.receive(body, auth)
    except Exception as exc:  # the receiver raises bare Exceptions and JWT errors
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "webhook not verified: it must be signed with LIVEKIT_API_KEY/LIVEKIT_API_SECRET",
        ) from exc
    state = request.app.state
    applied = await run_in_threadpool(apply_webhook, state.engine, event)
    result = applied.result
    interview_id = result.interview_id
    if interview_id and event.event == "participant_joined":
        await _keep_the_room_to_its_links(state, interview_id, event.participant, applied.intruder)
    if interview_id and _needs_agent_check(event) and not applied.intruder:
        # an agent left (killed worker?) or the candidate arrived: have the supervisor
        # look at the room now rather than at its next round (control_api.agent_supervisor)
        state.rooms.watch(interview_id)
    if interview_id and applied.completed:
        # the agent's "completed" normally evaluates sooner (its outbox has then delivered
        # everything); this bound covers an agent that never says it. A task of the app's
        # (cancelled at shutdown; the catch-up round covers a restart), not the request's.
        task = asyncio.create_task(_evaluate_after_drain(state, interview_id))
        state.delayed_tasks.add(task)
        task.add_done_callback(state.delayed_tasks.discard)
    return result


@dataclass(frozen=True, slots=True)
class Applied:
    """What a webhook did: the answer, and what the route must do next."""

    result: WebhookResult
    intruder: bool = False
    """A participant whose link is revoked or unknown (removed; starts nothing)."""
    completed: bool = False
    """The room's end completed the interview."""


async def _keep_the_room_to_its_links(
    state: Any, interview_id: str, participant: api.ParticipantInfo, intruder: bool
) -> None:
    """Remove an intruder, and a proctor past ``MAX_PROCTORS`` (two links opened at the
    same moment both pass the link endpoint's check: the later join leaves)."""
    rooms = state.rooms
    try:
        if not intruder and participant.identity.startswith(PROCTOR_PREFIX):
            others = await rooms.proctors_in_room(interview_id) - {participant.identity}
            intruder = len(others) >= state.settings.max_proctors
        if intruder:
            await rooms.remove_participants(interview_id, {participant.identity})
    except LiveKitUnavailable:
        logger.warning("participant not removed: %s", interview_id)


async def _evaluate_after_drain(state: Any, interview_id: str) -> None:
    await asyncio.sleep(state.settings.report_drain_seconds)
    await run_in_threadpool(
        generate_after_completion, state.engine, state.settings, state.storage, interview_id
    )


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
        target = _lifecycle_effect(event.event, role, InterviewStatus(interview.status))
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


def _needs_agent_check(event: api.WebhookEvent) -> bool:
    identity = event.participant.identity
    if event.event == "participant_left":
        return identity.startswith(AGENT_PREFIX)
    return event.event == "participant_joined" and identity.startswith(CANDIDATE_PREFIX)


def _lifecycle_effect(
    event: str, role: str | None, current: InterviewStatus
) -> InterviewStatus | None:
    if (
        event == "participant_joined"
        and role == LinkRole.CANDIDATE.value
        and current in {InterviewStatus.CREATED, InterviewStatus.READY}
    ):
        return InterviewStatus.IN_PROGRESS
    if event == "room_finished" and current is InterviewStatus.IN_PROGRESS:
        return InterviewStatus.COMPLETED
    return None
