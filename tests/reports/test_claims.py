"""The generation claim: one evaluation at a time, a crashed holder taken over, no
implicit overwrite of a stored report (issue 11, item 2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from control_api.models import Interview, utcnow
from control_api.reports.models import Report, ReportClaim
from control_api.reports.service import ReportClaimed, generate_report
from control_api.settings import Settings
from control_api.storage import Storage
from tests.reports.conftest import Seeded


def _claim_of(engine: Engine, interview_id: str, age: timedelta) -> None:
    """A claim left by another process ``age`` ago (crashed, or still evaluating)."""
    with Session(engine) as session:
        session.add(
            ReportClaim(interview_id=interview_id, token="other", claimed_at=utcnow() - age)
        )
        session.commit()


def _status(engine: Engine, interview_id: str) -> str:
    with Session(engine) as session:
        interview = session.get(Interview, interview_id)
        assert interview is not None
        return interview.status


def test_a_live_claim_refuses_a_second_generation(
    engine: Engine, settings: Settings, storage: Storage, seeded: Seeded
) -> None:
    _claim_of(engine, seeded.interview_id, timedelta(seconds=5))

    with pytest.raises(ReportClaimed, match="being generated right now; try again"):
        generate_report(engine, settings, storage, seeded.interview_id)

    with Session(engine) as session:
        assert session.get(Report, seeded.interview_id) is None
        claim = session.get(ReportClaim, seeded.interview_id)
        assert claim is not None and claim.token == "other"  # the holder keeps it
    assert _status(engine, seeded.interview_id) == "completed"


def test_a_stale_claim_of_a_crashed_process_is_taken_over(
    engine: Engine, settings: Settings, storage: Storage, seeded: Seeded
) -> None:
    _claim_of(engine, seeded.interview_id, timedelta(seconds=settings.report_claim_stale_seconds))

    document = generate_report(engine, settings, storage, seeded.interview_id)

    with Session(engine) as session:
        stored = session.get(Report, seeded.interview_id)
        assert stored is not None and stored.report_id == document.report_id
        assert session.get(ReportClaim, seeded.interview_id) is None  # ended with the report
    assert _status(engine, seeded.interview_id) == "evaluated"


def test_a_stored_report_is_replaced_only_when_asked(
    engine: Engine, settings: Settings, storage: Storage, seeded: Seeded
) -> None:
    first = generate_report(engine, settings, storage, seeded.interview_id)

    with pytest.raises(ReportClaimed, match=r"already has a report \(" + first.report_id):
        generate_report(engine, settings, storage, seeded.interview_id)
    with Session(engine) as session:
        stored = session.get(Report, seeded.interview_id)
        assert stored is not None and stored.report_id == first.report_id

    second = generate_report(engine, settings, storage, seeded.interview_id, replace=True)
    with Session(engine) as session:
        stored = session.get(Report, seeded.interview_id)
        assert stored is not None and stored.report_id == second.report_id != first.report_id
    assert _status(engine, seeded.interview_id) == "evaluated"
