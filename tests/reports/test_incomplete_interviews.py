"""Reports that say what was not assessed (issue 17, "reports mislead").

A cancelled or failed interview still gets a report with what was recorded (integrity
verdict, proctoring events, transcript so far) and no rubric scores; a criterion nobody
answered shows "Not assessed: <reason>" instead of a number; the offline interviewer's
placeholder for an answer it could not transcribe is not counted as the candidate's words.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from html import unescape

from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import Session, select

from agent.records import NOT_TRANSCRIBED
from control_api.models import Interview, InterviewStatus, LifecycleTransition
from control_api.reports.maintenance import run_maintenance_once
from control_api.reports.models import Report
from control_api.reports.render_html import render_html
from control_api.reports.render_pdf import render_pdf
from control_api.reports.schema import AssessmentStatus, ReportDocument
from control_api.reports.service import generate_report, interviews_awaiting_report, read_report
from control_api.reports.settings import ReportSettings
from control_api.settings import Settings
from control_api.storage import Storage
from tests.reports import interview_data as data
from tests.reports.conftest import at, seed_interview

CANCEL_SECOND = 500.0
CANCEL_REASON = "the candidate asked to reschedule"


def _end_early(
    engine: Engine, interview_id: str, status: InterviewStatus, source: str, reason: str | None
) -> None:
    with Session(engine) as session:
        session.add(
            LifecycleTransition(
                interview_id=interview_id,
                from_status="in_progress",
                to_status=status.value,
                at=at(CANCEL_SECOND),
                source=source,
                reason=reason,
            )
        )
        interview = session.get(Interview, interview_id)
        assert interview is not None
        interview.updated_at = at(CANCEL_SECOND)
        session.add(interview)
        session.commit()


def _read(
    engine: Engine, settings: Settings, storage: Storage, interview_id: str
) -> ReportDocument:
    with Session(engine) as session:
        return read_report(session, interview_id, storage, settings)


def _pdf_text(document: ReportDocument) -> str:
    reader = PdfReader(io.BytesIO(render_pdf(document, {})))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _quiet() -> ReportSettings:
    return ReportSettings(_env_file=None)  # type: ignore[call-arg]


def test_a_cancelled_interview_gets_a_report_of_what_was_recorded_and_stays_cancelled(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    seeded = seed_interview(engine, storage, status=InterviewStatus.CANCELLED)
    _end_early(engine, seeded.interview_id, InterviewStatus.CANCELLED, "recruiter", CANCEL_REASON)

    assert interviews_awaiting_report(engine) == [seeded.interview_id]
    result = run_maintenance_once(engine, settings, storage, _quiet(), grace=timedelta(0))
    assert result.reports_generated == 1

    with Session(engine) as session:
        interview = session.get(Interview, seeded.interview_id)
        assert interview is not None and interview.status == "cancelled"
        assert session.get(Report, seeded.interview_id) is not None
    document = _read(engine, settings, storage, seeded.interview_id)
    assert document.interview.status == "cancelled"
    ended = document.ended_early
    assert ended is not None
    assert ended.headline == "Interview cancelled"
    assert ended.by == "recruiter" and ended.reason == CANCEL_REASON
    assert ended.at == at(CANCEL_SECOND)
    # what was recorded before the cancellation is all there
    assert document.integrity is not None
    assert {t.anomaly_id for t in document.proctoring.timeline} >= {
        data.ANOMALY_IDS["no_face"],
        data.ANOMALY_IDS["multiple_faces"],
    }
    assert len(document.transcript) == len(data.TURNS)
    # and nothing pretends an assessment happened
    evaluation = document.evaluation
    assert evaluation.competencies, "the criteria that were not assessed are listed"
    assert all(c.score is None for c in evaluation.competencies)
    assert all(c.status is AssessmentStatus.NOT_ASSESSED for c in evaluation.competencies)
    assert all(
        (c.not_assessed_reason or "").startswith("the interview was cancelled")
        for c in evaluation.competencies
    )
    assert (evaluation.not_assessed_reason or "").startswith("the interview was cancelled")

    html = render_html(document, {})
    assert "Interview cancelled" in html
    assert html.index("Interview cancelled") < html.index("Integrity:")
    assert "Cancelled by the recruiter" in html and CANCEL_REASON in html
    assert "Not assessed: the interview was cancelled" in html
    assert "/5</span>" not in html
    pdf = _pdf_text(document)
    assert "Interview cancelled" in pdf
    assert pdf.index("Interview cancelled") < pdf.index("Integrity:")
    assert "Cancelled by the recruiter" in pdf
    assert "Not assessed: the interview was cancelled" in pdf


def test_a_failed_interview_says_so_at_the_top(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    seeded = seed_interview(engine, storage, status=InterviewStatus.FAILED)
    _end_early(engine, seeded.interview_id, InterviewStatus.FAILED, "agent", None)

    generate_report(engine, settings, storage, seeded.interview_id, _quiet())

    document = _read(engine, settings, storage, seeded.interview_id)
    assert document.interview.status == "failed"
    assert document.ended_early is not None
    assert document.ended_early.headline == "Interview failed"
    html = render_html(document, {})
    assert "Interview failed" in html and "Failed (reported by the interviewer agent)" in html
    assert "Not assessed: the interview failed" in html
    assert all(c.score is None for c in document.evaluation.competencies)


def test_an_interview_cancelled_before_anything_was_recorded_gets_no_report(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    seeded = seed_interview(
        engine, storage, status=InterviewStatus.CANCELLED, turns=[], anomalies=[]
    )
    with Session(engine) as session:
        for row in session.exec(
            select(LifecycleTransition).where(
                LifecycleTransition.interview_id == seeded.interview_id
            )
        ).all():
            if row.to_status == "in_progress":
                session.delete(row)
        session.commit()

    assert interviews_awaiting_report(engine) == []


def test_a_criterion_nobody_answered_shows_not_assessed_with_its_reason(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    seeded = seed_interview(engine, storage)
    generate_report(engine, settings, storage, seeded.interview_id, _quiet())
    document = _read(engine, settings, storage, seeded.interview_id)

    missing = [c for c in document.evaluation.competencies if c.score is None]
    assert missing, "the seeded interview leaves some requirements undiscussed"
    for c in missing:
        assert c.not_assessed_reason == "no candidate answer addresses it"
    for c in document.evaluation.competencies:
        if c.score is not None:
            assert c.not_assessed_reason is None
    assert document.evaluation.not_assessed_reason is None
    html = render_html(document, {})
    assert html.count("Not assessed: no candidate answer addresses it") == len(missing)
    assert "Not assessed: no candidate answer addresses it" in _pdf_text(document)


def test_no_transcript_at_all_assesses_nothing_and_says_why(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    interviewer_only = [t for t in data.TURNS if t[1] == "interviewer"]
    seeded = seed_interview(engine, storage, turns=interviewer_only)
    first = generate_report(engine, settings, storage, seeded.interview_id, _quiet())
    again = generate_report(engine, settings, storage, seeded.interview_id, _quiet(), replace=True)

    evaluation = first.evaluation
    assert all(c.score is None for c in evaluation.competencies)
    reason = "no candidate answer was recorded"
    assert all(c.not_assessed_reason == reason for c in evaluation.competencies)
    assert evaluation.not_assessed_reason == reason
    # the deterministic parts stay deterministic
    assert again.evaluation == evaluation
    assert again.proctoring.scorecard == first.proctoring.scorecard

    document = _read(engine, settings, storage, seeded.interview_id)
    html = render_html(document, {})
    assert f"Not assessed: {reason}" in html
    assert 'Recommendation <span class="value">Not assessed</span>' in html
    assert f"Not assessed: {reason}" in _pdf_text(document)


def test_placeholder_answers_are_not_counted_as_words_or_scored(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    turns = [
        (i, role, s, e, NOT_TRANSCRIBED if role == "candidate" else text)
        for i, role, s, e, text in data.TURNS
    ]
    candidates = sum(1 for t in turns if t[1] == "candidate")
    seeded = seed_interview(engine, storage, turns=turns)
    generate_report(engine, settings, storage, seeded.interview_id, _quiet())
    document = _read(engine, settings, storage, seeded.interview_id)

    facts = document.interview
    assert facts.candidate_words == 0
    assert facts.untranscribed_turns == candidates
    reason = "the candidate's answers were not transcribed (no speech recognition)"
    evaluation = document.evaluation
    assert all(c.score is None for c in evaluation.competencies)
    assert all(c.not_assessed_reason == reason for c in evaluation.competencies)
    assert evaluation.not_assessed_reason == reason
    assert "words" not in evaluation.summary
    assert all(not c.evidence for c in evaluation.competencies)

    html = unescape(render_html(document, {}))
    assert f"{candidates} candidate turns (answers not transcribed)" in html
    assert re.search(r"\(\d+ words\)", html) is None
    assert "The candidate's answers were not transcribed" in html
    pdf = _pdf_text(document)
    assert f"{candidates} candidate turns (answers not transcribed)" in pdf
    assert "The candidate's answers were not transcribed" in pdf
    assert re.search(r"\(\d+ words\)", pdf) is None


def test_placeholder_turns_among_transcribed_ones_count_only_the_real_words(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    candidate_ids = [t[0] for t in data.TURNS if t[1] == "candidate"]
    kept = candidate_ids[0]
    turns = [
        (i, role, s, e, NOT_TRANSCRIBED if role == "candidate" and i != kept else text)
        for i, role, s, e, text in data.TURNS
    ]
    kept_words = len(next(t[4] for t in data.TURNS if t[0] == kept).split())
    seeded = seed_interview(engine, storage, turns=turns)
    generate_report(engine, settings, storage, seeded.interview_id, _quiet())
    document = _read(engine, settings, storage, seeded.interview_id)

    assert document.interview.candidate_words == kept_words
    assert document.interview.untranscribed_turns == len(candidate_ids) - 1
    assert f"({kept_words} words)" in document.evaluation.summary
    html = render_html(document, {})
    assert f"{len(candidate_ids) - 1} of {len(candidate_ids)} answers were not transcribed" in html
    for c in document.evaluation.competencies:
        assert all(e.turn_id == kept for e in c.evidence)
