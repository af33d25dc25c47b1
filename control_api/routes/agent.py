"""Agent-facing endpoints, behind the service token.

The agent reads the interview context, and delivers events, transcript turns,
lifecycle changes and evidence snapshots. Every write is safe to retry.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    File,
    Form,
    HTTPException,
    Request,
    Response,
    UploadFile,
    status,
)
from sqlmodel import Session

from contracts.interview_context import EnrollmentFile, InterviewContext, Sensitivity
from control_api import crud
from control_api.deps import SessionDep, SettingsDep, StorageDep, require_service
from control_api.enrollment.models import Modality
from control_api.enrollment.service import enrollments_of
from control_api.ingest import ingest_events, ingest_turns
from control_api.lifecycle import InvalidTransition
from control_api.livekit_rooms import candidate_identity
from control_api.models import Interview, InterviewStatus, StoredFile
from control_api.reports.maintenance import generate_after_completion
from control_api.routes.responses import bearer_errors, error_responses
from control_api.schemas import (
    ClientId,
    ErrorResponse,
    EventBatch,
    IngestResult,
    LifecycleRequest,
    SnapshotStored,
    StatusChange,
    TranscriptBatch,
)
from control_api.services import snapshots, status_changes
from control_api.services.status_changes import NoSuchInterview
from control_api.storage import StorageError
from control_api.uploads import check_image, read_upload

logger = logging.getLogger(__name__)

router = APIRouter(
    prefix="/agent/interviews/{interview_id}",
    tags=["agent (service token)"],
    dependencies=[Depends(require_service)],
    responses={**bearer_errors("SERVICE_TOKEN"), **error_responses({404: "No such interview"})},
)


def _interview(session: Session, interview_id: str) -> Interview:
    interview = session.get(Interview, interview_id)
    if interview is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no interview with id {interview_id}")
    return interview


def _download_path(interview_id: str, file_id: str) -> str:
    return f"/agent/interviews/{interview_id}/files/{file_id}"


@router.get("/context", response_model=InterviewContext, summary="What the agent needs to run")
def get_context(interview_id: str, session: SessionDep) -> InterviewContext:
    interview = _interview(session, interview_id)
    enrollment = [
        EnrollmentFile.model_validate(
            {
                "id": row.id,
                "kind": row.kind,  # one of crud.ENROLLMENT_KINDS, checked by the model
                "content_type": row.content_type,
                "size_bytes": row.size_bytes,
                "sha256": row.sha256,
                "download_path": _download_path(interview_id, row.id),
            }
        )
        for row in crud.files_of(session, interview_id, crud.ENROLLMENT_KINDS)
    ]
    stored = enrollments_of(session, interview.id)
    return InterviewContext(
        interview_id=interview.id,
        title=interview.title,
        status=InterviewStatus(interview.status),
        candidate_name=interview.candidate_name,
        candidate_identity=candidate_identity(interview.id),
        room=interview.room_name,
        job_description=interview.job_description,
        resume_text=interview.resume_text,
        duration_minutes=interview.duration_minutes,
        question_count=interview.question_count,
        sensitivity=Sensitivity(interview.sensitivity),
        enrollment=tuple(enrollment),
        face_enrollment=stored.get(Modality.FACE.value),
        voice_enrollment=stored.get(Modality.VOICE.value),
    )


@router.post(
    "/events",
    response_model=IngestResult,
    summary="Store anomaly start/end messages (idempotent by event id and state)",
    responses={422: {"model": ErrorResponse}},
)
def post_events(interview_id: str, batch: EventBatch, session: SessionDep) -> IngestResult:
    _interview(session, interview_id)
    for message in batch.events:
        if message.interview_id != interview_id:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"event {message.id} names interview {message.interview_id}, "
                f"but was posted to {interview_id}: post it to its own interview",
            )
    session.rollback()  # end the read transaction; the batch gets its own
    result = ingest_events(session, interview_id, batch.events)
    logger.info(
        "events ingested: %s inserted=%d updated=%d duplicates=%d",
        interview_id,
        result.inserted,
        result.updated,
        result.duplicates,
    )
    return result


@router.post(
    "/transcript",
    response_model=IngestResult,
    summary="Store transcript turns (idempotent by turn id)",
)
def post_transcript(interview_id: str, batch: TranscriptBatch, session: SessionDep) -> IngestResult:
    _interview(session, interview_id)
    session.rollback()
    result = ingest_turns(session, interview_id, batch.turns)
    logger.info(
        "transcript ingested: %s inserted=%d duplicates=%d",
        interview_id,
        result.inserted,
        result.duplicates,
    )
    return result


@router.post(
    "/lifecycle",
    response_model=StatusChange,
    summary="Report a lifecycle transition (same status again is a no-op)",
    responses={409: {"model": ErrorResponse, "description": "Not allowed from the current status"}},
)
def post_lifecycle(
    interview_id: str,
    body: LifecycleRequest,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    background: BackgroundTasks,
    request: Request,
) -> StatusChange:
    try:
        change = status_changes.agent_status(session, interview_id, body.status, body.reason)
    except NoSuchInterview as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except InvalidTransition as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if change.evaluate:
        background.add_task(
            generate_after_completion, request.app.state.engine, settings, storage, interview_id
        )
    result = change.result
    return StatusChange(
        id=interview_id,
        previous_status=result.previous,
        status=result.status,
        changed=result.changed,
    )


@router.post(
    "/snapshots",
    response_model=SnapshotStored,
    status_code=status.HTTP_201_CREATED,
    summary="Store an evidence snapshot (JPEG or PNG)",
    responses={413: {"model": ErrorResponse}, 415: {"model": ErrorResponse}},
)
def post_snapshot(
    interview_id: str,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    file: Annotated[UploadFile, File(description="JPEG or PNG evidence image")],
    event_id: Annotated[ClientId | None, Form()] = None,
) -> SnapshotStored:
    _interview(session, interview_id)
    image = check_image(read_upload(file, settings.max_image_bytes, "file"), "file")
    try:
        row = snapshots.store_snapshot(session, storage, interview_id, image, event_id)
    except snapshots.SnapshotNotStored as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the snapshot could not be stored: retry later"
        ) from exc
    return SnapshotStored(
        id=row.id,
        key=row.storage_key,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        url=storage.url(row.storage_key, settings.media_url_ttl),
        download_path=_download_path(interview_id, row.id),
    )


@router.get(
    "/files/{file_id}",
    summary="Download a stored file of the interview (enrollment media, snapshots)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "audio/wav": {}}}},
)
def get_file(interview_id: str, file_id: str, session: SessionDep, storage: StorageDep) -> Response:
    row = session.get(StoredFile, file_id)
    if row is None or row.interview_id != interview_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no file {file_id} in this interview")
    try:
        data = storage.get(row.storage_key)
    except StorageError as exc:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "the file is missing from storage (deleted by retention?)"
        ) from exc
    return Response(content=data, media_type=row.content_type)
