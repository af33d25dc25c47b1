"""The report feature on PostgreSQL: migration, JSON column, cascades, the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from control_api.db import create_db_engine, run_migrations
from control_api.models import ProctoringEvent, StoredFile, TranscriptTurn
from control_api.reports.models import AnomalyDecision, Report
from control_api.reports.retention import erase_candidate_data
from control_api.reports.schema import DecisionKind
from control_api.reports.service import generate_report, read_report, record_decision
from control_api.settings import Settings
from control_api.storage import Storage, build_storage
from tests.reports import interview_data as data
from tests.reports.conftest import make_settings, seed_interview
from tests.support.postgres_server import PostgresServer


@pytest.fixture
def pg(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[tuple[Engine, Settings]]:
    url = postgres_server.create_database()
    settings = make_settings(tmp_path, database_url=url)
    engine = create_db_engine(url)
    try:
        run_migrations(engine)
        yield engine, settings
    finally:
        engine.dispose()
        postgres_server.drop_database(url)


def _count(session: Session, model: type, interview_id: str) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(model).where(model.interview_id == interview_id)  # type: ignore[attr-defined]
        ).one()
    )


def test_report_lifecycle_on_postgresql(pg: tuple[Engine, Settings]) -> None:
    engine, settings = pg
    storage: Storage = build_storage(settings)
    seeded = seed_interview(engine, storage)
    generate_report(engine, settings, storage, seeded.interview_id)
    with Session(engine) as session:
        record_decision(
            session,
            seeded.interview_id,
            data.ANOMALY_IDS["multiple_faces"],
            DecisionKind.DISMISS,
            "recruiter",
            "api-key",
            None,
            None,
        )
        document = read_report(session, seeded.interview_id, storage, settings)
    assert document.proctoring.scorecard.score == 73.2
    assert document.proctoring.scorecard.score_excluding_dismissed == 88.9
    assert document.interview.status == "evaluated"

    erase_candidate_data(engine, storage, seeded.interview_id, actor="recruiter")
    with Session(engine) as session:
        for model in (Report, AnomalyDecision, ProctoringEvent, TranscriptTurn, StoredFile):
            assert _count(session, model, seeded.interview_id) == 0, model.__name__
