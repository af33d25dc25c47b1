"""Generate, store and read reports; record proctor decisions.

Generation claims the interview and reads what it needs in one short transaction under
the interview's row lock (:mod:`control_api.reports.claims`: however many triggers fire,
in however many API processes, one evaluation runs), evaluates with no transaction open
(a model call can take a minute, and SQLite would hold its write lock meanwhile), then
stores the report and moves the interview ``completed -> evaluated`` in a second locked
transaction. A stored report is never replaced implicitly: only ``replace=True`` (the
recruiter's explicit regenerate) does. Reading a report rebuilds its proctoring section
from the stored anomalies and decisions, so it is always the server's current record and
its snapshot URLs are fresh.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, and_, or_
from sqlmodel import Session, col, select

from control_api.enrollment.verification import identity_check
from control_api.lifecycle import lock_interview, transition
from control_api.models import (
    Interview,
    InterviewStatus,
    LifecycleTransition,
    ProctoringEvent,
    SpeakerRole,
    TranscriptTurn,
    TransitionSource,
    utcnow,
)
from control_api.reports import claims
from control_api.reports.ending import ENDED_EARLY, ended_early
from control_api.reports.evaluation import evaluate, openai_config
from control_api.reports.inputs import EvaluationInput, Turn
from control_api.reports.integrity import integrity_verdict
from control_api.reports.models import AnomalyDecision, Report
from control_api.reports.proctoring_section import (
    InterviewWindow,
    build_proctoring_section,
    interview_window,
)
from control_api.reports.schema import (
    Decision,
    DecisionKind,
    EndedEarly,
    Evaluation,
    IdentityVerification,
    InterviewFacts,
    ReportDocument,
    TranscriptEntry,
)
from control_api.reports.settings import ReportSettings
from control_api.reports.untranscribed import is_untranscribed, word_count
from control_api.settings import Settings
from control_api.storage import Storage

logger = logging.getLogger(__name__)

REPORTABLE = frozenset({InterviewStatus.COMPLETED, InterviewStatus.EVALUATED} | ENDED_EARLY)
"""A cancelled or failed interview gets a report too: what was recorded, nothing assessed."""


class ReportError(Exception):
    """A report cannot be produced or changed; ``status_code`` is the HTTP answer."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


class ReportClaimed(ReportError):
    """No evaluation ran: the interview has its report, or another generation is making it.

    An expected outcome for the automatic triggers (they fire more than once); a 409 for
    a recruiter.
    """

    def __init__(self, message: str) -> None:
        super().__init__(409, message)


@dataclass(frozen=True, slots=True)
class EvaluationSnapshot:
    """What generation read from the database, detached from any session."""

    interview: Interview
    window: InterviewWindow
    data: EvaluationInput
    facts: InterviewFacts
    ending: EndedEarly | None
    """How a cancelled or failed interview ended; None for a completed one."""


def _turns(session: Session, interview_id: str, window: InterviewWindow) -> tuple[Turn, ...]:
    rows = session.exec(
        select(TranscriptTurn)
        .where(TranscriptTurn.interview_id == interview_id)
        .order_by(col(TranscriptTurn.started_at), col(TranscriptTurn.id))
    ).all()
    start = window.started_at.timestamp()
    return tuple(
        Turn(
            id=row.id,
            role=row.role,
            text=row.text,
            started_at=row.started_at,
            offset_seconds=row.started_at.timestamp() - start,
        )
        for row in rows
    )


def _identity(session: Session, interview_id: str) -> IdentityVerification:
    check = identity_check(session, interview_id)
    return IdentityVerification(
        verified=check.verified,
        face_baseline=check.face_baseline,
        voice_baseline=check.voice_baseline,
        reference_photo=check.reference_photo,
        summary=check.summary(),
    )


def load_inputs(session: Session, interview_id: str) -> EvaluationSnapshot:
    """What an evaluation reads; raise :class:`ReportError` unless the interview is done."""
    interview = session.get(Interview, interview_id)
    if interview is None:
        raise ReportError(404, f"no interview with id {interview_id}")
    status = InterviewStatus(interview.status)
    if status not in REPORTABLE:
        raise ReportError(
            409,
            f"the interview is {status.value}: a report is made once it is completed, "
            "cancelled or failed",
        )
    window = interview_window(session, interview)
    turns = _turns(session, interview_id, window)
    candidate = [t for t in turns if t.role == SpeakerRole.CANDIDATE.value]
    data = EvaluationInput(
        title=interview.title,
        job_description=interview.job_description,
        resume_text=interview.resume_text,
        turns=tuple(t for t in turns if not is_untranscribed(t.text)),
        untranscribed_turns=sum(1 for t in candidate if is_untranscribed(t.text)),
    )
    facts = InterviewFacts(
        id=interview.id,
        title=interview.title,
        candidate_name=interview.candidate_name,
        status=interview.status,
        scheduled_minutes=interview.duration_minutes,
        question_count=interview.question_count,
        started_at=window.started_at,
        ended_at=window.ended_at,
        duration_seconds=round((window.ended_at - window.started_at).total_seconds(), 3),
        timing_source=window.source,
        candidate_turns=len(candidate),
        interviewer_turns=sum(1 for t in turns if t.role == SpeakerRole.INTERVIEWER.value),
        candidate_words=sum(word_count(t.text) for t in candidate),
        untranscribed_turns=data.untranscribed_turns,
        identity=_identity(session, interview_id),
    )
    return EvaluationSnapshot(interview, window, data, facts, ended_early(session, interview))


