"""Recruiter endpoints: create, list, inspect and cancel interviews; re-issue links.

Creating an interview is all-or-nothing: every upload is read and checked before
anything is written; then the LiveKit room is created, the reference photo stored
and the rows committed, and any failure undoes the steps already done.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated

import anyio.from_thread
from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, UploadFile, status
from sqlmodel import Session

from contracts.statuses import FINISHED_STATUSES
from control_api import crud
from control_api.deps import RoomsDep, SessionDep, SettingsDep, StorageDep, require_recruiter
from control_api.enrollment.verification import identity_check
from control_api.lifecycle import InvalidTransition, lock_interview, transition
from control_api.livekit_rooms import (
    DEFAULT_PROCTOR_LABEL,
    LiveKitUnavailable,
    RoomManager,
    candidate_identity,
    proctor_identity,
    room_name_for,
)
from control_api.models import (
    FileKind,
    Interview,
    InterviewLink,
    InterviewStatus,
    LifecycleTransition,
    LinkRole,
    ProctoringEvent,
    StoredFile,
    TranscriptTurn,
    TransitionSource,
    new_id,
)
from control_api.routes.responses import bearer_errors
from control_api.schemas import (
    CancelRequest,
    ErrorResponse,
    FileOut,
    InterviewCreated,
    InterviewDetail,
    InterviewLinks,
    InterviewPage,
    InterviewSummary,
    ProctorLinkOut,
    ProctorLinkRequest,
    ProctorVisitOut,
    StatusChange,
    TransitionOut,
)
from control_api.settings import Settings
from control_api.storage import Storage, StorageError, StoredObject, make_key
from control_api.uploads import check_image, document_text, read_upload, safe_filename
from proctoring.sensitivity import Sensitivity

logger = logging.getLogger(__name__)

router = APIRouter(
    prefix="/interviews",
    tags=["interviews (recruiter)"],
    dependencies=[Depends(require_recruiter)],
    responses=bearer_errors("RECRUITER_API_KEY"),
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LIVEKIT_DOWN = (
    "the LiveKit server could not be reached to create the interview room: "
    "check that livekit-server is running at LIVEKIT_URL, then try again"
)


def _present(upload: UploadFile | None) -> UploadFile | None:
    """Browsers send an empty part for a file input left empty: treat it as absent."""
    if upload is None or (not upload.filename and not upload.size):
        return None
    return upload


def _require_text(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{field}: must not be empty or blank"
        )
    return value


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=InterviewCreated,
    summary="Create an interview, its LiveKit room and its two links",
    responses={
        413: {"model": ErrorResponse, "description": "A file over its size limit"},
        415: {"model": ErrorResponse, "description": "A file of the wrong type"},
        422: {"model": ErrorResponse, "description": "Missing field or unreadable file"},
        503: {"model": ErrorResponse, "description": "LiveKit or storage unreachable"},
    },
)
def create_interview(
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    rooms: RoomsDep,
    title: Annotated[str, Form(min_length=1, max_length=200)],
    candidate_name: Annotated[str, Form(min_length=1, max_length=200)],
    candidate_email: Annotated[str, Form(min_length=3, max_length=320)],
    resume: Annotated[UploadFile, File(description="PDF, DOCX or plain text")],
    job_description: Annotated[
        str | None, Form(max_length=200_000, description="Text, or send job_description_file")
    ] = None,
    job_description_file: Annotated[
        UploadFile | None, File(description="PDF, DOCX or plain text")
    ] = None,
    reference_photo: Annotated[
        UploadFile | None, File(description="JPEG or PNG of the candidate's face")
    ] = None,
    duration_minutes: Annotated[int, Form(ge=5, le=180)] = 30,
    question_count: Annotated[int, Form(ge=1, le=30)] = 6,
    sensitivity: Annotated[Sensitivity, Form()] = Sensitivity.STANDARD,
) -> InterviewCreated:
    # 1. Read and check everything; nothing is written yet.
    title = _require_text(title, "title")
    candidate_name = _require_text(candidate_name, "candidate_name")
    candidate_email = candidate_email.strip()
    if not _EMAIL.fullmatch(candidate_email):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "candidate_email: not an email address (expected name@example.com)",
        )
    limits = {"max_chars": settings.max_document_chars, "max_pdf_pages": settings.max_pdf_pages}
    resume_data = read_upload(resume, settings.max_document_bytes, "resume")
    resume_text = document_text(resume_data, "resume", **limits).text

    jd_upload = _present(job_description_file)
    jd_text = (job_description or "").strip()
    if jd_upload is not None and jd_text:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "job_description: send either the text or job_description_file, not both",
        )
    jd_filename: str | None = None
    if jd_upload is not None:
        jd_data = read_upload(jd_upload, settings.max_document_bytes, "job_description_file")
        jd_text = document_text(jd_data, "job_description_file", **limits).text
        jd_filename = safe_filename(jd_upload.filename, "job-description")
    elif not jd_text:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "job_description: required: send the text in job_description "
            "or a file in job_description_file",
        )

    photo_upload = _present(reference_photo)
    photo = None
    if photo_upload is not None:
        photo = check_image(
            read_upload(photo_upload, settings.max_image_bytes, "reference_photo"),
            "reference_photo",
        )

    # 2. Side effects, each undone if a later one fails.
    interview_id = new_id()
    try:
        anyio.from_thread.run(rooms.ensure_room, interview_id)
    except LiveKitUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, LIVEKIT_DOWN) from exc

    stored: StoredObject | None = None
    try:
        if photo is not None:
            stored = storage.put(
                make_key(interview_id, FileKind.REFERENCE_PHOTO.value, photo.content_type),
                photo.data,
                photo.content_type,
            )
        interview = Interview(
            id=interview_id,
            title=title,
            candidate_name=candidate_name,
            candidate_email=candidate_email,
            job_description=jd_text,
            job_description_filename=jd_filename,
            resume_text=resume_text,
            resume_filename=safe_filename(resume.filename, "resume"),
            duration_minutes=duration_minutes,
            question_count=question_count,
            sensitivity=sensitivity.value,
            room_name=room_name_for(interview_id),
        )
        session.add(interview)
        session.flush()  # the interview row first: the others reference it
        session.add(
            LifecycleTransition(
                interview_id=interview_id,
                from_status=None,
                to_status=InterviewStatus.CREATED.value,
                at=interview.created_at,
                source=TransitionSource.RECRUITER.value,
            )
        )
        if stored is not None:
            session.add(_file_row(interview_id, FileKind.REFERENCE_PHOTO, stored))
        candidate_link, proctor_link = crud.issue_links(session, interview_id, settings)
        session.commit()
    except BaseException as exc:
        session.rollback()
        _undo_creation(interview_id, stored, storage, rooms)
        if isinstance(exc, StorageError):
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "the reference photo could not be stored: check the storage settings "
                "(DATA_DIR or CLOUDINARY_URL), then try again",
            ) from exc
        raise

    logger.info("interview created: %s", interview_id)
    links = crud.links_view(candidate_link, proctor_link, settings)
    return InterviewCreated(
        id=interview_id,
        status=InterviewStatus.CREATED,
        room=interview.room_name,
        created_at=interview.created_at,
        **links.model_dump(),
    )


def _file_row(interview_id: str, kind: FileKind, stored: StoredObject) -> StoredFile:
    return StoredFile(
        interview_id=interview_id,
        kind=kind.value,
        storage_key=stored.key,
        content_type=stored.content_type,
        size_bytes=stored.size,
        sha256=stored.sha256,
    )


def _undo_creation(
    interview_id: str, stored: StoredObject | None, storage: Storage, rooms: RoomManager
) -> None:
    """Best effort: remove what a failed creation left behind."""
    if stored is not None:
        try:
            storage.delete(stored.key)
        except (StorageError, OSError):
            logger.warning("stored file left after a failed creation: %s", interview_id)
    try:
        anyio.from_thread.run(rooms.delete_room, interview_id)
    except LiveKitUnavailable:
        logger.warning("could not delete the room after a failed creation: %s", interview_id)


@router.get("", response_model=InterviewPage, summary="List interviews, newest first")
def list_interviews(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    status_filter: Annotated[InterviewStatus | None, Query(alias="status")] = None,
) -> InterviewPage:
    items, total = crud.list_interviews(
        session, limit, offset, status_filter.value if status_filter else None
    )
    return InterviewPage(
        items=[InterviewSummary.model_validate(item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


def _get_or_404(session: Session, interview_id: str) -> Interview:
    interview = session.get(Interview, interview_id)
    if interview is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no interview with id {interview_id}")
    return interview


def file_view(row: StoredFile, storage: Storage, settings: Settings) -> FileOut:
    return FileOut(
        id=row.id,
        kind=FileKind(row.kind),
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        created_at=row.created_at,
        event_id=row.event_id,
        url=storage.url(row.storage_key, settings.media_url_ttl),
    )


@router.get(
    "/{interview_id}",
    response_model=InterviewDetail,
    summary="One interview: status, lifecycle timestamps, links, files",
    responses={404: {"model": ErrorResponse}},
)
def get_interview(
    interview_id: str, session: SessionDep, settings: SettingsDep, storage: StorageDep
) -> InterviewDetail:
    interview = _get_or_404(session, interview_id)
    transitions = crud.transitions_of(session, interview_id)
    status_times: dict[InterviewStatus, object] = {}
    for item in transitions:
        status_times.setdefault(InterviewStatus(item.to_status), item.at)
    return InterviewDetail(
        **InterviewSummary.model_validate(interview).model_dump(),
        candidate_email=interview.candidate_email,
        job_description=interview.job_description,
        job_description_filename=interview.job_description_filename,
        resume_text=interview.resume_text,
        resume_filename=interview.resume_filename,
        status_times=status_times,  # type: ignore[arg-type]
        transitions=[TransitionOut.model_validate(item) for item in transitions],
        links=crud.current_links(session, interview_id, settings),
        files=[file_view(f, storage, settings) for f in crud.files_of(session, interview_id)],
        event_count=crud.count_rows(session, ProctoringEvent, interview_id),
        transcript_turn_count=crud.count_rows(session, TranscriptTurn, interview_id),
        identity_verified=identity_check(session, interview_id).verified,
        proctor_links=[
            _proctor_link_view(link, settings)
            for link in crud.active_links(session, interview_id)
            if link.role == LinkRole.PROCTOR.value
        ],
        proctor_visits=[
            ProctorVisitOut(
                label=v.label, identity=v.identity, joined_at=v.joined_at, left_at=v.left_at
            )
            for v in crud.proctor_visits(session, interview_id)
        ],
    )


@router.post(
    "/{interview_id}/cancel",
    response_model=StatusChange,
    summary="Cancel an interview: revoke its links and close its room",
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}},
)
def cancel_interview(
    interview_id: str,
    session: SessionDep,
    rooms: RoomsDep,
    body: CancelRequest | None = None,
) -> StatusChange:
    interview = lock_interview(session, interview_id)
    if interview is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no interview with id {interview_id}")
    try:
        result = transition(
            session,
            interview,
            InterviewStatus.CANCELLED,
            TransitionSource.RECRUITER,
            body.reason if body else None,
        )
    except InvalidTransition as exc:
        session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    crud.revoke_links(session, interview_id)
    session.commit()
    if result.changed:
        try:
            anyio.from_thread.run(rooms.delete_room, interview_id)
        except LiveKitUnavailable:
            # The links are revoked, so nobody can join; the room expires by itself.
            logger.warning("room of a cancelled interview not deleted: %s", interview_id)
    return StatusChange(
        id=interview_id,
        previous_status=result.previous,
        status=result.status,
        changed=result.changed,
    )


@router.post(
    "/{interview_id}/links",
    response_model=InterviewLinks,
    summary="Issue new candidate and proctor links (the previous ones stop working)",
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}},
)
def reissue_links(
    interview_id: str, session: SessionDep, settings: SettingsDep, rooms: RoomsDep
) -> InterviewLinks:
    _lock_open_interview(session, interview_id)
    revoked = crud.revoke_links(session, interview_id)
    candidate, proctor = crud.issue_links(session, interview_id, settings)
    session.commit()
    logger.info("links re-issued: %s", interview_id)
    # whoever holds the old links leaves the room now (the webhook removes them again if
    # their still-valid LiveKit token rejoins)
    holders = {candidate_identity(interview_id)} | {
        proctor_identity(link.jti) for link in revoked if link.role == LinkRole.PROCTOR.value
    }
    try:
        anyio.from_thread.run(rooms.remove_participants, interview_id, holders)
    except LiveKitUnavailable:
        logger.warning("old link holders not removed from the room: %s", interview_id)
    return crud.links_view(candidate, proctor, settings)


@router.post(
    "/{interview_id}/proctor-links",
    status_code=status.HTTP_201_CREATED,
    response_model=ProctorLinkOut,
    summary="Add a proctor link for one more person (the others keep working)",
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}},
)
def add_proctor_link(
    interview_id: str,
    session: SessionDep,
    settings: SettingsDep,
    body: ProctorLinkRequest | None = None,
) -> ProctorLinkOut:
    _lock_open_interview(session, interview_id)
    link = crud.add_proctor_link(session, interview_id, settings, body.label if body else None)
    session.commit()
    logger.info("proctor link added: %s", interview_id)
    return _proctor_link_view(link, settings)


def _lock_open_interview(session: Session, interview_id: str) -> Interview:
    """The interview under its row lock; 404 if missing, 409 once it has ended."""
    interview = lock_interview(session, interview_id)
    if interview is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no interview with id {interview_id}")
    if InterviewStatus(interview.status) in FINISHED_STATUSES:
        session.rollback()
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"the interview is {interview.status}: links are only issued for open interviews",
        )
    return interview


def _proctor_link_view(link: InterviewLink, settings: Settings) -> ProctorLinkOut:
    return ProctorLinkOut(
        label=link.label or DEFAULT_PROCTOR_LABEL,
        url=crud.link_address(link, settings),
        issued_at=link.issued_at,
        expires_at=link.expires_at,
        use_count=link.use_count,
        last_used_at=link.last_used_at,
    )
