"""The background round: completed interviews without a report are caught up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from control_api.models import Interview, InterviewStatus
from control_api.reports.maintenance import run_maintenance_once
from control_api.reports.models import Report
from control_api.reports.service import interviews_awaiting_report
from control_api.reports.settings import ReportSettings
from control_api.settings import Settings
from control_api.storage import Storage
from tests.reports.conftest import seed_interview


def test_a_round_evaluates_every_completed_interview_still_without_a_report(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    first = seed_interview(engine, storage)
    second = seed_interview(engine, storage, anomalies=[])
    running = seed_interview(engine, storage, status=InterviewStatus.IN_PROGRESS)
    assert sorted(interviews_awaiting_report(engine)) == sorted(
        [first.interview_id, second.interview_id]
    )
    quiet = ReportSettings(_env_file=None)  # type: ignore[call-arg]
    # Seeded interviews were updated at the end of their (past) interview: all are old
    # enough; a grace longer than their age leaves them to the completion trigger.
    recent = run_maintenance_once(engine, settings, storage, quiet, grace=timedelta(days=3650))
    assert recent.reports_generated == 0

    result = run_maintenance_once(engine, settings, storage, quiet)

    assert (result.reports_generated, result.reports_failed, result.media_deleted) == (2, 0, 0)
    assert interviews_awaiting_report(engine) == []
    with Session(engine) as session:
        for seeded in (first, second):
            interview = session.get(Interview, seeded.interview_id)
            assert interview is not None and interview.status == "evaluated"
            assert session.get(Report, seeded.interview_id) is not None
        assert session.get(Report, running.interview_id) is None
    again = run_maintenance_once(engine, settings, storage, quiet)
    assert again.reports_generated == 0
