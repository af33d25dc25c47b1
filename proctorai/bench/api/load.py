"""The load: N concurrent clients calling the API the way the recruiter and the agent do.

Each client is its own HTTP connection (its own ``httpx.AsyncClient``), so the server
sees N independent callers, not one pipelined connection.
"""

from __future__ import annotations

import functools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from agent.api_client import APIError, ControlAPIClient
from contracts.anomaly import AnomalyEvent, AnomalyState, AnomalyType, Severity
from proctorai.bench.api.measure import Budget, PhaseResult, StartLine, run_clients, timed
from proctorai.demo.form import FileParts
from proctorai.demo.form import interview_form as sample_form

# Every Nth anomaly's end message is sent twice, as the agent's outbox does when an
# acknowledgement is lost: the second copy must be stored as a duplicate, not again.
RESEND_EVERY = 5


# --- phase 1: the recruiter creates interviews --------------------------------------------


def interview_form(index: int) -> tuple[dict[str, str], FileParts]:
    """The form ``proctorai demo`` sends: text fields, a resume file, the job as text."""
    return sample_form(
        title=f"Benchmark interview {index}",
        candidate_name="Bench Candidate",
        candidate_email="candidate@example.com",
        duration_minutes=30,
        question_count=6,
        sensitivity="standard",
    )


async def _post_interview(http: httpx.AsyncClient, index: int, created: list[str]) -> int:
    data, files = interview_form(index)
    response = await http.post("/interviews", data=data, files=files)
    if response.status_code != 201:
        raise APIError(f"POST /interviews: HTTP {response.status_code}", response.status_code)
    created.append(str(response.json()["id"]))
    return 1


async def create_interviews(
    base_url: str, recruiter_key: str, clients: int, budget: Budget
) -> tuple[PhaseResult, list[str]]:
    """POST /interviews from ``clients`` recruiters at once; returns the ids created."""
    result = PhaseResult("interviews", clients)
    line = StartLine(clients, budget)
    created: list[str] = []

    async def recruiter(index: int) -> None:
        async with httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {recruiter_key}"},
            timeout=30.0,
        ) as http:
            await line.ready(index)
            count = 0
            while budget.take():
                number = index * 100_000 + count
                count += 1
                await timed(result, functools.partial(_post_interview, http, number, created))

    return await run_clients(result, line, recruiter), created


# --- phase 2: the agent delivers proctoring events ----------------------------------------


@dataclass
class EventLedger:
    """Which messages the API acknowledged, to check afterwards that each is stored once."""

    started: set[tuple[str, str]] = field(default_factory=set)  # (interview, anomaly id)
    ended: set[tuple[str, str]] = field(default_factory=set)
    resent: int = 0  # duplicate messages acknowledged (each must not add a row)

    @property
    def anomalies(self) -> set[tuple[str, str]]:
        return self.started | self.ended


def anomaly_messages(
    interview_id: str, count: int, state: AnomalyState, ids: list[str]
) -> list[dict[str, Any]]:
    """The agent's payloads (``AnomalyEvent.model_dump(mode="json")``) for ``ids``."""
    now = time.time()
    types = list(AnomalyType)
    messages = []
    for n, anomaly_id in enumerate(ids[:count]):
        event = AnomalyEvent(
            id=anomaly_id,
            interview_id=interview_id,
            type=types[n % len(types)],
            state=state,
            severity=Severity.MEDIUM,
            confidence=0.9,
            started_at=now - 5.0,
            ended_at=now if state is AnomalyState.ENDED else None,
            confirmed_at=now - 4.0,
            evidence={"score": 0.42, "frames": 6},
        )
        messages.append(event.model_dump(mode="json"))
    return messages


async def ingest_events(
    base_url: str,
    service_token: str,
    interview_ids: list[str],
    clients: int,
    budget: Budget,
    batch: int = 1,
) -> tuple[PhaseResult, EventLedger]:
    """Post anomaly start and end messages with the agent's own client, concurrently.

    Client ``i`` plays the agent job of interview ``i mod len(interview_ids)``: for each
    new anomaly (``batch`` of them per request) it posts the start messages, then the
    end messages; every :data:`RESEND_EVERY`-th end batch is posted a second time.
    """
    result = PhaseResult("events", clients)
    line = StartLine(clients, budget)
    ledger = EventLedger()
    if not interview_ids:  # every creation failed: the phase cannot run, and says so
        result.errors["no interview to post to"] += 1
        return result, ledger

    async def agent(index: int) -> None:
        interview = interview_ids[index % len(interview_ids)]
        async with ControlAPIClient(base_url, service_token) as api:
            await line.ready(index)
            round_no = 0
            while True:
                ids = [str(uuid.uuid4()) for _ in range(batch)]
                resend = round_no % RESEND_EVERY == RESEND_EVERY - 1
                steps = [AnomalyState.STARTED, AnomalyState.ENDED]
                if resend:
                    steps.append(AnomalyState.ENDED)
                for step_no, state in enumerate(steps):
                    if not budget.take():
                        return
                    messages = anomaly_messages(interview, batch, state, ids)

                    async def call(
                        messages: list[dict[str, Any]] = messages, first: bool = step_no < 2
                    ) -> int:
                        await api.post_events(interview, messages)
                        return len(messages) if first else 0  # a resend stores nothing new

                    if await timed(result, call):
                        target = ledger.started if state is AnomalyState.STARTED else ledger.ended
                        target.update((interview, anomaly_id) for anomaly_id in ids)
                        if step_no == 2:
                            ledger.resent += len(ids)
                round_no += 1

    return await run_clients(result, line, agent), ledger
