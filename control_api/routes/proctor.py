"""The proctor's sidebar history: the anomalies stored so far, behind the proctor link.

LiveKit keeps nothing: a proctor who opens the page late (or reloads it) missed every
message sent before. The page loads this list first, then merges the live messages in
by anomaly id. Each item is the stored :class:`contracts.anomaly.AnomalyRecord` with its
``state``, the very fields of a ``proctoring.anomaly`` message (epoch seconds included),
so both sources share one shape; snapshot URLs are signed afresh, since the ones in
stored evidence may have expired. A row the contract cannot read (a type or severity
another version wrote) is left out with a warning naming its id; the report lists it.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel
from sqlmodel import Session, col, select

from contracts.anomaly import AnomalyRecord
from control_api.deps import LinkDep, SessionDep, SettingsDep, StorageDep
from control_api.livekit_rooms import DEFAULT_PROCTOR_LABEL
from control_api.models import (
    FileKind,
    Interview,
    InterviewLink,
    LinkRole,
    ProctoringEvent,
    StoredFile,
)
from control_api.reports.models import AnomalyDecision
from control_api.routes.responses import error_responses, link_errors
from control_api.settings import Settings
from control_api.storage import InvalidKey, Storage, StorageError

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/links", tags=["links (candidate and proctor pages)"])

MAX_EVENTS = 500


class DecisionView(BaseModel):
    decision: str
    note: str | None
    decided_at: float
    decided_by: str
    """Who decided, in words for the page: the name they gave, else the proctor link's
    label, else "Proctor" (or "Recruiter"). The stored actor id stays in the audit trail;
    the page never shows a credential."""


class AnomalyView(AnomalyRecord):
    """One stored anomaly, shaped like a ``proctoring.anomaly`` message, with the
    proctor's latest decision on it."""

    decision: DecisionView | None = None


class AnomalyHistory(BaseModel):
    interview_id: str
    anomalies: list[AnomalyView]


def _proctor_interview(found: LinkDep) -> Interview:
    link, interview = found
    if LinkRole(link.role) is not LinkRole.PROCTOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only a proctor link can read the anomalies")
    return interview


ProctorInterview = Annotated[Interview, Depends(_proctor_interview)]


def _snapshot_urls(
    session: Session, interview_id: str, storage: Storage, settings: Settings
) -> dict[str, str]:
    rows = session.exec(
        select(StoredFile).where(
            StoredFile.interview_id == interview_id,
            StoredFile.kind == FileKind.SNAPSHOT.value,
            col(StoredFile.event_id).is_not(None),
        )
    ).all()
    urls: dict[str, str] = {}
    for row in rows:
        try:
            urls[str(row.event_id)] = storage.url(row.storage_key, settings.media_url_ttl)
        except (StorageError, InvalidKey):
            continue  # a file removed by retention: the anomaly is still listed
    return urls


def _decided_by(decision: AnomalyDecision, link_labels: dict[str, str]) -> str:
    """A person's label for the page, never the credential (``link:<jti>``) it came with."""
    if decision.actor_name:
        return decision.actor_name
    if decision.actor_kind == LinkRole.PROCTOR.value:
        return link_labels.get(decision.actor_ref) or DEFAULT_PROCTOR_LABEL
    return "Recruiter"


def _link_labels(session: Session, interview_id: str) -> dict[str, str]:
    """The proctor links' labels by the actor id a decision stores for them."""
    links = session.exec(select(InterviewLink).where(InterviewLink.interview_id == interview_id))
    return {f"link:{link.jti}": link.label for link in links if link.label}


def _latest_decisions(session: Session, interview_id: str) -> dict[str, DecisionView]:
    labels = _link_labels(session, interview_id)
    rows = session.exec(
        select(AnomalyDecision)
        .where(AnomalyDecision.interview_id == interview_id)
        .order_by(col(AnomalyDecision.decided_at), col(AnomalyDecision.id))
    ).all()
    return {
        row.anomaly_id: DecisionView(
            decision=row.decision,
            note=row.note,
            decided_at=row.decided_at.timestamp(),
            decided_by=_decided_by(row, labels),
        )
        for row in rows  # the newest one per anomaly wins
    }


def _view(
    event: ProctoringEvent, snapshot: str | None, decision: DecisionView | None
) -> AnomalyView | None:
    record = event.record()
    if record is None:
        logger.warning(
            "anomaly %s of interview %s is not shown: unknown type or severity",
            event.id,
            event.interview_id,
        )
        return None
    evidence = dict(record.evidence)
    evidence.pop("snapshot_url", None)
    if snapshot is not None:
        evidence["snapshot_url"] = snapshot
    fields = record.model_dump(exclude={"state"}) | {"evidence": evidence}
    return AnomalyView(**fields, decision=decision)


@router.get(
    "/{token}/events",
    response_model=AnomalyHistory,
    summary="The anomalies stored so far (proctor link only), oldest first",
    responses={
        **link_errors("Not a proctor link"),
        **error_responses({404: "The interview no longer exists"}),
    },
)
def proctor_history(
    interview: ProctorInterview, session: SessionDep, settings: SettingsDep, storage: StorageDep
) -> AnomalyHistory:
    events = session.exec(
        select(ProctoringEvent)
        .where(ProctoringEvent.interview_id == interview.id)
        .order_by(col(ProctoringEvent.started_at))
        .limit(MAX_EVENTS)
    ).all()
    snapshots = _snapshot_urls(session, interview.id, storage, settings)
    decisions = _latest_decisions(session, interview.id)
    return AnomalyHistory(
        interview_id=interview.id,
        anomalies=[
            view
            for e in events
            if (view := _view(e, snapshots.get(e.id), decisions.get(e.id))) is not None
        ],
    )
