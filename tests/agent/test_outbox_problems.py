"""The outbox against the REAL control API when deliveries go wrong (issue 11, item 8).

A rotated ``SERVICE_TOKEN`` (401) must never lose rows: they wait in the outbox and go
through once the agent has the token the API has. A row the API refuses for good (422)
is set aside and reported to the API, once. A dead letter an older agent set aside for
a 401 is moved back and delivered.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.api_client import ControlAPIClient
from agent.delivery import OutboxFlusher
from agent.outbox import Outbox, OutboxKind
from agent.outbox_status import health_problem
from tests.agent.conftest import SERVICE_TOKEN, RunningAPI, create_interview
from tests.support.anomalies import anomaly_json
from tests.support.served_api import stored_rows

OLD_TOKEN = "the-service-token-before-rotation-0123"


def _event(interview_id: str) -> dict[str, Any]:
    return anomaly_json(
        f"evt-{uuid.uuid4().hex[:12]}",
        interview_id=interview_id,
        type="no_face",
        severity="medium",
        confidence=0.9,
        started_at=time.time(),
    )


def _turn(text: str = "Hello.") -> dict[str, Any]:
    return {
        "id": f"turn-{uuid.uuid4().hex[:12]}",
        "role": "interviewer",
        "text": text,
        "started_at": datetime.now(UTC).isoformat(),
    }


async def _dead_letters(api: RunningAPI) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=api.url, timeout=10) as http:
        response = await http.get("/agent/dead-letters", headers=api.service)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()["dead_letters"]
    return body


async def test_a_rotated_service_token_keeps_rows_until_the_right_token_is_back(
    tmp_path: Path, control_api: RunningAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    interview = await create_interview(control_api, baseline=False)
    events = [_event(interview["id"]) for _ in range(3)]
    turns = [_turn() for _ in range(2)]
    path = tmp_path / "outbox.sqlite3"

    old_client = ControlAPIClient(control_api.url, OLD_TOKEN, timeout=2.0)
    first = OutboxFlusher(Outbox(path), old_client, idle_poll=0.2)
    for event in events:
        await first.put(OutboxKind.EVENT, interview["id"], f"{event['id']}:started", event)
    for turn in turns:
        await first.put(OutboxKind.TRANSCRIPT, interview["id"], turn["id"], turn)
    assert not await first.drain(timeout=3.0)  # refused for 3 s: still there
    assert first.outbox.dead_count() == 0
    assert first.outbox.pending_count() == 5
    problem = health_problem(first.outbox.status())
    assert problem is not None and "refuses the agent's SERVICE_TOKEN (HTTP 401" in problem
    refusals = [r for r in caplog.records if "SERVICE_TOKEN" in r.getMessage()]
    assert [r.levelname for r in refusals] == ["ERROR"]  # said once, not per attempt
    assert OLD_TOKEN not in caplog.text and SERVICE_TOKEN not in caplog.text
    await first.aclose()
    first.outbox.close()
    await old_client.aclose()

    # the worker restarts with the token the API has: everything goes through, at once
    client = ControlAPIClient(control_api.url, SERVICE_TOKEN, timeout=5.0)
    second = OutboxFlusher(Outbox(path), client, idle_poll=0.2)
    started = time.monotonic()
    assert await second.drain(timeout=20.0)
    assert time.monotonic() - started < 5.0  # the old token's backoff is not waited out
    stored = stored_rows(control_api.app.state.engine, interview["id"])
    assert sorted(e.id for e in stored.events) == sorted(e["id"] for e in events)
    assert sorted(t.id for t in stored.turns) == sorted(t["id"] for t in turns)
    assert second.outbox.dead_count() == 0
    assert health_problem(second.outbox.status()) is None
    second.outbox.close()
    await client.aclose()


async def test_a_refused_row_is_reported_to_the_api_once(
    tmp_path: Path, control_api: RunningAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    interview = await create_interview(control_api, baseline=False)
    secret_words = "my previous employer's salary was 123456"
    bad = {**_turn(secret_words), "role": "narrator"}  # the API refuses it: 422
    good = _turn()
    path = tmp_path / "outbox.sqlite3"
    client = ControlAPIClient(control_api.url, SERVICE_TOKEN, timeout=5.0)
    flusher = OutboxFlusher(Outbox(path), client, idle_poll=0.2)
    await flusher.put(OutboxKind.TRANSCRIPT, interview["id"], bad["id"], bad)
    await flusher.put(OutboxKind.TRANSCRIPT, interview["id"], good["id"], good)
    assert await flusher.drain(timeout=10.0)
    assert flusher.outbox.dead_count() == 1
    stored = stored_rows(control_api.app.state.engine, interview["id"])
    assert [t.id for t in stored.turns] == [good["id"]]

    [letter] = await _dead_letters(control_api)
    assert letter["interview_id"] == interview["id"]
    assert letter["kind"] == "transcript"
    assert letter["key"] == bad["id"]
    assert letter["status"] == 422
    assert letter["reason"] == "HTTP 422"
    assert letter["attempts"] == 1
    assert "payload" not in letter and secret_words not in str(letter)

    # the API's answer to the report was lost (a crash before the file's commit): the
    # agent reports it again, and the API still holds one row
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE outbox_dead SET reported = 0")
    await flusher.drain(timeout=10.0)
    assert len(await _dead_letters(control_api)) == 1
    assert health_problem(flusher.outbox.status()) is None
    async with httpx.AsyncClient(base_url=control_api.url, timeout=10) as http:
        metrics = await http.get("/metrics", headers=control_api.service)
    assert 'proctorai_agent_dead_letters{kind="transcript",status="422"} 1.0' in metrics.text
    assert secret_words not in caplog.text
    flusher.outbox.close()
    await client.aclose()


_OLD_SCHEMA = """
CREATE TABLE outbox (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    interview_id TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    lease_until REAL NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    UNIQUE (kind, key)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, lease_until);
CREATE TABLE outbox_dead (
    rowid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    interview_id TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    reason TEXT NOT NULL,
    failed_at REAL NOT NULL
);
"""


async def test_a_dead_letter_of_http_401_from_an_older_file_is_requeued_and_delivered(
    tmp_path: Path, control_api: RunningAPI
) -> None:
    """An agent of the previous version dead-lettered everything a rotated token refused."""
    interview = await create_interview(control_api, baseline=False)
    event = _event(interview["id"])
    path = tmp_path / "outbox.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(_OLD_SCHEMA)
        conn.execute(
            "INSERT INTO outbox_dead VALUES (7, 'event', ?, ?, ?, 1, 'HTTP 401', ?)",
            (interview["id"], f"{event['id']}:started", json.dumps(event), time.time() - 60),
        )
    client = ControlAPIClient(control_api.url, SERVICE_TOKEN, timeout=5.0)
    flusher = OutboxFlusher(Outbox(path), client, idle_poll=0.2)
    assert await flusher.drain(timeout=10.0)
    stored = stored_rows(control_api.app.state.engine, interview["id"])
    assert [e.id for e in stored.events] == [event["id"]]
    assert flusher.outbox.dead_count() == 0
    assert await _dead_letters(control_api) == []  # it was never a real dead letter
    flusher.outbox.close()
    await client.aclose()
