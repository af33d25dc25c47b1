"""``POST /agent/interviews/{id}/resume``: a job taking over a running interview.

What the earlier job left open is ended (``agent_restarted``), what was already said is
answered, and calling it again changes nothing (the taking-over job retries it).
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.support.anomalies import anomaly_json


def _event(interview: str, event_id: str, state: str) -> dict[str, Any]:
    return anomaly_json(event_id, state, interview_id=interview, confidence=0.9)


def _turn(turn_id: str, role: str, text: str, minute: int) -> dict[str, Any]:
    return {
        "id": turn_id,
        "role": role,
        "text": text,
        "started_at": f"2025-03-01T10:{minute:02d}:00Z",
        "ended_at": f"2025-03-01T10:{minute:02d}:09Z",
    }


def test_resume_ends_what_was_left_open_and_says_what_was_said(api: Api) -> None:
    interview = api.create_ok()["id"]
    base = f"/agent/interviews/{interview}"
    events = [
        _event(interview, "closed", "started"),
        _event(interview, "closed", "ended"),
        _event(interview, "open", "started"),
    ]
    assert api.client.post(f"{base}/events", json={"events": events}, headers=api.service)
    turns = [
        _turn("t1", "interviewer", "Welcome.", 0),
        _turn("t2", "interviewer", "First question?", 1),
        _turn("t3", "candidate", "An answer.", 2),
    ]
    response = api.client.post(f"{base}/transcript", json={"turns": turns}, headers=api.service)
    assert response.status_code == 200

    first = api.client.post(f"{base}/resume", headers=api.service)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["ended_anomalies"] == 1
    assert body["interviewer_turns"] == ["Welcome.", "First question?"]
    assert body["candidate_turns"] == 1
    assert body["first_turn_at"] == 1740823200.0  # 2025-03-01T10:00:00Z

    again = api.client.post(f"{base}/resume", headers=api.service).json()
    assert again["ended_anomalies"] == 0
    assert again["interviewer_turns"] == body["interviewer_turns"]

    # the dead job's own end, delivered late from its outbox, is a duplicate, not a change
    late = api.client.post(
        f"{base}/events", json={"events": [_event(interview, "open", "ended")]}, headers=api.service
    ).json()
    assert late["duplicates"] == 1


def test_resume_needs_the_service_token_and_an_interview(api: Api) -> None:
    interview = api.create_ok()["id"]
    assert api.client.post(f"/agent/interviews/{interview}/resume").status_code == 401
    missing = api.client.post("/agent/interviews/nope/resume", headers=api.service)
    assert missing.status_code == 404
