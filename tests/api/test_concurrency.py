"""Bursts of concurrent writers over real HTTP: no "database is locked", no lost or
doubled rows (SQLite in WAL mode with BEGIN IMMEDIATE, and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from control_api.app import create_app
from control_api.models import Interview, ProctoringEvent, TranscriptTurn
from tests.api.conftest import Api
from tests.support.anomalies import T0, anomaly_json
from tests.support.livekit_server import free_tcp_port
from tests.support.served_api import serving

WRITERS = 50


def _event(interview: str, event_id: str, state: str) -> dict[str, object]:
    return anomaly_json(
        event_id,
        state,
        interview_id=interview,
        type="no_face",
        severity="medium",
        confidence=0.8,
        started_at=T0,
        ended_at=T0 + 4 if state == "ended" else None,
    )


def test_burst_of_concurrent_writers(api_factory: Callable[..., Api]) -> None:
    api = api_factory()
    interview = api.create_ok(reference_photo=None)["id"]
    # A second app on the same database, served over HTTP by uvicorn.
    with serving(create_app(api.settings), free_tcp_port()) as served:
        base = served.url

        def writer(n: int) -> list[int]:
            with httpx.Client(base_url=base, headers=api.service, timeout=60) as http:
                statuses = []
                # Every writer also re-sends its neighbour's event: duplicates race.
                batch = [
                    _event(interview, f"ev-{n}", "started"),
                    _event(interview, f"ev-{(n + 1) % WRITERS}", "started"),
                ]
                for path, body in (
                    (f"/agent/interviews/{interview}/events", {"events": batch}),
                    (
                        f"/agent/interviews/{interview}/events",
                        {"events": [_event(interview, f"ev-{n}", "ended")]},
                    ),
                    (
                        f"/agent/interviews/{interview}/transcript",
                        {
                            "turns": [
                                {
                                    "id": f"turn-{n}",
                                    "role": "candidate",
                                    "text": f"answer {n}",
                                    "started_at": "2025-03-01T10:00:00Z",
                                }
                            ]
                        },
                    ),
                ):
                    statuses.append(http.post(path, json=body).status_code)
                return statuses

        def creator(n: int) -> int:
            with httpx.Client(base_url=base, headers=api.recruiter, timeout=60) as http:
                data, files = api.interview_form(title=f"Burst {n}", reference_photo=None)
                files["resume"] = ("cv.txt", b"Python developer", "text/plain")
                return http.post("/interviews", data=data, files=files).status_code

        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            writes = pool.map(writer, range(WRITERS))
            creations = pool.map(creator, range(10))
            all_writes = [s for statuses in writes for s in statuses]
            all_creations = list(creations)

    assert all_writes == [200] * (3 * WRITERS)
    assert all_creations == [201] * 10
    assert api.count(ProctoringEvent) == WRITERS
    assert api.count(TranscriptTurn) == WRITERS
    assert api.count(Interview) == 11
    detail = api.client.get(f"/interviews/{interview}", headers=api.recruiter).json()
    assert detail["event_count"] == WRITERS
