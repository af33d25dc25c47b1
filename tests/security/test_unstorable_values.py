"""Values that pass validation but that the database cannot hold: found by the fuzzer.

A timestamp valid in its own offset can leave the year range once moved to UTC
(``0001-01-01T00:00:00+05:00``), and PostgreSQL refuses NUL characters in text. Both
answered 500; they are the client's to correct, so they answer 422 with a message
saying what to change, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

import pytest

from control_api.errors import UNSTORABLE_VALUE
from control_api.models import ProctoringEvent, TranscriptTurn
from tests.api.conftest import Api

EVENT: dict[str, Any] = {
    "id": "evt-1",
    "type": "no_face",
    "state": "started",
    "severity": "high",
    "confidence": 0.9,
    "started_at": "2024-01-01T10:00:00Z",
}
TURN: dict[str, Any] = {
    "id": "turn-1",
    "role": "candidate",
    "text": "I built payment APIs.",
    "started_at": "2024-01-01T10:00:00Z",
}


@pytest.mark.parametrize(
    ("kind", "item"),
    [
        ("events", {**EVENT, "started_at": "0001-01-01T00:00:00+05:00"}),
        ("events", {**EVENT, "state": "ended", "ended_at": "9999-12-31T23:59:59-23:00"}),
        ("transcript", {**TURN, "started_at": "0001-01-01T00:30:00+01:00"}),
    ],
)
def test_timestamps_outside_the_utc_year_range_are_422(
    api: Api, kind: str, item: dict[str, Any]
) -> None:
    interview = api.create_ok(reference_photo=None)["id"]
    key = "events" if kind == "events" else "turns"
    before = api.state()
    response = api.client.post(
        f"/agent/interviews/{interview}/{kind}", json={key: [item]}, headers=api.service
    )
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": UNSTORABLE_VALUE}
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
