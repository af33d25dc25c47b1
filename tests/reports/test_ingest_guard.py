"""Ingest files an event under its own interview only (the route answers 422 first; this
guards direct callers, such as the report tests' seeding)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from control_api.ingest import ingest_events
from control_api.models import ProctoringEvent
from tests.reports.conftest import Seeded
from tests.support.anomalies import anomaly


def test_an_event_of_another_interview_is_refused_and_nothing_stored(
    engine: Engine, seeded: Seeded
) -> None:
    with Session(engine) as session:
        before = len(session.exec(select(ProctoringEvent)).all())
        stray = anomaly("stray-1", interview_id="another-interview")
        with pytest.raises(ValueError, match="belongs to another interview"):
            ingest_events(session, seeded.interview_id, [stray])
        session.rollback()
        assert len(session.exec(select(ProctoringEvent)).all()) == before
