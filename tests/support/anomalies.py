"""Anomaly messages for tests, built through the one contract (:mod:`contracts.anomaly`).

A test that posts events to the API, or ingests them directly, gets a valid
``AnomalyEvent`` in its wire form; bad-input tests start from one and break a field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contracts.anomaly import AnomalyEvent

T0 = datetime(2025, 3, 1, 10, 0, 5, tzinfo=UTC).timestamp()
"""2025-03-01T10:00:05Z, the start of the anomalies the API tests send."""


def anomaly(
    event_id: str,
    state: str = "started",
    *,
    interview_id: str,
    type: str = "face_mismatch",
    severity: str = "high",
    confidence: float = 0.91,
    started_at: float = T0,
    ended_at: float | None = None,
    confirmed_at: float | None = None,
    evidence: dict[str, Any] | None = None,
) -> AnomalyEvent:
    """One start or end message; an end lasts 7 s unless ``ended_at`` says otherwise, and
    the start is confirmed 2 s after it began unless ``confirmed_at`` says otherwise."""
    return AnomalyEvent.model_validate(
        {
            "id": event_id,
            "interview_id": interview_id,
            "type": type,
            "state": state,
            "severity": severity,
            "confidence": confidence,
            "started_at": started_at,
            "ended_at": (started_at + 7 if ended_at is None else ended_at)
            if state == "ended"
            else None,
            "confirmed_at": started_at + 2 if confirmed_at is None else confirmed_at,
            "evidence": {"distance": 0.71} if evidence is None else evidence,
        }
    )


def anomaly_json(event_id: str, state: str = "started", **fields: Any) -> dict[str, Any]:
    """:func:`anomaly` in its wire form (what the agent posts), fields as :func:`anomaly`."""
    return anomaly(event_id, state, **fields).model_dump(mode="json")
