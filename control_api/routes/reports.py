"""Report endpoints: the report in three formats, proctor decisions, erasure.

Recruiter endpoints take ``Authorization: Bearer <RECRUITER_API_KEY>``; the proctor's
sidebar records decisions with its proctor link instead
(``POST /links/{token}/anomalies/{anomaly_id}/decision``), and the audit trail keeps
which of the two decided (``actor_kind``) and with which credential (``actor_ref``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from control_api.deps import (
    EngineDep,
    LinkDep,
    SessionDep,
    SettingsDep,
    StorageDep,
    require_recruiter,
)
from control_api.models import LinkRole
from control_api.reports.render_html import render_html
from control_api.reports.render_pdf import render_pdf
from control_api.reports.retention import erase_candidate_data
from control_api.reports.schema import Decision, DecisionKind, ReportDocument
from control_api.reports.service import (
    ReportError,
    generate_report,
    read_report,
    record_decision,
)
from control_api.reports.settings import ReportSettings
from control_api.reports.snapshot_images import load_snapshot_images
from control_api.reports.webhook import deliver_report, deliveries_of
from control_api.routes.responses import bearer_errors, error_responses
from control_api.schemas import ErrorResponse
from control_api.settings import Settings
from control_api.storage import Storage

logger = logging.getLogger(__name__)

router = APIRouter(tags=["reports"])

_RECRUITER = [Depends(require_recruiter)]
_ERRORS = {
    **bearer_errors("credentials"),
    **error_responses({404: "No such interview, anomaly or report"}),
}


def get_report_settings(request: Request) -> ReportSettings:
    """``app.state.report_settings`` if the app set one, else read from the environment."""
    found = getattr(request.app.state, "report_settings", None)
    if isinstance(found, ReportSettings):
        return found
    request.app.state.report_settings = ReportSettings()
    return request.app.state.report_settings  # type: ignore[no-any-return]


ReportSettingsDep = Annotated[ReportSettings, Depends(get_report_settings)]


class DecisionRequest(BaseModel):
    decision: DecisionKind
    note: str | None = Field(default=None, max_length=2000)
    by: str | None = Field(
        default=None, max_length=200, description="Who decides, as shown in the audit trail."
    )


class DeliveryOut(BaseModel):
    delivery_id: str
    event: str
    target: str
    attempt: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    succeeded: bool
    duration_ms: int


class ErasureOut(BaseModel):
    interview_id: str
    erased_at: datetime
    files_deleted: int


def _http(exc: ReportError) -> HTTPException:
    return HTTPException(exc.status_code, str(exc))


def _report(
    session: Session, interview_id: str, storage: Storage, settings: Settings
) -> ReportDocument:
    try:
        return read_report(session, interview_id, storage, settings)
    except ReportError as exc:
        raise _http(exc) from exc


@router.get(
    "/interviews/{interview_id}/report",
    response_model=ReportDocument,
    dependencies=_RECRUITER,
    summary="The evaluation report (JSON, schema in docs/report-schema.md)",
    responses=_ERRORS,
)
def get_report(
    interview_id: str, session: SessionDep, storage: StorageDep, settings: SettingsDep
) -> ReportDocument:
    return _report(session, interview_id, storage, settings)


@router.get(
    "/interviews/{interview_id}/report.html",
    response_class=HTMLResponse,
    dependencies=_RECRUITER,
    summary="The report as a self-contained HTML page",
    responses=_ERRORS,
)
def get_report_html(
    interview_id: str,
    session: SessionDep,
    storage: StorageDep,
    settings: SettingsDep,
    report_settings: ReportSettingsDep,
) -> HTMLResponse:
    document = _report(session, interview_id, storage, settings)
    images = load_snapshot_images(
        session, storage, document, report_settings.report_max_embedded_snapshots
    )
    session.rollback()  # end the read transaction before the slower rendering
    return HTMLResponse(
        render_html(document, images),
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.get(
    "/interviews/{interview_id}/report.pdf",
    response_class=Response,
    dependencies=_RECRUITER,
    summary="The report as PDF",
    responses={**_ERRORS, 200: {"content": {"application/pdf": {}}}},
)
def get_report_pdf(
    interview_id: str,
    session: SessionDep,
    storage: StorageDep,
    settings: SettingsDep,
    report_settings: ReportSettingsDep,
) -> Response:
    document = _report(session, interview_id, storage, settings)
    images = load_snapshot_images(
        session, storage, document, report_settings.report_max_embedded_snapshots
    )
    session.rollback()  # end the read transaction before the slower rendering
    return Response(
        render_pdf(document, images),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="report-{interview_id}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@router.post(
    "/interviews/{interview_id}/report",
    response_model=ReportDocument,
    dependencies=_RECRUITER,
    summary="Evaluate the interview now (again, replacing its report) and notify the ATS",
    responses={**_ERRORS, 409: {"model": ErrorResponse, "description": "Not completed yet"}},
)
def regenerate_report(
    interview_id: str,
    engine: EngineDep,
    storage: StorageDep,
    settings: SettingsDep,
    report_settings: ReportSettingsDep,
    background: BackgroundTasks,
) -> ReportDocument:
    """An explicit regenerate: the stored report, if any, is replaced by a new one (a new
    report id, so the ATS gets it as a new ``report.ready``); 409 while another
    generation of this interview runs."""
    try:
        generate_report(engine, settings, storage, interview_id, report_settings, replace=True)
    except ReportError as exc:
        raise _http(exc) from exc
    # A session of its own, closed before the webhook runs: on SQLite an open transaction
    # would hold the write lock the delivery log needs.
    with Session(engine, expire_on_commit=False) as session:
        document = _report(session, interview_id, storage, settings)
    if report_settings.ats_webhook_url:
        background.add_task(deliver_report, engine, report_settings, document, settings.public_url)
    return document


def _decide(
    session: Session,
    interview_id: str,
    anomaly_id: str,
    body: DecisionRequest,
    actor_kind: str,
    actor_ref: str,
) -> Decision:
    try:
        return record_decision(
            session,
            interview_id,
            anomaly_id,
            body.decision,
            actor_kind,
            actor_ref,
            body.by,
            body.note,
        )
    except ReportError as exc:
        raise _http(exc) from exc


@router.post(
    "/interviews/{interview_id}/anomalies/{anomaly_id}/decision",
    response_model=Decision,
    status_code=status.HTTP_201_CREATED,
    dependencies=_RECRUITER,
    summary="Confirm or dismiss an anomaly (kept in the audit trail)",
    responses=_ERRORS,
)
def decide_as_recruiter(
    interview_id: str, anomaly_id: str, body: DecisionRequest, session: SessionDep
) -> Decision:
    return _decide(session, interview_id, anomaly_id, body, "recruiter", "api-key")


@router.post(
    "/links/{token}/anomalies/{anomaly_id}/decision",
    response_model=Decision,
    status_code=status.HTTP_201_CREATED,
    summary="Confirm or dismiss an anomaly with a proctor link (the sidebar)",
    responses=_ERRORS,
)
def decide_as_proctor(
    anomaly_id: str, body: DecisionRequest, found: LinkDep, session: SessionDep
) -> Decision:
    link, interview = found
    if link.role != LinkRole.PROCTOR.value:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only a proctor link can decide")
    return _decide(session, interview.id, anomaly_id, body, "proctor", f"link:{link.jti}")


@router.get(
    "/interviews/{interview_id}/webhook-deliveries",
    response_model=list[DeliveryOut],
    dependencies=_RECRUITER,
    summary="The ATS webhook delivery log of the interview, oldest attempt first",
)
def list_deliveries(interview_id: str, engine: EngineDep) -> list[DeliveryOut]:
    return [
        DeliveryOut.model_validate(row, from_attributes=True)
        for row in deliveries_of(engine, interview_id)
    ]


@router.delete(
    "/interviews/{interview_id}/candidate-data",
    response_model=ErasureOut,
    dependencies=_RECRUITER,
    summary="Erase the interview and everything about its candidate (files included)",
    responses={
        **_ERRORS,
        409: {"model": ErrorResponse, "description": "In progress: cancel it first"},
        503: {"model": ErrorResponse, "description": "Storage failed: nothing was erased"},
    },
)
def erase_candidate(interview_id: str, engine: EngineDep, storage: StorageDep) -> ErasureOut:
    try:
        record = erase_candidate_data(engine, storage, interview_id, actor="recruiter")
    except ReportError as exc:
        raise _http(exc) from exc
    return ErasureOut(
        interview_id=record.interview_id,
        erased_at=record.erased_at,
        files_deleted=record.files_deleted,
    )