def generate_report(
    engine: Engine,
    settings: Settings,
    storage: Storage,
    interview_id: str,
    report_settings: ReportSettings | None = None,
    *,
    replace: bool = False,
) -> ReportDocument:
    """Evaluate a completed interview, store the report, and mark it ``evaluated``.

    A cancelled or failed interview gets a report of what was recorded, assessing
    nothing, and keeps its status.

    The evaluator follows the settings: the model with ``OPENAI_API_KEY`` (and
    ``OPENAI_BASE_URL``), else the offline evaluation. ``replace=True`` evaluates an
    interview that already has a report again and replaces it (under a new report id).
    Raises :class:`ReportError` (404 no interview, 409 not completed) and
    :class:`ReportClaimed` (409: it has a report and ``replace`` is False, or another
    generation holds the claim).
    """
    report_settings = report_settings or ReportSettings()
    token, snap = _claim(engine, settings, interview_id, replace)
    try:
        config = openai_config(settings, report_settings)
        evaluation = evaluate(snap.data, config, snap.ending)
        document = _store(engine, settings, storage, snap, evaluation, token, replace)
    except BaseException:
        # give the claim back (if still ours) so a retry need not wait for it to go stale
        claims.release(engine, interview_id, token)
        raise
    logger.info(
        "report stored: %s report=%s method=%s", interview_id, document.report_id, evaluation.method
    )
    return document


def _claim(
    engine: Engine, settings: Settings, interview_id: str, replace: bool
) -> tuple[str, EvaluationSnapshot]:
    """Take the generation claim and read the inputs, in one locked transaction."""
    with Session(engine, expire_on_commit=False) as session:
        interview = lock_interview(session, interview_id)
        if interview is None:
            raise ReportError(404, f"no interview with id {interview_id}")
        existing = session.get(Report, interview_id)
        if existing is not None and not replace:
            raise ReportClaimed(
                f"the interview already has a report ({existing.report_id}); "
                f"POST /interviews/{interview_id}/report evaluates it again"
            )
        snap = load_inputs(session, interview_id)  # 409 unless completed (or evaluated)
        token = claims.take(
            session, interview_id, timedelta(seconds=settings.report_claim_stale_seconds)
        )
        if token is None:
            raise ReportClaimed(
                "a report for this interview is being generated right now; try again in a minute"
            )
        session.commit()
    return token, snap


def _store(
    engine: Engine,
    settings: Settings,
    storage: Storage,
    snap: EvaluationSnapshot,
    evaluation: Evaluation,
    token: str,
    replace: bool,
) -> ReportDocument:
    """Store the report if this generation still holds the claim, and end the claim."""
    interview_id = snap.interview.id
    generated_at = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        interview = lock_interview(session, interview_id)
        if interview is None:
            raise ReportError(404, "the interview was deleted during the evaluation")
        if not claims.holds(session, interview_id, token):
            logger.warning("report claim lost, evaluation discarded: %s", interview_id)
            raise ReportClaimed(
                "this generation outlived its claim and another one took over; "
                "its evaluation was discarded"
            )
        proctoring = build_proctoring_section(
            session, interview, snap.window, storage, settings.media_url_ttl
        )
        document = ReportDocument(
            report_id=str(uuid.uuid4()),
            generated_at=generated_at,
            proctoring_built_at=generated_at,
            evaluation_method=evaluation.method,
            interview=snap.facts.model_copy(update={"status": _status_after(interview)}),
            evaluation=evaluation,
            proctoring=proctoring,
            integrity=integrity_verdict(proctoring.timeline),
            ended_early=snap.ending,
        )
        existing = session.get(Report, interview_id)
        if existing is not None and not replace:  # the claim rules it out; never overwrite
            raise ReportClaimed(f"the interview already has a report ({existing.report_id})")
        stored = Report(
            interview_id=interview_id,
            report_id=document.report_id,
            schema_version=document.schema_version,
            evaluation_method=document.evaluation_method,
            generated_at=generated_at,
            document=document.model_dump(mode="json"),
        )
        session.merge(stored)  # an insert, or the explicit regenerate's replacement
        if InterviewStatus(interview.status) is InterviewStatus.COMPLETED:
            transition(
                session, interview, InterviewStatus.EVALUATED, TransitionSource.SYSTEM, "report"
            )
        claims.drop(session, interview_id, token)
        session.commit()
    return document


