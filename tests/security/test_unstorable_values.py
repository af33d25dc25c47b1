"""Values that pass validation but that the database cannot hold: found by the fuzzer.

A timestamp valid in its own offset can leave the year range once moved to UTC
(``0001-01-01T00:00:00+05:00``; anomaly times, epoch seconds, are bounded by their
contract instead), and PostgreSQL refuses NUL characters in text. Both
answered 500; they are the client's to correct, so they answer 422 with a message
saying what to change, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

import pytest

from control_api.errors import UNSTORABLE_VALUE
from control_api.models import ProctoringEvent, TranscriptTurn
from tests.api.conftest import Api
from tests.support.anomalies import anomaly_json

TURN: dict[str, Any] = {
    "id": "turn-1",
    "role": "candidate",
    "text": "I built payment APIs.",
    "started_at": "2024-01-01T10:00:00Z",
}


def test_timestamps_outside_the_utc_year_range_are_422(api: Api) -> None:
    interview = api.create_ok(reference_photo=None)["id"]
    before = api.state()
    response = api.client.post(
        f"/agent/interviews/{interview}/transcript",
        json={"turns": [{**TURN, "started_at": "0001-01-01T00:30:00+01:00"}]},
        headers=api.service,
    )
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": UNSTORABLE_VALUE}
    assert api.state() == before


@pytest.mark.parametrize("when", [1e13, -1.0, 253_402_300_800.0])
def test_anomaly_times_a_timestamp_cannot_hold_are_422(api: Api, when: float) -> None:
    """Anomaly times are epoch seconds (contracts.anomaly): past the year 9999, or before
    1970, they are refused by the contract itself, saying what a time must be."""
    interview = api.create_ok(reference_photo=None)["id"]
    before = api.state()
    event = anomaly_json("evt-1", interview_id=interview)
    response = api.client.post(
        f"/agent/interviews/{interview}/events",
        json={"events": [{**event, "started_at": when}]},
        headers=api.service,
    )
    assert response.status_code == 422, response.text
    assert "epoch seconds (UTC) between 1970 and the year 9999" in response.json()["detail"]
    assert api.state() == before


def test_nul_characters_in_transcript_text(api: Api, db_backend: str) -> None:
    """SQLite keeps the text as sent; PostgreSQL cannot hold it, and says so."""
    interview = api.create_ok(reference_photo=None)["id"]
    turn = {**TURN, "text": "before\x00after"}
    response = api.client.post(
        f"/agent/interviews/{interview}/transcript", json={"turns": [turn]}, headers=api.service
    )
    if db_backend == "postgres":
        assert response.status_code == 422, response.text
        assert response.json() == {"detail": UNSTORABLE_VALUE}
        assert api.count(TranscriptTurn) == 0
    else:
        assert response.status_code == 200, response.text
        assert api.count(TranscriptTurn) == 1
    # The same batch without the NUL goes through on both: nothing was left half-done.
    clean = {**TURN, "text": "before after"}
    again = api.client.post(
        f"/agent/interviews/{interview}/transcript", json={"turns": [clean]}, headers=api.service
    )
    assert again.status_code == 200
    assert api.count(TranscriptTurn) == 1
    assert api.count(ProctoringEvent) == 0
