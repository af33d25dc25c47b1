"""What one interview job stores at the control API, always through the durable outbox.

Transcript turns, anomaly events and lifecycle transitions are written to the outbox
first (so they survive an API outage or an agent restart) under their idempotency keys:
the turn id, ``"{event id}:{state}"``, and the target status.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from agent.delivery import OutboxFlusher
from agent.outbox import OutboxKind
from contracts.anomaly import AnomalyEvent

NOT_TRANSCRIBED = "[not transcribed: no local speech recogniser; timing only]"
"""Text of a candidate turn when no recogniser is available (the API needs some text)."""


class InterviewRecords:
    """The job's writer of turns, events and transitions for one interview."""

    def __init__(self, flusher: OutboxFlusher, interview_id: str) -> None:
        self._flusher = flusher
        self.interview_id = interview_id
        self.turns = 0
        self.events = 0

    async def turn(
        self,
        role: str,
        text: str,
        started_at: float,
        ended_at: float | None = None,
        turn_id: str | None = None,
    ) -> str:
        """Store one transcript turn; returns its id (the idempotency key)."""
        turn_id = turn_id or str(uuid.uuid4())
        payload: dict[str, Any] = {
            "id": turn_id,
            "role": role,
            "text": text,
            "started_at": started_at,
            "ended_at": ended_at,
        }
        await self._flusher.put(OutboxKind.TRANSCRIPT, self.interview_id, turn_id, payload)
        self.turns += 1
        return turn_id

    async def event(self, event: AnomalyEvent) -> None:
        """Store one anomaly start or end (a later put with the same key replaces it)."""
        payload = event.model_dump(mode="json")
        await self._flusher.put(OutboxKind.EVENT, self.interview_id, event.idempotency_key, payload)
        self.events += 1

    async def lifecycle(self, status: str, reason: str | None = None) -> None:
        """Record a transition; the API treats a repeat of the current status as a no-op."""
        payload: dict[str, Any] = {"status": status, "at": time.time()}
        if reason:
            payload["reason"] = reason
        await self._flusher.put(
            OutboxKind.LIFECYCLE, self.interview_id, f"{self.interview_id}:{status}", payload
        )
