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
(:mod:`control_api.room_access`), as is a proctor past ``MAX_PROCTORS``. Recording and the
lifecycle effect are :mod:`control_api.services.livekit_webhooks`; this module verifies the
webhook and does what follows in the room.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from livekit import api

from control_api.livekit_rooms import (
    AGENT_PREFIX,
    CANDIDATE_PREFIX,
    PROCTOR_PREFIX,
    LiveKitUnavailable,
)
from control_api.reports.maintenance import generate_after_completion
from control_api.schemas import ErrorResponse, WebhookResult
from control_api.services.livekit_webhooks import apply_webhook

logger = logging.getLogger(__name__)

router = APIRouter(tags=["livekit"])


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


def _needs_agent_check(event: api.WebhookEvent) -> bool:
    identity = event.participant.identity
    if event.event == "participant_left":
        return identity.startswith(AGENT_PREFIX)
    return event.event == "participant_joined" and identity.startswith(CANDIDATE_PREFIX)
