"""Agent endpoints on SQLite and PostgreSQL: context, idempotent events and turns,
lifecycle rules, snapshots, and the service-token guard."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from contracts.interview_context import InterviewContext
from control_api.models import ProctoringEvent, StoredFile, TranscriptTurn
from tests.api import documents
from tests.api.conftest import RECRUITER_KEY, Api
from tests.support.anomalies import anomaly_json


def _anomaly(interview: str, event_id: str, initial_state: str, **extra: Any) -> dict[str, Any]:
    """A valid message (face_mismatch, 10:00:05 to 10:00:12), ``extra`` overriding its
    fields; raw values (a bad id, a string time) are set after it was built."""
    message = anomaly_json(event_id, initial_state, interview_id=interview)
    message.update(extra)
    return message


def _turn(turn_id: str, role: str = "candidate", text: str = "I built payment APIs.") -> dict:
    return {
        "id": turn_id,
        "role": role,
        "text": text,
        "started_at": "2025-03-01T10:01:00Z",
        "ended_at": "2025-03-01T10:01:09Z",
    }


def test_context_has_what_the_agent_needs(api: Api) -> None:
    interview = api.create_ok()["id"]
    response = api.client.get(f"/agent/interviews/{interview}/context", headers=api.service)
    assert response.status_code == 200
    context = response.json()
    assert context["candidate_identity"] == f"candidate-{interview}"
    assert context["room"] == f"interview-{interview}"
    assert "payment APIs" in context["resume_text"]
    assert (context["duration_minutes"], context["question_count"]) == (20, 4)
    assert "candidate_email" not in context
    assert InterviewContext.model_validate(context).files("reference_photo")  # the agent's model
    [photo] = context["enrollment"]
    assert photo["kind"] == "reference_photo"
    download = api.client.get(photo["download_path"], headers=api.service)
    assert download.status_code == 200
    assert download.content == documents.face_jpeg()
    assert download.headers["content-type"] == "image/jpeg"


def test_event_batches_are_idempotent(api: Api) -> None:
    interview = api.create_ok(reference_photo=None)["id"]
    path = f"/agent/interviews/{interview}/events"
    batch = {
        "events": [
            _anomaly(interview, "ev-1", "started"),
            _anomaly(interview, "ev-2", "started", type="multiple_faces"),
        ]
    }
    first = api.client.post(path, json=batch, headers=api.service)
    assert first.json() == {"inserted": 2, "updated": 0, "duplicates": 0}
    retry = api.client.post(path, json=batch, headers=api.service)
    assert retry.json() == {"inserted": 0, "updated": 0, "duplicates": 2}
    assert api.count(ProctoringEvent) == 2

    # The end completes the same row, once.
    end = {
        "events": [_anomaly(interview, "ev-1", "ended", confidence=0.95, evidence={"frames": 14})]
    }
    assert api.client.post(path, json=end, headers=api.service).json()["updated"] == 1
    assert api.client.post(path, json=end, headers=api.service).json()["duplicates"] == 1
    assert api.count(ProctoringEvent) == 2

    # An end that overtakes its start: one row, both applied.
    late = {
        "events": [_anomaly(interview, "ev-3", "ended"), _anomaly(interview, "ev-3", "started")]
    }
    assert api.client.post(path, json=late, headers=api.service).json() == {
        "inserted": 1,
        "updated": 1,
        "duplicates": 0,
    }
    with Session(api.engine) as session:
        row = session.get(ProctoringEvent, (interview, "ev-1"))
        assert row is not None
        assert row.start_received and row.end_received
        assert row.confidence == 0.95
        assert row.evidence == {"distance": 0.71, "frames": 14}
        assert (row.ended_at - row.started_at).total_seconds() == 7  # type: ignore[operator]
        late_row = session.get(ProctoringEvent, (interview, "ev-3"))
        assert late_row is not None and late_row.ended_at is not None
    assert (
        api.client.get(f"/interviews/{interview}", headers=api.recruiter).json()["event_count"] == 3
    )


@pytest.mark.parametrize(
    ("message", "fragment"),
    [
        ({"interview_id": "another"}, "names interview another, but was posted to"),
        ({"started_at": 1e13}, "time must be epoch seconds (UTC) between 1970 and the year 9999"),
        ({"started_at": "2025-03-01T10:00:05Z"}, "started_at: Input should be a valid number"),
        ({"confidence": 1.5}, "confidence: Input should be less than or equal to 1"),
        ({"state": "paused"}, "state: Input should be 'started' or 'ended'"),
        ({"evidence": {"image": "x" * 70_000}}, "evidence is too large"),
        ({"id": "../../etc"}, "events.1.id: String should match pattern"),
    ],
)
def test_bad_events_are_refused_whole(api: Api, message: dict[str, Any], fragment: str) -> None:
    interview = api.create_ok(reference_photo=None)["id"]
    before = api.state()
    batch = {
        "events": [
            _anomaly(interview, "fine", "started"),
            _anomaly(interview, "bad", "started", **message),
        ]
    }
    response = api.client.post(
        f"/agent/interviews/{interview}/events", json=batch, headers=api.service
    )
    assert response.status_code == 422
    assert fragment in response.json()["detail"]
    assert api.state() == before


def test_transcript_turns_are_idempotent(api: Api) -> None:
    interview = api.create_ok(reference_photo=None)["id"]
    path = f"/agent/interviews/{interview}/transcript"
    batch = {"turns": [_turn("t1", "interviewer", "Tell me about yourself."), _turn("t2")]}
    assert api.client.post(path, json=batch, headers=api.service).json() == {
        "inserted": 2,
        "updated": 0,
        "duplicates": 0,
    }
    again = {"turns": [*batch["turns"], _turn("t3")]}
    assert api.client.post(path, json=again, headers=api.service).json() == {
        "inserted": 1,
        "updated": 0,
        "duplicates": 2,
    }
    assert api.count(TranscriptTurn) == 3
    wrong_role = {"turns": [_turn("t4", role="proctor")]}
    response = api.client.post(path, json=wrong_role, headers=api.service)
    assert response.status_code == 422
    assert "role: Input should be 'candidate' or 'interviewer'" in response.json()["detail"]


def test_lifecycle_follows_the_state_machine(api: Api) -> None:
    interview = api.create_ok(reference_photo=None)["id"]
    path = f"/agent/interviews/{interview}/lifecycle"

    def move(status: str) -> Any:
        return api.client.post(path, json={"status": status}, headers=api.service)

    skip = move("evaluated")
    assert skip.status_code == 409
    assert skip.json()["detail"] == (
        "cannot move the interview from 'created' to 'evaluated'; "
        "allowed next statuses: cancelled, failed, in_progress, ready"
    )
    for status in ("ready", "in_progress", "completed"):
        assert move(status).json()["changed"] is True
    assert move("completed").json()["changed"] is False  # a retry is a no-op
    assert move("in_progress").status_code == 409
    assert move("evaluated").json()["status"] == "evaluated"
    final = move("failed")
    assert final.status_code == 409
    assert "none (final status)" in final.json()["detail"]
    detail = api.client.get(f"/interviews/{interview}", headers=api.recruiter).json()
    assert [t["to_status"] for t in detail["transitions"]] == [
        "created",
        "ready",
        "in_progress",
        "completed",
        "evaluated",
    ]
    # Completion is reported by the agent; the evaluation that follows is the server's.
    assert [t["source"] for t in detail["transitions"][1:]] == ["agent"] * 3 + ["system"]
    assert move("bogus").status_code == 422


def test_snapshot_is_stored_and_served_by_signed_url(api: Api) -> None:
    interview = api.create_ok(reference_photo=None)["id"]
    response = api.client.post(
        f"/agent/interviews/{interview}/snapshots",
        files={"file": ("s.png", documents.png_bytes(), "image/png")},
        data={"event_id": "ev-9"},
        headers=api.service,
    )
    assert response.status_code == 201
    stored = response.json()
    assert stored["key"].startswith(f"interviews/{interview}/snapshot/")
    assert stored["content_type"] == "image/png"
    assert api.stored_files() == {stored["key"]}
    media_path = stored["url"].removeprefix("http://testserver")
    assert api.client.get(media_path).content == documents.png_bytes()
    tampered = media_path[:-1] + ("0" if media_path[-1] != "0" else "1")
    refused = api.client.get(tampered)
    assert refused.status_code == 403
    assert "invalid or has expired" in refused.json()["detail"]
    expired = api.client.get(f"/media/{stored['key']}?expires=1&signature=abc")
    assert expired.status_code == 403
    with Session(api.engine) as session:
        row = session.get(StoredFile, stored["id"])
        assert row is not None and row.event_id == "ev-9" and row.kind == "snapshot"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer nope"}, 401),
        ({"Authorization": f"Bearer {RECRUITER_KEY}"}, 403),
    ],
)
def test_agent_endpoints_need_the_service_token(
    api: Api, headers: dict[str, str], status: int
) -> None:
    interview = api.create_ok(reference_photo=None)["id"]
    before = api.state()
    base = f"/agent/interviews/{interview}"
    calls = [
        api.client.get(f"{base}/context", headers=headers),
        api.client.post(
            f"{base}/events",
            json={"events": [_anomaly(interview, "a", "started")]},
            headers=headers,
        ),
        api.client.post(f"{base}/transcript", json={"turns": [_turn("t")]}, headers=headers),
        api.client.post(f"{base}/lifecycle", json={"status": "ready"}, headers=headers),
    ]
    for response in calls:
        assert response.status_code == status
        assert "SERVICE_TOKEN" in response.json()["detail"]
        assert response.headers["www-authenticate"].startswith('Bearer realm="agent"')
    assert api.state() == before
