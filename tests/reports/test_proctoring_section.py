"""The proctoring section: the engine's scorecard over the stored records, and decisions."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from contracts.anomaly import AnomalyRecord, AnomalyType, Severity
from control_api.reports.schema import DecisionKind, ReportDocument
from control_api.reports.service import ReportError, generate_report, read_report, record_decision
from control_api.settings import Settings
from control_api.storage import Storage
from proctoring.scorecard import compute_scorecard
from tests.reports import interview_data as data
from tests.reports.conftest import STARTED_AT, Seeded, at, seed_interview

MULTIPLE_FACES = data.ANOMALY_IDS["multiple_faces"]
NO_FACE = data.ANOMALY_IDS["no_face"]


def _expected_records(interview_id: str) -> list[AnomalyRecord]:
    """The anomalies as the agent saw them, built straight from the test data."""
    return [
        AnomalyRecord(
            id=anomaly_id,
            interview_id=interview_id,
            type=AnomalyType(kind),
            severity=Severity(severity),
            confidence=confidence,
            started_at=at(start).timestamp(),
            ended_at=None if end is None else at(end).timestamp(),
            confirmed_at=at(start + 2).timestamp(),
        )
        for anomaly_id, kind, severity, confidence, start, end in data.ANOMALIES
    ]


def _read(
    engine: Engine, storage: Storage, settings: Settings, interview_id: str
) -> ReportDocument:
    with Session(engine) as session:
        return read_report(session, interview_id, storage, settings)


def _decide(engine: Engine, interview_id: str, anomaly_id: str, decision: DecisionKind) -> None:
    with Session(engine) as session:
        record_decision(
            session, interview_id, anomaly_id, decision, "proctor", "link:abc", "Sam", "checked"
        )


def test_the_section_is_the_engines_scorecard_over_the_stored_anomalies(
    engine: Engine, settings: Settings, storage: Storage, seeded: Seeded
) -> None:
    generate_report(engine, settings, storage, seeded.interview_id)
    document = _read(engine, storage, settings, seeded.interview_id)

    expected = compute_scorecard(
        _expected_records(seeded.interview_id),
        STARTED_AT.timestamp(),
        at(data.INTERVIEW_SECONDS).timestamp(),
    )
    assert document.proctoring.scorecard == expected
    assert document.proctoring.scorecard.score == 73.2
    second = document.proctoring.timeline[2]
    assert second.type == "second_speaker" and second.ended_at is None
    assert second.offset_end_seconds == data.INTERVIEW_SECONDS  # open: counted to the end
    assert second.overlap_share == pytest.approx(120 / 720, abs=1e-4)
    snapshots = {item.type: item.snapshots for item in document.proctoring.timeline}
    assert [s.file_id for s in snapshots["multiple_faces"]] == [
        seeded.snapshot_ids["multiple_faces"]
    ]
    assert snapshots["multiple_faces"][0].url.startswith("http://testserver/media/interviews/")
    assert "signature=" in snapshots["multiple_faces"][0].url
    assert snapshots["second_speaker"] == []


def test_score_with_and_without_dismissed_items(
    engine: Engine, settings: Settings, storage: Storage, seeded: Seeded
) -> None:
    generate_report(engine, settings, storage, seeded.interview_id)
    _decide(engine, seeded.interview_id, MULTIPLE_FACES, DecisionKind.DISMISS)
    _decide(engine, seeded.interview_id, NO_FACE, DecisionKind.CONFIRM)
    document = _read(engine, storage, settings, seeded.interview_id)

    card = document.proctoring.scorecard
    assert card == compute_scorecard(
        _expected_records(seeded.interview_id),
        STARTED_AT.timestamp(),
        at(data.INTERVIEW_SECONDS).timestamp(),
        dismissed_ids={MULTIPLE_FACES},
    )
    assert card.score == 73.2
    assert card.score_excluding_dismissed == pytest.approx(73.2 + 15.7)
    item = {i.anomaly_id: i for i in document.proctoring.timeline}
    assert item[MULTIPLE_FACES].decision is DecisionKind.DISMISS
    assert item[MULTIPLE_FACES].points == 15.7
    assert item[MULTIPLE_FACES].points_excluding_dismissed == 0.0
    assert item[NO_FACE].decision is DecisionKind.CONFIRM
    trail = document.proctoring.decisions
    assert [(d.anomaly_id, d.decision) for d in trail] == [
        (MULTIPLE_FACES, DecisionKind.DISMISS),
        (NO_FACE, DecisionKind.CONFIRM),
    ]
    assert trail[0].actor_name == "Sam" and trail[0].note == "checked"


def test_the_newest_decision_is_in_force_and_the_trail_keeps_all(
    engine: Engine, settings: Settings, storage: Storage, seeded: Seeded
) -> None:
    generate_report(engine, settings, storage, seeded.interview_id)
    _decide(engine, seeded.interview_id, MULTIPLE_FACES, DecisionKind.DISMISS)
    _decide(engine, seeded.interview_id, MULTIPLE_FACES, DecisionKind.CONFIRM)
    document = _read(engine, storage, settings, seeded.interview_id)

    assert document.proctoring.scorecard.score_excluding_dismissed == 73.2
    assert [d.decision for d in document.proctoring.decisions] == [
        DecisionKind.DISMISS,
        DecisionKind.CONFIRM,
    ]


def test_a_decision_on_an_unknown_anomaly_is_refused(engine: Engine, seeded: Seeded) -> None:
    with pytest.raises(ReportError) as raised:
        _decide(engine, seeded.interview_id, "no-such-anomaly", DecisionKind.DISMISS)
    assert raised.value.status_code == 404


def test_an_anomaly_type_the_engine_does_not_know_is_listed_but_not_scored(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    anomalies = [
        *data.ANOMALIES,
        ("6f1d9a52-4c1e-4d6b-9d55-0a3c1f2b7e09", "screen_shared", "high", 0.8, 300.0, 360.0),
    ]
    seeded = seed_interview(engine, storage, anomalies=anomalies)
    document = generate_report(engine, settings, storage, seeded.interview_id)

    unknown = [i for i in document.proctoring.timeline if i.type == "screen_shared"]
    assert len(unknown) == 1
    assert unknown[0].scored is False and unknown[0].points == 0.0
    assert unknown[0].offset_start_seconds == 300.0 and unknown[0].offset_end_seconds == 360.0
    assert document.proctoring.scorecard.score == 73.2
    assert len(document.proctoring.scorecard.deductions) == 3
