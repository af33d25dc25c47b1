"""The report's proctoring section, built from the server's own records only.

The stored anomaly rows become :class:`contracts.anomaly.AnomalyRecord` and go through
:func:`proctoring.scorecard.compute_scorecard` with the anomalies the proctor dismissed
(the newest decision per anomaly is in force). Nothing here reads the evaluator's
output, so no language model can change a proctoring fact. A stored type or severity the
scorecard does not know (a row another version wrote: the contract refuses unknown types
at ingest, so a newer agent's new type waits for the API that knows it) is listed on the
timeline as unscored rather than silently dropped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from control_api.models import (
    FileKind,
    Interview,
    InterviewStatus,
    LifecycleTransition,
    ProctoringEvent,
    StoredFile,
    TranscriptTurn,
)
from control_api.reports.models import AnomalyDecision
from control_api.reports.schema import (
    Decision,
    DecisionKind,
    ProctoringSection,
    Snapshot,
    TimelineItem,
)
from control_api.storage import Storage
from proctoring.scorecard import compute_scorecard

_END_STATUSES = (
    InterviewStatus.COMPLETED.value,
    InterviewStatus.FAILED.value,
    InterviewStatus.CANCELLED.value,
)


@dataclass(frozen=True, slots=True)
class InterviewWindow:
    started_at: datetime
    ended_at: datetime
    source: str


def interview_window(session: Session, interview: Interview) -> InterviewWindow:
    """When the interview ran: its lifecycle transitions, else the first and last records."""
    transitions = session.exec(
        select(LifecycleTransition)
        .where(LifecycleTransition.interview_id == interview.id)
        .order_by(col(LifecycleTransition.at), col(LifecycleTransition.id))
    ).all()
    start = next((t.at for t in transitions if t.to_status == "in_progress"), None)
    end = next(
        (t.at for t in transitions if t.to_status in _END_STATUSES and start and t.at >= start),
        None,
    )
    if start is not None and end is not None:
        return InterviewWindow(start, end, "lifecycle transitions")
    turns = session.exec(
        select(TranscriptTurn).where(TranscriptTurn.interview_id == interview.id)
    ).all()
    events = session.exec(
        select(ProctoringEvent).where(ProctoringEvent.interview_id == interview.id)
    ).all()
    starts = [t.started_at for t in turns] + [e.started_at for e in events]
    ends = [t.ended_at or t.started_at for t in turns] + [
        e.ended_at or e.started_at for e in events
    ]
    first = start or (min(starts) if starts else interview.created_at)
    last = end or (max(ends) if ends else interview.updated_at)
    return InterviewWindow(first, max(first, last), "first and last stored records (fallback)")


def load_decisions(session: Session, interview_id: str) -> list[Decision]:
    rows = session.exec(
        select(AnomalyDecision)
        .where(AnomalyDecision.interview_id == interview_id)
        .order_by(col(AnomalyDecision.decided_at), col(AnomalyDecision.id))
    ).all()
    return [
        Decision(
            id=row.id or 0,
            anomaly_id=row.anomaly_id,
            decision=DecisionKind(row.decision),
            actor_kind=row.actor_kind,
            actor_ref=row.actor_ref,
            actor_name=row.actor_name,
            decided_at=row.decided_at,
            note=row.note,
        )
        for row in rows
    ]


def decisions_in_force(decisions: list[Decision]) -> dict[str, DecisionKind]:
    """The newest decision per anomaly (``decisions`` is oldest first)."""
    current: dict[str, DecisionKind] = {}
    for item in decisions:
        current[item.anomaly_id] = item.decision
    return current


def _snapshots(
    session: Session, interview_id: str, storage: Storage, url_ttl: int
) -> dict[str, list[Snapshot]]:
    rows = session.exec(
        select(StoredFile)
        .where(
            StoredFile.interview_id == interview_id,
            StoredFile.kind == FileKind.SNAPSHOT.value,
            col(StoredFile.event_id).is_not(None),
        )
        .order_by(col(StoredFile.created_at), col(StoredFile.id))
    ).all()
    found: dict[str, list[Snapshot]] = defaultdict(list)
    for row in rows:
        found[row.event_id or ""].append(
            Snapshot(
                file_id=row.id,
                url=storage.url(row.storage_key, url_ttl),
                content_type=row.content_type,
                taken_at=row.created_at,
            )
        )
    return found


def build_proctoring_section(
    session: Session,
    interview: Interview,
    window: InterviewWindow,
    storage: Storage,
    url_ttl: int,
) -> ProctoringSection:
    """Scorecard, timeline, snapshots and decision audit trail of one interview."""
    rows = session.exec(
        select(ProctoringEvent)
        .where(ProctoringEvent.interview_id == interview.id)
        .order_by(col(ProctoringEvent.started_at), col(ProctoringEvent.id))
    ).all()
    decisions = load_decisions(session, interview.id)
    in_force = decisions_in_force(decisions)
    dismissed = {a for a, d in in_force.items() if d is DecisionKind.DISMISS}
    records = {row.id: row.record() for row in rows}
    scorecard = compute_scorecard(
        [r for r in records.values() if r is not None],
        window.started_at.timestamp(),
        window.ended_at.timestamp(),
        dismissed,
    )
    deductions = {d.anomaly_id: d for d in scorecard.deductions}
    snapshots = _snapshots(session, interview.id, storage, url_ttl)
    start = window.started_at.timestamp()
    end = window.ended_at.timestamp()
    timeline: list[TimelineItem] = []
    for row in rows:
        line = deductions.get(row.id)
        if line is not None:
            offsets = (line.offset_start_seconds, line.offset_end_seconds, line.overlap_share)
            points = (line.points, line.points_excluding_dismissed)
        else:  # unscored: place it on the timeline all the same
            row_end = end if row.ended_at is None else row.ended_at.timestamp()
            lo = min(max(row.started_at.timestamp(), start), end) - start
            hi = min(max(row_end, start), end) - start
            share = (hi - lo) / (end - start) if end > start else 0.0
            offsets = (round(lo, 3), round(max(lo, hi), 3), round(max(0.0, share), 4))
            points = (0.0, 0.0)
        timeline.append(
            TimelineItem(
                anomaly_id=row.id,
                type=row.type,
                severity=row.severity,
                confidence=row.confidence,
                started_at=row.started_at,
                ended_at=row.ended_at,
                offset_start_seconds=offsets[0],
                offset_end_seconds=offsets[1],
                overlap_share=offsets[2],
                points=points[0],
                points_excluding_dismissed=points[1],
                scored=line is not None,
                decision=in_force.get(row.id),
                snapshots=snapshots.get(row.id, []),
            )
        )
    return ProctoringSection(scorecard=scorecard, timeline=timeline, decisions=decisions)
