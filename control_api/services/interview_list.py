"""The recruiter's interview list: each interview with its integrity state, filtered,
searched, sorted and paginated in one SQL query (plus its count).

The integrity state (:class:`control_api.schemas.ListIntegrity`) is computed in the
database so that filtering and sorting on it work across pages: a page never needs a
query per interview. Its facts are the report's (:mod:`control_api.reports.integrity`):
every stored anomaly counts, and the proctor's decision in force on one is the newest
(by ``decided_at``, then id), as :func:`control_api.reports.proctoring_section.
decisions_in_force` reads it; decisions on an anomaly that is not stored are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlalchemy import select as select_columns
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from contracts.statuses import FINISHED_STATUSES, InterviewStatus
from control_api.models import Interview, ProctoringEvent
from control_api.reports.integrity import IDENTITY_TYPES
from control_api.reports.models import AnomalyDecision
from control_api.reports.schema import DecisionKind
from control_api.schemas import InterviewListItem, InterviewSummary, ListIntegrity, ListSort

_LIFECYCLE = {status.value: index for index, status in enumerate(InterviewStatus)}


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What the recruiter asked the list for (validated by the route)."""

    limit: int
    offset: int
    status: InterviewStatus | None = None
    integrity: ListIntegrity | None = None
    search: str | None = None
    sort: ListSort = ListSort.NEWEST


def _counts_per_interview() -> Any:
    """Per interview with anomalies: how many, and how many of them each decision holds."""
    ranked = select(
        col(AnomalyDecision.interview_id).label("interview_id"),
        col(AnomalyDecision.anomaly_id).label("anomaly_id"),
        col(AnomalyDecision.decision).label("decision"),
        func.row_number()
        .over(
            partition_by=(col(AnomalyDecision.interview_id), col(AnomalyDecision.anomaly_id)),
            order_by=(col(AnomalyDecision.decided_at).desc(), col(AnomalyDecision.id).desc()),
        )
        .label("newest"),
    ).subquery("ranked_decision")
    in_force = (
        select(ranked.c.interview_id, ranked.c.anomaly_id, ranked.c.decision)
        .where(ranked.c.newest == 1)
        .subquery("decision_in_force")
    )
    confirmed = in_force.c.decision == DecisionKind.CONFIRM.value
    identity = col(ProctoringEvent.type).in_(sorted(IDENTITY_TYPES))

    def tally(condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, 1), else_=0))

    return (
        select_columns(
            col(ProctoringEvent.interview_id).label("interview_id"),
            func.count().label("anomalies"),
            tally(confirmed).label("confirmed"),
            tally(and_(confirmed, identity)).label("identity_confirmed"),
            tally(in_force.c.decision == DecisionKind.DISMISS.value).label("dismissed"),
        )
        .select_from(ProctoringEvent)
        .outerjoin(
            in_force,
            and_(
                in_force.c.interview_id == col(ProctoringEvent.interview_id),
                in_force.c.anomaly_id == col(ProctoringEvent.id),
            ),
        )
        .group_by(col(ProctoringEvent.interview_id))
        .subquery("anomaly_counts")
    )


@dataclass(frozen=True, slots=True)
class _Columns:
    anomalies: Any
    confirmed: Any
    identity_confirmed: Any
    dismissed: Any
    integrity: Any
    seriousness: Any


def _columns(counts: Any) -> _Columns:
    anomalies = func.coalesce(counts.c.anomalies, 0)
    confirmed = func.coalesce(counts.c.confirmed, 0)
    identity_confirmed = func.coalesce(counts.c.identity_confirmed, 0)
    dismissed = func.coalesce(counts.c.dismissed, 0)
    finished = col(Interview.status).in_(sorted(s.value for s in FINISHED_STATUSES))
    integrity = case(
        (confirmed > 0, ListIntegrity.CONFIRMED.value),
        (anomalies > confirmed + dismissed, ListIntegrity.FLAGGED.value),
        (anomalies > 0, ListIntegrity.DISMISSED.value),
        (finished, ListIntegrity.CLEAN.value),
        else_=ListIntegrity.PENDING.value,
    )
    # The same conditions, with a confirmed identity concern before any other confirmed.
    seriousness = case(
        (identity_confirmed > 0, 0),
        (confirmed > 0, 1),
        (anomalies > confirmed + dismissed, 2),
        (anomalies > 0, 3),
        (finished, 4),
        else_=5,
    )
    return _Columns(anomalies, confirmed, identity_confirmed, dismissed, integrity, seriousness)


def _order(sort: ListSort, columns: _Columns) -> list[Any]:
    newest = [col(Interview.created_at).desc(), col(Interview.id)]
    descending = sort.value.startswith("-")
    key = sort.value.lstrip("-")
    if key == "created_at":
        first = col(Interview.created_at)
        return [first.desc() if descending else first.asc(), col(Interview.id)]
    by: Any = {
        "candidate": func.lower(col(Interview.candidate_name)),
        "status": case(_LIFECYCLE, value=col(Interview.status), else_=len(_LIFECYCLE)),
        "integrity": columns.seriousness,
    }[key]
    return [by.desc() if descending else by.asc(), *newest]


def _filters(query: ListQuery, columns: _Columns) -> list[Any]:
    filters: list[Any] = []
    if query.status is not None:
        filters.append(col(Interview.status) == query.status.value)
    if query.integrity is not None:
        filters.append(columns.integrity == query.integrity.value)
    if query.search:
        filters.append(
            or_(
                col(Interview.candidate_name).icontains(query.search, autoescape=True),
                col(Interview.candidate_email).icontains(query.search, autoescape=True),
            )
        )
    return filters


def list_interviews(session: Session, query: ListQuery) -> tuple[list[InterviewListItem], int]:
    """One page of the list and how many interviews match in all."""
    counts = _counts_per_interview()
    columns = _columns(counts)
    filters = _filters(query, columns)
    joined = and_(counts.c.interview_id == col(Interview.id))
    # sqlmodel's typed select takes four columns at most: SQLAlchemy's own, run as ORM.
    rows = session.execute(
        select_columns(
            Interview,
            columns.integrity.label("integrity"),
            columns.anomalies.label("anomalies"),
            columns.confirmed.label("confirmed"),
            columns.identity_confirmed.label("identity_confirmed"),
            columns.dismissed.label("dismissed"),
        )
        .outerjoin(counts, joined)
        .where(*filters)
        .order_by(*_order(query.sort, columns))
        .offset(query.offset)
        .limit(query.limit)
    ).all()
    total = session.exec(
        select(func.count()).select_from(Interview).outerjoin(counts, joined).where(*filters)
    ).one()
    items = [
        InterviewListItem(
            **InterviewSummary.model_validate(interview).model_dump(),
            integrity=ListIntegrity(integrity),
            anomaly_count=int(anomalies),
            unreviewed_count=int(anomalies) - int(confirmed) - int(dismissed),
            confirmed_count=int(confirmed),
            identity_confirmed_count=int(identity_confirmed),
            dismissed_count=int(dismissed),
        )
        for interview, integrity, anomalies, confirmed, identity_confirmed, dismissed in rows
    ]
    return items, int(total)
