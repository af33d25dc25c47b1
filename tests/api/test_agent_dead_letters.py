"""The agent's dead-letter reports: stored once however often resent, listed, counted."""

from __future__ import annotations

from typing import Any

from control_api.agent_outbox.models import AgentDeadLetter
from tests.api.conftest import Api

LETTER: dict[str, Any] = {
    "interview_id": "0b6a3d2e-1111-4f7e-9a51-3c1f7c9e0d42",
    "kind": "transcript",
    "key": "turn-7",
    "status": 422,
    "reason": "HTTP 422",
    "attempts": 1,
    "failed_at": "2024-05-01T10:00:00Z",
}


def _report(api: Api, *letters: dict[str, Any]) -> Any:
    return api.client.post(
        "/agent/dead-letters", json={"dead_letters": list(letters)}, headers=api.service
    )


def test_a_report_is_stored_once_however_often_it_is_resent(api: Api) -> None:
    first = _report(api, LETTER)
    assert first.status_code == 200, first.text
    assert first.json() == {"inserted": 1, "updated": 0, "duplicates": 0}
    again = _report(api, LETTER, LETTER)  # a resend after a lost answer, twice over
    assert again.json() == {"inserted": 0, "updated": 0, "duplicates": 2}
    assert api.count(AgentDeadLetter) == 1

    # the same row set aside again later (a newer payload, refused too): updated in place
    later = {**LETTER, "status": 409, "reason": "HTTP 409", "attempts": 3}
    later["failed_at"] = "2024-05-01T11:00:00Z"
    assert _report(api, later).json() == {"inserted": 0, "updated": 1, "duplicates": 0}
    assert api.count(AgentDeadLetter) == 1

    listed = api.client.get("/agent/dead-letters", headers=api.service).json()
    assert listed["total"] == 1
    [row] = listed["dead_letters"]
    assert {k: row[k] for k in ("interview_id", "kind", "key", "status", "attempts")} == {
        "interview_id": LETTER["interview_id"],
        "kind": "transcript",
        "key": "turn-7",
        "status": 409,
        "attempts": 3,
    }
    assert row["failed_at"].startswith("2024-05-01T11:00:00")
    other = api.client.get(
        "/agent/dead-letters", params={"interview_id": "another-interview"}, headers=api.service
    ).json()
    assert other == {"dead_letters": [], "total": 0}


def test_a_row_refused_for_its_malformed_id_can_still_be_reported(api: Api) -> None:
    odd = {**LETTER, "interview_id": "not an id/..", "key": "turn with spaces ünï"}
    assert _report(api, odd).json()["inserted"] == 1
    listed = api.client.get(
        "/agent/dead-letters", params={"interview_id": "not an id/.."}, headers=api.service
    ).json()
    assert [row["key"] for row in listed["dead_letters"]] == ["turn with spaces ünï"]


def test_the_metrics_count_dead_letters_by_kind_and_status(api: Api) -> None:
    _report(
        api,
        LETTER,
        {**LETTER, "key": "turn-8"},
        {**LETTER, "kind": "event", "key": "evt-1:started", "status": 404, "reason": "HTTP 404"},
    )
    response = api.client.get("/metrics", headers=api.service)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'proctorai_agent_dead_letters{kind="transcript",status="422"} 2.0' in response.text
    assert 'proctorai_agent_dead_letters{kind="event",status="404"} 1.0' in response.text


def test_a_bad_report_says_what_to_fix_and_stores_nothing(api: Api) -> None:
    cases = [
        ({**LETTER, "kind": "parcel"}, "dead_letters.0.kind: Input should be 'event'"),
        ({**LETTER, "failed_at": "2024-05-01T10:00:00"}, "timestamps need a timezone"),
        ({**LETTER, "status": 200}, "dead_letters.0.status: Input should be greater than"),
        ({**LETTER, "key": "k" * 201}, "dead_letters.0.key: String should have at most 200"),
        ({k: v for k, v in LETTER.items() if k != "reason"}, "reason: required field is missing"),
    ]
    for letter, message in cases:
        response = _report(api, letter)
        assert response.status_code == 422, letter
        assert message in response.json()["detail"], response.json()["detail"]
    empty = api.client.post("/agent/dead-letters", json={"dead_letters": []}, headers=api.service)
    assert empty.status_code == 422
    assert "dead_letters: List should have at least 1 item" in empty.json()["detail"]
    assert api.count(AgentDeadLetter) == 0
