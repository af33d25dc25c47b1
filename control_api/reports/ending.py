"""How an interview that was not completed ended, for the top of its report.

A cancelled or failed interview still gets a report (the flags raised before it ended
must reach the recruiter), and that report must say first that the interview did not
run to its end: when, by whom, from which status, why. Read from the lifecycle
transitions the server recorded; nothing here is inferred.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from control_api.models import Interview, InterviewStatus, LifecycleTransition
from control_api.reports.schema import EndedEarly

ENDED_EARLY = frozenset({InterviewStatus.CANCELLED, InterviewStatus.FAILED})

_HEADLINES = {
    InterviewStatus.CANCELLED: ("Interview cancelled", "Cancelled", "was cancelled"),
    InterviewStatus.FAILED: ("Interview failed", "Failed", "failed"),
}
_BY = {
    "recruiter": "by the recruiter",
    "agent": "(reported by the interviewer agent)",
    "livekit": "(the media server closed the room)",
    "system": "by the server",
    "candidate": "by the candidate",
}


def ended_early(session: Session, interview: Interview) -> EndedEarly | None:
    """The cancellation or failure of ``interview``; None if it did not end that way."""
    status = InterviewStatus(interview.status)
    if status not in ENDED_EARLY:
        return None
    row = session.exec(
        select(LifecycleTransition)
        .where(
            LifecycleTransition.interview_id == interview.id,
            LifecycleTransition.to_status == status.value,
        )
        .order_by(col(LifecycleTransition.at).desc(), col(LifecycleTransition.id).desc())
    ).first()
    at = row.at if row is not None else interview.updated_at
    by = row.source if row is not None else "unknown"
    reason = row.reason if row is not None else None
    previous = row.from_status if row is not None else None
    headline, verb, _ = _HEADLINES[status]
    detail = f"{verb} {_BY.get(by, f'({by})')} at {at:%Y-%m-%d %H:%M} UTC"
    if previous:
        detail += f", while the interview was {previous.replace('_', ' ')}"
    detail += "."
    if reason:
        detail += f" Reason given: {reason}."
    detail += (
        " This report holds what was recorded until then (proctoring events, transcript); "
        "the candidate was not assessed."
    )
    return EndedEarly(
        status=status.value,
        at=at,
        by=by,
        reason=reason,
        previous_status=previous,
        headline=headline,
        detail=detail,
    )


def not_assessed_reason(ending: EndedEarly) -> str:
    """The reason every criterion of such a report gives for having no score."""
    _, _, phrase = _HEADLINES[InterviewStatus(ending.status)]
    return f"the interview {phrase} before the assessment could be made"
