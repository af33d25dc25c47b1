"""The offline evaluation on a real-looking interview: useful, honest, deterministic."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from control_api.models import Interview, LifecycleTransition
from control_api.reports.evidence import normalise
from control_api.reports.requirements import extract_requirements
from control_api.reports.schema import (
    OFFLINE_METHOD,
    AssessmentStatus,
    CompetencySource,
    Recommendation,
)
from control_api.reports.service import generate_report
from control_api.settings import Settings
from control_api.storage import Storage
from tests.reports import interview_data as data
from tests.reports.conftest import Seeded


def test_requirements_are_the_bulleted_lines_of_the_job_description() -> None:
    found = extract_requirements(data.JOB_DESCRIPTION, data.RESUME)
    assert [r.name for r in found] == [
        "REST APIs in Python",
        "PostgreSQL data modelling and query tuning",
        "Running services on Kubernetes in production",
        "Testing discipline: unit, integration and property-based tests",
        "Clear written and spoken communication",
        "Kafka or another event streaming platform",
    ]
    by_name = {r.name: r for r in found}
    assert by_name["REST APIs in Python"].source is CompetencySource.BOTH  # resume: Python
    assert by_name["Kafka or another event streaming platform"].distinctive == ("kafka",)
    assert "experience" not in by_name["Running services on Kubernetes in production"].keywords


def test_requirements_fall_back_to_sentences_without_bullets() -> None:
    found = extract_requirements(
        "Backend Engineer. You will design REST APIs and run services on Linux. "
        "We offer a nice office. Experience with PostgreSQL is required."
    )
    assert [r.name for r in found] == [
        "Design REST APIs and run services on Linux",
        "PostgreSQL is required",
    ]


def test_offline_report_scores_what_was_said_and_marks_the_rest_not_assessed(
    engine: Engine, settings: Settings, storage: Storage, seeded: Seeded
) -> None:
    document = generate_report(engine, settings, storage, seeded.interview_id)

    evaluation = document.evaluation
    assert document.evaluation_method == OFFLINE_METHOD == evaluation.method
    assert "Offline heuristic evaluation" in evaluation.method_note
    by_name = {c.name: c for c in evaluation.competencies}
    apis = by_name["REST APIs in Python"]
    assert apis.status is AssessmentStatus.ASSESSED
    assert apis.score is not None and apis.score >= 4
    assert apis.evidence[0].turn_id == "t02"
    assert apis.evidence[0].offset_seconds == 20.0
    # Kubernetes came up only in the interviewer's question; the candidate said no.
    kubernetes = by_name["Running services on Kubernetes in production"]
    assert kubernetes.status is AssessmentStatus.NOT_ASSESSED and kubernetes.score is None
    # "our platform team" alone is not evidence of event streaming.
    kafka = by_name["Kafka or another event streaming platform"]
    assert kafka.status is AssessmentStatus.NOT_ASSESSED
    candidate_text = {t[0]: normalise(t[4]) for t in data.TURNS if t[1] == "candidate"}
    for competency in evaluation.competencies:
        for quote in competency.evidence:
            assert normalise(quote.quote) in candidate_text[quote.turn_id]
    assert evaluation.evidence_check.quotes_rejected == 0
    assert evaluation.recommendation is Recommendation.LEAN_YES  # 3 of 6 assessed, mean 4
    assert any("Kubernetes" in step for step in evaluation.next_steps)
    assert document.interview.duration_seconds == data.INTERVIEW_SECONDS
    assert document.interview.candidate_turns == 6

    with Session(engine) as session:
        interview = session.get(Interview, seeded.interview_id)
        assert interview is not None and interview.status == "evaluated"
        last = session.exec(
            select(LifecycleTransition)
            .where(LifecycleTransition.interview_id == seeded.interview_id)
            .order_by(LifecycleTransition.id.desc())  # type: ignore[union-attr]
        ).first()
        assert last is not None and (last.from_status, last.to_status) == ("completed", "evaluated")


def test_offline_evaluation_is_deterministic(
    engine: Engine, settings: Settings, storage: Storage, seeded: Seeded
) -> None:
    first = generate_report(engine, settings, storage, seeded.interview_id)
    second = generate_report(engine, settings, storage, seeded.interview_id, replace=True)
    assert first.report_id != second.report_id
    assert first.evaluation == second.evaluation
