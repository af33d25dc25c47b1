"""The model path, through the real ``openai`` client against the local fake chat server."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from control_api.reports.schema import AssessmentStatus, Recommendation
from control_api.reports.service import generate_report
from control_api.reports.settings import ReportSettings
from control_api.storage import Storage
from tests.fakes.openai_chat import ChatError, FakeChatServer
from tests.reports.conftest import Seeded, make_settings

MODEL = "gpt-4o-mini"
FABRICATED = "I ran our Kubernetes clusters in production for three years"

ANSWER: dict[str, Any] = {
    "summary": "Designs careful APIs and tunes PostgreSQL; has not run Kubernetes.",
    "competencies": [
        {
            "name": "REST API design in Python",
            "source": "both",
            "score": 5,
            "rationale": "Idempotency keys and cursor pagination, chosen for stated reasons.",
            "evidence": [
                {
                    "turn_id": "t02",
                    "quote": "I chose idempotency keys on every POST so retries from the "
                    "checkout could never refund twice",
                }
            ],
        },
        {
            "name": "Kubernetes in production",
            "source": "job_description",
            "score": 4,
            "rationale": "Ran clusters.",
            "evidence": [{"turn_id": "t08", "quote": FABRICATED}],
        },
        {
            "name": "PostgreSQL query tuning",
            "source": "job_description",
            "score": 4,
            "rationale": "Measured a large gain from a covering index.",
            "evidence": [
                # the wrong turn id: the server cites the turn that holds the words
                {
                    "turn_id": "t02",
                    "quote": "it went from four seconds to about eighty milliseconds",
                }
            ],
        },
    ],
    "recommendation": "yes",
    "recommendation_rationale": "Strong on the core backend skills.",
    "strengths": ["API design"],
    "growth_areas": ["Kubernetes"],
    "next_steps": ["Ask about on-call experience."],
}


def _run(
    tmp_path: Path,
    engine: Engine,
    storage: Storage,
    interview_id: str,
    server: FakeChatServer,
    attempts: int = 3,
) -> Any:
    settings = make_settings(tmp_path, openai_api_key="test-key", openai_base_url=server.base_url)
    report_settings = ReportSettings(
        _env_file=None,  # type: ignore[call-arg]
        openai_eval_model=MODEL,
        evaluation_max_attempts=attempts,
    )
    return generate_report(engine, settings, storage, interview_id, report_settings)


def test_model_claims_rest_on_transcript_quotes_and_a_fabricated_quote_is_rejected(
    tmp_path: Path, engine: Engine, storage: Storage, seeded: Seeded
) -> None:
    with FakeChatServer([json.dumps(ANSWER)]) as server:
        document = _run(tmp_path, engine, storage, seeded.interview_id, server)

    request = server.completed_requests[0]
    assert request.headers["Authorization"] == "Bearer test-key"
    assert request.body["model"] == MODEL
    schema = request.json_schema
    assert schema is not None and schema["strict"] is True
    assert schema["name"] == "ModelEvaluation"
    assert set(schema["schema"]["properties"]) >= {"competencies", "recommendation"}
    prompt = request.messages[1]["content"]
    assert "[t02]" in prompt and "CANDIDATE:" in prompt
    assert "multiple_faces" not in prompt  # the model never sees proctoring data

    evaluation = document.evaluation
    assert document.evaluation_method == f"openai:{MODEL}" == evaluation.method
    by_name = {c.name: c for c in evaluation.competencies}
    kubernetes = by_name["Kubernetes in production"]
    assert kubernetes.status is AssessmentStatus.NOT_ASSESSED
    assert kubernetes.score is None
    assert kubernetes.evidence == []
    assert kubernetes.rejected_evidence[0].quote == FABRICATED
    assert kubernetes.rejected_evidence[0].reason == "not found in the candidate's words"
    api = by_name["REST API design in Python"]
    assert api.status is AssessmentStatus.ASSESSED and api.score == 5
    assert api.evidence[0].turn_id == "t02" and api.evidence[0].offset_seconds == 20.0
    tuning = by_name["PostgreSQL query tuning"]
    assert tuning.evidence[0].turn_id == "t04"
    assert tuning.evidence[0].offset_seconds == 112.0
    check = evaluation.evidence_check
    assert (check.quotes_checked, check.quotes_accepted, check.quotes_rejected) == (3, 2, 1)
    assert check.competencies_rejected == 1
    assert evaluation.recommendation is Recommendation.YES
    assert document.interview.status == "evaluated"


def test_an_invalid_answer_is_asked_for_again(
    tmp_path: Path, engine: Engine, storage: Storage, seeded: Seeded
) -> None:
    truncated = json.dumps(ANSWER)[:120]
    with FakeChatServer([truncated, ChatError(500), json.dumps(ANSWER)]) as server:
        document = _run(tmp_path, engine, storage, seeded.interview_id, server)

    assert [r.status for r in server.requests] == [200, 500, 200]
    assert server.remaining == 0
    assert document.evaluation.method == f"openai:{MODEL}"
    assert "2 attempt(s)" in document.evaluation.method_note
    assert len(document.evaluation.competencies) == 3


def test_after_the_last_invalid_answer_the_offline_evaluation_is_used_and_labelled(
    tmp_path: Path, engine: Engine, storage: Storage, seeded: Seeded
) -> None:
    with FakeChatServer(["not json", '{"summary": 3}']) as server:
        document = _run(tmp_path, engine, storage, seeded.interview_id, server, attempts=2)

    assert len(server.completed_requests) == 2
    assert document.evaluation_method == "offline-deterministic"
    assert "gave no usable evaluation" in document.evaluation.method_note
    assert "Offline heuristic evaluation" in document.evaluation.method_note


def test_whatever_the_model_says_about_proctoring_is_replaced_by_the_stored_record(
    tmp_path: Path, engine: Engine, storage: Storage, seeded: Seeded
) -> None:
    claim = copy.deepcopy(ANSWER)
    claim["proctoring"] = {
        "impact_score": 100,
        "anomalies": [],
        "summary": "No anomalies: the session was clean.",
    }
    with FakeChatServer([json.dumps(claim)]) as server:
        document = _run(tmp_path, engine, storage, seeded.interview_id, server)

    proctoring = document.proctoring
    assert [item.type for item in proctoring.timeline] == [
        "no_face",
        "multiple_faces",
        "second_speaker",
    ]
    assert proctoring.scorecard.score < 100
    assert len(proctoring.scorecard.deductions) == 3
    assert "the session was clean" not in document.model_dump_json()


def test_a_recommendation_resting_on_no_accepted_quote_becomes_insufficient_evidence(
    tmp_path: Path, engine: Engine, storage: Storage, seeded: Seeded
) -> None:
    invented = copy.deepcopy(ANSWER)
    for competency in invented["competencies"]:
        competency["evidence"] = [{"turn_id": "t02", "quote": FABRICATED}]
    with FakeChatServer([json.dumps(invented)]) as server:
        document = _run(tmp_path, engine, storage, seeded.interview_id, server)

    evaluation = document.evaluation
    assert all(c.status is AssessmentStatus.NOT_ASSESSED for c in evaluation.competencies)
    assert evaluation.recommendation is Recommendation.INSUFFICIENT_EVIDENCE
    assert evaluation.recommendation_rationale.startswith("Changed from 'yes'")
