"""Recruiter endpoints: create, list, inspect and cancel interviews; re-issue links.

Creating an interview is all-or-nothing: every upload is read and checked before
anything is written (``deps.new_interview``); then the LiveKit room is created, the
reference photo stored and the rows committed, and any failure undoes the steps already
done (:mod:`control_api.services.interview_creation`).
"""

from __future__ import annotations

import logging
from typing import Annotated

import anyio.from_thread
from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlmodel import Session

from contracts.statuses import FINISHED_STATUSES
from control_api import crud
from control_api.deps import (
    NewInterviewDep,
    RoomsDep,
    SessionDep,
    SettingsDep,
    StorageDep,
    require_recruiter,
)
from control_api.enrollment.verification import identity_check
from control_api.lifecycle import InvalidTransition, lock_interview
from control_api.livekit_rooms import (
    DEFAULT_PROCTOR_LABEL,
    LiveKitUnavailable,
    candidate_identity,
    proctor_identity,
)
from control_api.models import (
    FileKind,
    Interview,
    InterviewLink,
    InterviewStatus,
    LinkRole,
    ProctoringEvent,
    StoredFile,
    TranscriptTurn,
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
    ListIntegrity,
    ListSort,
    ProctorLinkOut,
    ProctorLinkRequest,
    ProctorVisitOut,
    StatusChange,
    TransitionOut,
)
from control_api.services import interview_creation, interview_list, status_changes
from control_api.services.interview_list import ListQuery
from control_api.services.status_changes import NoSuchInterview
from control_api.settings import Settings
from control_api.storage import Storage, StorageError

logger = logging.getLogger(__name__)

router = APIRouter(
    prefix="/interviews",
    tags=["interviews (recruiter)"],
    dependencies=[Depends(require_recruiter)],
    responses=bearer_errors("RECRUITER_API_KEY"),
)

LIVEKIT_DOWN = (
    "the LiveKit server could not be reached to create the interview room: "
    "check that livekit-server is running at LIVEKIT_URL, then try again"
)
PHOTO_NOT_STORED = (
    "the reference photo could not be stored: check the storage settings "
    "(DATA_DIR or CLOUDINARY_URL), then try again"
)


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
    new: NewInterviewDep,
) -> InterviewCreated:
    try:
        created = interview_creation.create_interview(session, settings, storage, rooms, new)
    except LiveKitUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, LIVEKIT_DOWN) from exc
    except StorageError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, PHOTO_NOT_STORED) from exc
    interview = created.interview
    links = crud.links_view(created.candidate_link, created.proctor_link, settings)
    return InterviewCreated(
        id=interview.id,
        status=InterviewStatus.CREATED,
        room=interview.room_name,
        created_at=interview.created_at,
        **links.model_dump(),
    )


@router.get(
    "",
    response_model=InterviewPage,
    summary="List interviews with their integrity state: filter, search, sort",
    description="Each item carries ``integrity`` (confirmed, flagged, dismissed, clean, "
    "pending: see the ListIntegrity schema) and its anomaly counts. ``q`` matches a "
    "substring of the candidate's name or email, ignoring case.",
)
def list_interviews(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    status_filter: Annotated[InterviewStatus | None, Query(alias="status")] = None,
    integrity: Annotated[ListIntegrity | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=320)] = None,
    sort: Annotated[ListSort, Query()] = ListSort.NEWEST,
) -> InterviewPage:
    query = ListQuery(limit, offset, status_filter, integrity, (q or "").strip() or None, sort)
    items, total = interview_list.list_interviews(session, query)
    return InterviewPage(items=items, total=total, limit=limit, offset=offset)


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
    reason = body.reason if body else None
    try:
        result = status_changes.cancel_interview(session, rooms, interview_id, reason)
    except NoSuchInterview as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except InvalidTransition as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
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
