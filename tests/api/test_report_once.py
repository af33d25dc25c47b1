"""Each interview is evaluated once and its report reaches the ATS once (issue 11, item 2).

On the real app (SQLite and PostgreSQL), with the agent's endpoints and signed LiveKit
webhooks as the triggers: the agent's ``completed`` and LiveKit's ``room_finished`` for
the same interview make one report; two generators racing (two API processes on one
database) make one evaluation; a ``room_finished`` that arrives while the agent's outbox
is still delivering waits for the agent's ``completed``, or for REPORT_DRAIN_SECONDS when
the agent never reports.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlmodel import Session

from control_api.lifecycle import lock_interview, transition
from control_api.models import InterviewStatus, TransitionSource
from control_api.reports.maintenance import generate_and_notify
from control_api.reports.service import ReportError
from control_api.reports.settings import ReportSettings
from control_api.reports.webhook import DELIVERY_HEADER, DeliveryResult
from tests.api.conftest import Api
from tests.api.livekit_webhooks import post_room_finished
from tests.fakes.openai_chat import FakeChatServer
from tests.reports.ats_receiver import SECRET, AtsReceiver

QUIET = {"agent_check_interval": 0, "maintenance_interval_seconds": 0}
"""No agent supervision (no worker runs here) and no catch-up round unless a test wants one."""

EARLY = [
    ("early-i1", "interviewer", "Tell me about an API you designed."),
    ("early-c1", "candidate", "I designed a payments API with idempotency keys on every POST."),
]
LATE = [
    ("late-i2", "interviewer", "How did you test it?"),
    ("late-c2", "candidate", "Contract tests against a recorded sandbox and a chaos proxy."),
    ("late-c3", "candidate", "And load tests replaying a day of production traffic."),
]

ANSWER = {
    "summary": "Designs careful payment APIs.",
    "competencies": [
        {
            "name": "API design",
            "source": "job_description",
            "score": 4,
            "rationale": "Idempotency keys, chosen for retries.",
            "evidence": [{"turn_id": "early-c1", "quote": "a payments API with idempotency keys"}],
        }
    ],
    "recommendation": "yes",
    "recommendation_rationale": "Strong API design.",
    "strengths": ["API design"],
    "growth_areas": [],
    "next_steps": [],
}


def _agent(api: Api, interview_id: str, what: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.client.post(
        f"/agent/interviews/{interview_id}/{what}", json=body, headers=api.service
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _post_turns(api: Api, interview_id: str, turns: list[tuple[str, str, str]]) -> None:
    start = datetime.now(UTC)
    batch = [
        {
            "id": turn_id,
            "role": role,
            "text": text,
            "started_at": (start + timedelta(seconds=i)).isoformat(),
            "ended_at": (start + timedelta(seconds=i + 0.5)).isoformat(),
        }
        for i, (turn_id, role, text) in enumerate(turns)
    ]
    assert _agent(api, interview_id, "transcript", {"turns": batch})["inserted"] == len(turns)


def _running_interview(api: Api) -> dict[str, Any]:
    """An interview the agent started, with the first turns delivered."""
    interview = api.create_ok(reference_photo=None)
    _agent(api, interview["id"], "lifecycle", {"status": "in_progress"})
    _post_turns(api, interview["id"], EARLY)
    return interview


def _report(api: Api, interview_id: str) -> Any:
    return api.client.get(f"/interviews/{interview_id}/report", headers=api.recruiter)


def _detail(api: Api, interview_id: str) -> dict[str, Any]:
    body: dict[str, Any] = api.client.get(
        f"/interviews/{interview_id}", headers=api.recruiter
    ).json()
    return body


def _ats_from_environment(monkeypatch: pytest.MonkeyPatch, receiver: AtsReceiver) -> None:
    """The background generation reads the ATS settings from the environment, as deployed."""
    monkeypatch.setenv("ATS_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("ATS_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("ATS_WEBHOOK_BACKOFF_SECONDS", "0.05")


def test_agent_completed_then_room_finished_make_one_report_sent_once(
    api_factory: Callable[..., Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    with AtsReceiver([]) as receiver:
        _ats_from_environment(monkeypatch, receiver)
        api = api_factory(**QUIET)
        interview = _running_interview(api)
        interview_id = interview["id"]
        _agent(api, interview_id, "lifecycle", {"status": "completed", "reason": "finished"})
        first = _report(api, interview_id)
        assert first.status_code == 200, first.text

        # LiveKit closes the room after the agent left: a new event, no new evaluation.
        assert post_room_finished(api, interview["room"])["applied"] is True
        # ... and the agent's outbox resending its `completed` (ack lost) changes nothing.
        retry = _agent(api, interview_id, "lifecycle", {"status": "completed"})
        assert (retry["status"], retry["changed"]) == ("evaluated", False)

        second = _report(api, interview_id)
        assert second.json()["report_id"] == first.json()["report_id"]
        assert second.json()["generated_at"] == first.json()["generated_at"]
        assert [json.loads(r.body)["report_id"] for r in receiver.received] == [
            first.json()["report_id"]
        ]
    log = api.client.get(
        f"/interviews/{interview_id}/webhook-deliveries", headers=api.recruiter
    ).json()
    assert [(d["attempt"], d["succeeded"]) for d in log] == [(1, True)]
    assert log[0]["delivery_id"] == receiver.received[0].headers[DELIVERY_HEADER]
    transitions = [(t["to_status"], t["source"]) for t in _detail(api, interview_id)["transitions"]]
    assert transitions[-2:] == [("completed", "agent"), ("evaluated", "system")]


def test_two_api_processes_generating_at_once_evaluate_once(
    api_factory: Callable[..., Api],
) -> None:
    with FakeChatServer([json.dumps(ANSWER), json.dumps(ANSWER)]) as chat, AtsReceiver([]) as ats:
        model = {"openai_api_key": "test-key", "openai_base_url": chat.base_url, **QUIET}
        first_process = api_factory(**model)
        second_process = api_factory(**model)  # the same database, its own engine and pool
        interview_id = _running_interview(first_process)["id"]
        with Session(first_process.engine) as session:  # completed, no trigger has run yet
            locked = lock_interview(session, interview_id)
            assert locked is not None
            transition(session, locked, InterviewStatus.COMPLETED, TransitionSource.AGENT)
            session.commit()
        report_settings = ReportSettings(
            _env_file=None,  # type: ignore[call-arg]
            ats_webhook_url=ats.url,
            ats_webhook_secret=SecretStr(SECRET),
        )
        start = threading.Barrier(2)

        def generate(api: Api) -> DeliveryResult | ReportError | None:
            start.wait()
            try:
                return generate_and_notify(
                    api.engine,
                    api.settings,
                    api.client.app.state.storage,  # type: ignore[attr-defined]
                    interview_id,
                    report_settings,
                )
            except ReportError as exc:
                return exc

        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(generate, [first_process, second_process]))

    assert len(chat.requests) == 1, "the model was asked more than once"
    delivered = [o for o in outcomes if isinstance(o, DeliveryResult)]
    refused = [o for o in outcomes if isinstance(o, ReportError)]
    assert len(delivered) == 1 and delivered[0].delivered
    assert len(refused) == 1 and refused[0].status_code == 409
    said = str(refused[0])  # the loser says why it did not evaluate
    assert "already has a report" in said or "being generated right now" in said, said
    report = _report(first_process, interview_id).json()
    assert report["evaluation_method"] == "openai:gpt-4o-mini"
    assert [json.loads(r.body)["report_id"] for r in ats.received] == [report["report_id"]]
    assert _detail(second_process, interview_id)["status"] == "evaluated"


def test_room_finished_first_waits_for_the_agents_late_turns_and_completed(
    api_factory: Callable[..., Api],
) -> None:
    api = api_factory(**QUIET)
    interview = _running_interview(api)
    interview_id = interview["id"]

    # The room is gone (the candidate left) while the agent's outbox still holds turns.
    assert post_room_finished(api, interview["room"])["applied"] is True
    assert _detail(api, interview_id)["status"] == "completed"
    early = _report(api, interview_id)
    assert early.status_code == 404
    assert "no report yet" in early.json()["detail"]

    _post_turns(api, interview_id, LATE)  # the outbox drains...
    done = _agent(api, interview_id, "lifecycle", {"status": "completed", "reason": "finished"})
    assert (done["status"], done["changed"]) == ("completed", False)  # LiveKit was first

    report = _report(api, interview_id)
    assert report.status_code == 200, report.text
    facts = report.json()["interview"]
    assert (facts["candidate_turns"], facts["interviewer_turns"]) == (3, 2)
    assert facts["status"] == "evaluated"


@pytest.mark.parametrize("maintenance", [0.2, 0.0], ids=["catch-up-on", "catch-up-off"])
def test_room_finished_without_the_agent_is_evaluated_after_the_drain_bound(
    api_factory: Callable[..., Api], maintenance: float
) -> None:
    """Also with the catch-up round turned off (MAINTENANCE_INTERVAL_SECONDS=0): the room's
    end itself schedules the evaluation at the drain bound."""
    drain = 1.5
    api = api_factory(
        agent_check_interval=0, maintenance_interval_seconds=maintenance, report_drain_seconds=drain
    )
    interview = _running_interview(api)
    interview_id = interview["id"]
    assert post_room_finished(api, interview["room"])["applied"] is True
    _post_turns(api, interview_id, LATE)  # delivered after the room ended; no `completed`

    deadline = time.monotonic() + 30
    report = _report(api, interview_id)
    while report.status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.2)
        report = _report(api, interview_id)
    assert report.status_code == 200, report.text

    completed_at = next(
        datetime.fromisoformat(t["at"])
        for t in _detail(api, interview_id)["transitions"]
        if t["to_status"] == "completed"
    )
    waited = datetime.fromisoformat(report.json()["generated_at"]) - completed_at
    assert waited >= timedelta(seconds=drain), f"evaluated {waited} after room_finished"
    assert report.json()["interview"]["candidate_turns"] == 3
