"""The candidate's baseline: a few face photos and a short reading, behind the join link.

Each upload is checked by the proctoring engine at once, so the candidate's page can
say in plain words what to fix ("too dark", "two faces", "speak a little longer"). A
face baseline also carries set-up advice (``advice``): what would make the live check
surer (more light, closer, no light behind), whether the photos were accepted or not.
A rejected baseline answers 422 with those reasons and stores nothing. The checks run
on a few dedicated engine threads: when they and their waiting places are all taken,
the upload answers 503 with ``Retry-After`` and stores nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile, status
from fastapi.responses import JSONResponse

from control_api.deps import LinkDep, SessionDep, SettingsDep, StorageDep
from control_api.enrollment.media import UndecodableAudio
from control_api.enrollment.service import (
    BaselineClosed,
    BaselineOutcome,
    UnreadablePhoto,
    closed_reason,
    enroll_face_baseline,
    enroll_voice_baseline,
)
from control_api.enrollment.workers import EngineBusy, EngineWorkers
from control_api.models import Interview, InterviewLink, InterviewStatus, LinkRole
from control_api.routes.responses import error_responses, link_errors
from control_api.schemas import BaselineAdvice, BaselineFrame, BaselineResult
from control_api.uploads import MAX_BASELINE_PIXELS, check_image, read_upload, undecodable_image

router = APIRouter(prefix="/links", tags=["links (candidate and proctor pages)"])

MIN_FACE_PHOTOS = 3
MAX_FACE_PHOTOS = 10
MAX_AUDIO_BYTES = 5 * 1024 * 1024
# Seconds a candidate's page is told to wait when the engines are all busy: a check takes
# one to a few seconds, so a place is usually free by then.
BUSY_RETRY_AFTER_SECONDS = 5
BUSY = "the photo and voice checks are all busy right now: please try again in a few seconds"

_REJECTED: dict[int | str, dict[str, Any]] = {
    **link_errors("Not a candidate link"),
    **error_responses({409: "The interview is over", 503: "Every baseline check is busy"}),
    422: {"model": BaselineResult, "description": "Baseline rejected: the reasons say why"},
}


def _candidate_interview(found: tuple[InterviewLink, Interview]) -> Interview:
    link, interview = found
    if LinkRole(link.role) is not LinkRole.CANDIDATE:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only the candidate's join link can record a baseline"
        )
    closed = closed_reason(InterviewStatus(interview.status))
    if closed is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, closed)
    return interview


def _engine_workers(request: Request) -> EngineWorkers:
    workers: EngineWorkers = request.app.state.baseline_workers
    return workers


EngineWorkersDep = Annotated[EngineWorkers, Depends(_engine_workers)]


def _busy() -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        BUSY,
        headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
    )


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
        advice=[BaselineAdvice(code=a.code, message=a.message) for a in outcome.advice],
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
    workers: EngineWorkersDep,
    photos: Annotated[list[UploadFile], File(description="3 to 10 photos of the candidate")],
) -> BaselineResult | JSONResponse:
    interview = _candidate_interview(found)
    if not MIN_FACE_PHOTOS <= len(photos) <= MAX_FACE_PHOTOS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"photos: send between {MIN_FACE_PHOTOS} and {MAX_FACE_PHOTOS} photos "
            f"(got {len(photos)})",
        )
    # Headers only here: the pixels are decoded (downscaled) by the engine workers.
    images = [
        check_image(
            read_upload(photo, settings.max_image_bytes, f"photos[{i}]"),
            f"photos[{i}]",
            max_pixels=MAX_BASELINE_PIXELS,
            decode=False,
        )
        for i, photo in enumerate(photos)
    ]
    try:
        outcome = enroll_face_baseline(session, storage, interview, images, workers)
    except EngineBusy as exc:
        raise _busy() from exc
    except BaselineClosed as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except UnreadablePhoto as exc:
        raise undecodable_image(f"photos[{exc.index}]") from exc
    return _answer(outcome)


@router.post(
    "/{token}/baseline/voice",
    response_model=BaselineResult,
    summary="Enroll the candidate's voice from 10-20 s of reading aloud",
    responses=_REJECTED,
)
def upload_voice_baseline(
    found: LinkDep,
    session: SessionDep,
    workers: EngineWorkersDep,
    audio: Annotated[UploadFile, File(description="WebM/Opus, Ogg, WAV or FLAC recording")],
) -> BaselineResult | JSONResponse:
    interview = _candidate_interview(found)
    data = read_upload(audio, MAX_AUDIO_BYTES, "audio")
    if not data:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "audio: the file is empty: record again"
        )
    try:
        outcome = enroll_voice_baseline(session, interview, data, workers)
    except EngineBusy as exc:
        raise _busy() from exc
    except BaselineClosed as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except UndecodableAudio as exc:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "audio: this is not a recording we can read: send WebM/Opus, Ogg, WAV or FLAC",
        ) from exc
    return _answer(outcome)