def _status_after(interview: Interview) -> str:
    """The status the report is stored with: ``evaluated`` for a completed interview (it
    moves there with the report), else the final status it has (cancelled, failed)."""
    if InterviewStatus(interview.status) is InterviewStatus.COMPLETED:
        return InterviewStatus.EVALUATED.value
    return interview.status


def read_report(
    session: Session, interview_id: str, storage: Storage, settings: Settings
) -> ReportDocument:
    """The stored report with its proctoring section rebuilt from the current records."""
    interview = session.get(Interview, interview_id)
    if interview is None:
        raise ReportError(404, f"no interview with id {interview_id}")
    row = session.get(Report, interview_id)
    if row is None:
        raise ReportError(
            404,
            f"no report yet for this interview (status: {interview.status}); it is made "
            "when the interview is completed",
        )
    stored = ReportDocument.model_validate(row.document)
    window = InterviewWindow(
        stored.interview.started_at, stored.interview.ended_at, stored.interview.timing_source
    )
    proctoring = build_proctoring_section(
        session, interview, window, storage, settings.media_url_ttl
    )
    facts = stored.interview.model_copy(update={"status": interview.status})
    transcript = [
        TranscriptEntry(
            turn_id=t.id,
            role=t.role,
            started_at=t.started_at,
            offset_seconds=round(t.offset_seconds, 3),
            text=t.text,
        )
        for t in _turns(session, interview_id, window)
    ]
    return stored.model_copy(
        update={
            "proctoring": proctoring,
            "proctoring_built_at": utcnow(),
            "interview": facts,
            "integrity": integrity_verdict(proctoring.timeline),
            "transcript": transcript,
        }
    )


def record_decision(
    session: Session,
    interview_id: str,
    anomaly_id: str,
    decision: DecisionKind,
    actor_kind: str,
    actor_ref: str,
    actor_name: str | None,
    note: str | None,
) -> Decision:
    """Add a proctor decision to the audit trail (the newest one per anomaly is in force)."""
    if session.get(Interview, interview_id) is None:
        raise ReportError(404, f"no interview with id {interview_id}")
    if session.get(ProctoringEvent, (interview_id, anomaly_id)) is None:
        raise ReportError(404, f"no anomaly {anomaly_id} in this interview")
    row = AnomalyDecision(
        interview_id=interview_id,
        anomaly_id=anomaly_id,
        decision=decision.value,
        actor_kind=actor_kind,
        actor_ref=actor_ref[:64],
        actor_name=actor_name,
        note=note,
    )
    session.add(row)
    session.commit()
    logger.info(
        "anomaly decision recorded: %s anomaly=%s decision=%s by=%s",
        interview_id,
        anomaly_id,
        decision.value,
        actor_kind,
    )
    return Decision(
        id=row.id or 0,
        anomaly_id=anomaly_id,
        decision=decision,
        actor_kind=actor_kind,
        actor_ref=row.actor_ref,
        actor_name=actor_name,
        decided_at=row.decided_at,
        note=note,
    )


def interviews_awaiting_report(engine: Engine, min_age: timedelta = timedelta(0)) -> list[str]:
    """Completed interviews without a report (after a crash, or a missed trigger), and
    cancelled or failed ones that recorded something (they started, or stored a turn or
    a proctoring event): their report is how the flags raised reach the recruiter.

    ``min_age`` leaves alone interviews that ended more recently than that: the
    completion trigger is probably making their report right now, and the agent's outbox
    may still be delivering what a cancelled interview recorded last.
    """
    cutoff = utcnow() - min_age
    ended = [s.value for s in ENDED_EARLY]
    started = select(LifecycleTransition.interview_id).where(
        LifecycleTransition.to_status == InterviewStatus.IN_PROGRESS.value
    )
    with Session(engine) as session:
        done = select(Report.interview_id)
        rows = session.exec(
            select(Interview.id).where(
                or_(
                    col(Interview.status) == InterviewStatus.COMPLETED.value,
                    and_(
                        col(Interview.status).in_(ended),
                        or_(
                            col(Interview.id).in_(started),
                            col(Interview.id).in_(select(TranscriptTurn.interview_id)),
                            col(Interview.id).in_(select(ProctoringEvent.interview_id)),
                        ),
                    ),
                ),
                col(Interview.id).not_in(done),
                col(Interview.updated_at) <= cutoff,
            )
        ).all()
    return list(rows)
