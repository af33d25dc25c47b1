"""The candidate's baseline: a few face photos and a short reading, behind the join link.

Each upload is checked by the proctoring engine at once, so the candidate's page can
say in plain words what to fix ("too dark", "two faces", "speak a little longer").
A rejected baseline answers 422 with those reasons and stores nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, UploadFile, status
from fastapi.responses import JSONResponse

from control_api.deps import LinkDep, SessionDep, SettingsDep, StorageDep
from control_api.enrollment.media import UndecodableAudio
from control_api.enrollment.service import (
    BaselineOutcome,
    enroll_face_baseline,
    enroll_voice_baseline,
)
from control_api.lifecycle import FINISHED_STATUSES
from control_api.models import Interview, InterviewLink, InterviewStatus, LinkRole
from control_api.routes.responses import error_responses, link_errors
from control_api.schemas import BaselineFrame, BaselineResult
from control_api.uploads import check_image, read_upload

router = APIRouter(prefix="/links", tags=["links (candidate and proctor pages)"])

MIN_FACE_PHOTOS = 3
MAX_FACE_PHOTOS = 10
MAX_AUDIO_BYTES = 5 * 1024 * 1024

_REJECTED: dict[int | str, dict[str, Any]] = {
    **link_errors("Not a candidate link"),
    **error_responses({409: "The interview is over"}),
    422: {"model": BaselineResult, "description": "Baseline rejected: the reasons say why"},
}


def _candidate_interview(found: tuple[InterviewLink, Interview]) -> Interview:
    link, interview = found
    if LinkRole(link.role) is not LinkRole.CANDIDATE:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only the candidate's join link can record a baseline"
        )
    current = InterviewStatus(interview.status)
    if current is InterviewStatus.CANCELLED or current in FINISHED_STATUSES:
        raise HTTPException(status.HTTP_409_CONFLICT, "this interview is over")
    if current is InterviewStatus.IN_PROGRESS:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "the interview has started: the baseline can no longer change"
        )
    return interview


def _answer(outcome: BaselineOutcome) -> BaselineResult | JSONResponse:
    result = BaselineResult(
        modality=outcome.modality.value,
        accepted=outcome.accepted,
        detail=" ".join(outcome.reasons) if outcome.reasons else "baseline accepted",
        reasons=list(outcome.reasons),
        frames=[
            BaselineFrame(index=f.index, accepted=f.accepted, reason=f.reason)
            for f in outcome.frames
        ],
        ready=outcome.ready,
        status=outcome.status,
        details=outcome.details,
    )
    if not outcome.accepted:
        return JSONResponse(status_code=422, content=result.model_dump(mode="json"))
    return result


@router.post(
    "/{token}/baseline/face",
    response_model=BaselineResult,
    summary="Enroll the candidate's face from a few photos (3 to 10, JPEG or PNG)",
    responses=_REJECTED,
)
def upload_face_baseline(
    found: LinkDep,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    photos: Annotated[list[UploadFile], File(description="3 to 10 photos of the candidate")],
) -> BaselineResult | JSONResponse:
    interview = _candidate_interview(found)
    if not MIN_FACE_PHOTOS <= len(photos) <= MAX_FACE_PHOTOS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"photos: send between {MIN_FACE_PHOTOS} and {MAX_FACE_PHOTOS} photos "
            f"(got {len(photos)})",
        )
    images = [
        check_image(read_upload(photo, settings.max_image_bytes, f"photos[{i}]"), f"photos[{i}]")
        for i, photo in enumerate(photos)
    ]
    return _answer(enroll_face_baseline(session, storage, interview, images))


@router.post(
    "/{token}/baseline/voice",
    response_model=BaselineResult,
    summary="Enroll the candidate's voice from 10-20 s of reading aloud",
    responses=_REJECTED,
)
def upload_voice_baseline(
    found: LinkDep,
    session: SessionDep,
    audio: Annotated[UploadFile, File(description="WebM/Opus, Ogg, WAV or FLAC recording")],
) -> BaselineResult | JSONResponse:
    interview = _candidate_interview(found)
    data = read_upload(audio, MAX_AUDIO_BYTES, "audio")
    if not data:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "audio: the file is empty: record again"
        )
    try:
        outcome = enroll_voice_baseline(session, interview, data)
    except UndecodableAudio as exc:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "audio: this is not a recording we can read: send WebM/Opus, Ogg, WAV or FLAC",
        ) from exc
    return _answer(outcome)
