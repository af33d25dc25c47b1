"""Run the proctoring engine on a candidate's baseline and keep the result.

The engines are loaded once per process (dlib's models and the GE2E weights take a
moment) and run, with the decoding of the uploads, on the few dedicated threads of
``EngineWorkers``: never on the event loop, and never more at once than the API can
afford (the request thread waits for its turn, or is refused ``EngineBusy``). Photos
are decoded one at a time, downscaled to what the engine uses. A rejected baseline
stores nothing; an accepted one replaces any earlier enrollment of
the same modality, and once both face and voice are enrolled the interview is ready.
Each face photo, while it is decoded, is also looked at for set-up advice (too dark,
too far, backlit, blurred: :mod:`proctoring.face.setup_advice`), returned whether the
baseline is accepted or not and never changing which it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from contracts.statuses import FINISHED_STATUSES
from control_api import crud
from control_api.enrollment.media import audio_to_pcm16k
from control_api.enrollment.models import BiometricEnrollment, Modality
from control_api.enrollment.workers import EngineWorkers
from control_api.lifecycle import lock_interview, transition
from control_api.models import FileKind, Interview, InterviewStatus, StoredFile, TransitionSource
from control_api.storage import Storage, make_key
from control_api.uploads import CheckedImage
from proctoring.imaging import UndecodableImage, image_to_rgb

if TYPE_CHECKING:  # the engines are imported on first use: the API starts in a second
    from proctoring import face, voice
    from proctoring.imaging import RGBImage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameFeedback:
    index: int
    accepted: bool
    reason: str | None


@dataclass(frozen=True)
class SetupAdvice:
    """One change to the candidate's set-up that makes the live check surer."""

    code: str
    message: str


@dataclass(frozen=True)
class BaselineOutcome:
    """What the candidate's page shows: accepted or not, and why in plain words."""

    modality: Modality
    accepted: bool
    reasons: tuple[str, ...] = ()
    frames: tuple[FrameFeedback, ...] = ()
    ready: bool = False
    status: InterviewStatus | None = None
    details: dict[str, float] = field(default_factory=dict)
    advice: tuple[SetupAdvice, ...] = ()


@lru_cache(maxsize=1)
def voice_encoder() -> voice.GE2EEncoder:
    """The GE2E encoder, loaded once per process and shared (it is read-only)."""
    from proctoring import voice

    return voice.GE2EEncoder.load()


def closed_reason(status: InterviewStatus) -> str | None:
    """Why an interview's baseline can no longer change, or None while it can."""
    if status is InterviewStatus.CANCELLED or status in FINISHED_STATUSES:
        return "this interview is over"
    if status is InterviewStatus.IN_PROGRESS:
        return "the interview has started: the baseline can no longer change"
    return None


class BaselineClosed(Exception):
    """The interview started or ended while its baseline was being checked."""


def _release_database(session: Session) -> None:
    """End the request's read transaction before a check of a second or more.

    On SQLite every transaction holds the write lock (``BEGIN IMMEDIATE``), on
    PostgreSQL a pooled connection: a check holding either would stall every other
    request meanwhile. Nothing is pending (the request has only read), and the save
    afterwards locks the interview again and re-checks its status.
    """
    session.close()


class UnreadablePhoto(ValueError):
    """Baseline photo ``index`` has a readable header but pixels that do not decode."""

    def __init__(self, index: int) -> None:
        super().__init__(f"baseline photo {index} could not be decoded")
        self.index = index


class _DecodedFrames(Sequence["RGBImage"]):
    """The baseline photos, each decoded (downscaled) only when the engine reaches it,
    so at most one of them exists as pixels at a time; ``on_decoded`` sees each frame
    then (index, pixels), so a second look needs no second decode."""

    def __init__(
        self,
        images: Sequence[CheckedImage],
        on_decoded: Callable[[int, RGBImage], None] | None = None,
    ) -> None:
        self._images = images
        self._on_decoded = on_decoded

    def __len__(self) -> int:
        return len(self._images)

    def __getitem__(self, index: int) -> RGBImage:  # type: ignore[override]
        try:
            frame = image_to_rgb(self._images[index].data)
        except UndecodableImage as exc:
            raise UnreadablePhoto(index) from exc
        if self._on_decoded is not None:
            self._on_decoded(index, frame)
        return frame


def _reference_photo(session: Session, storage: Storage, interview_id: str) -> bytes | None:
    rows = crud.files_of(session, interview_id, (FileKind.REFERENCE_PHOTO,))
    if not rows:
        return None
    return storage.get(rows[-1].storage_key)


@dataclass(frozen=True)
class FaceCheck:
    """The engine's verdict on the photos, and the set-up advice drawn from them."""

    result: face.EnrollmentResult
    advice: tuple[SetupAdvice, ...]


def check_faces(images: Sequence[CheckedImage], reference: bytes | None) -> FaceCheck:
    """Run on an engine worker: decode the photos one by one, check them, and advise.

    The advice is taken from each photo while it is decoded for the check; a failure
    there only loses the advice, never the check.
    """
    from proctoring import face

    per_frame: dict[int, list[face.Advice]] = {}

    def advise(index: int, frame: RGBImage) -> None:
        try:
            per_frame[index] = face.frame_advice(frame)
        except Exception:  # advice is a courtesy: it must not refuse or fail a baseline
            logger.warning("set-up advice failed on baseline photo %d", index, exc_info=True)

    reference_frame = image_to_rgb(reference) if reference is not None else None
    result = face.enroll(_DecodedFrames(images, advise), reference=reference_frame)
    advice = face.baseline_advice(per_frame.values())
    return FaceCheck(result, tuple(SetupAdvice(a.code, a.message) for a in advice))


def enroll_face_baseline(
    session: Session,
    storage: Storage,
    interview: Interview,
    images: list[CheckedImage],
    workers: EngineWorkers,
) -> BaselineOutcome:
    """Check the baseline photos, and keep the face embeddings and photos if accepted.

    Raises ``EngineBusy`` (nothing checked or stored) when the workers are all taken,
    ``UnreadablePhoto`` when a photo does not decode, ``BaselineClosed`` when the
    interview started or ended meanwhile (nothing stored).
    """
    reference = _reference_photo(session, storage, interview.id)
    _release_database(session)
    checked = workers.run(check_faces, images, reference)
    result, advice = checked.result, checked.advice
    feedback = tuple(FrameFeedback(c.index, c.accepted, c.reason) for c in result.frames)
    codes = ",".join(a.code for a in advice) or "none"
    if not result.accepted or result.enrollment is None:
        logger.info("face baseline rejected (interview %s, advice %s)", interview.id, codes)
        return BaselineOutcome(Modality.FACE, False, tuple(result.reasons), feedback, advice=advice)
    stored_keys: list[str] = []
    try:
        rows = []
        for image in images:
            kind = FileKind.BASELINE_IMAGE.value
            stored = storage.put(
                make_key(interview.id, kind, image.content_type), image.data, image.content_type
            )
            stored_keys.append(stored.key)
            rows.append(
                StoredFile(
                    interview_id=interview.id,
                    kind=kind,
                    storage_key=stored.key,
                    content_type=stored.content_type,
                    size_bytes=stored.size,
                    sha256=stored.sha256,
                )
            )
        outcome = _save_enrollment(
            session,
            interview.id,
            Modality.FACE,
            result.enrollment.to_json(),
            result.enrollment.model,
            replace_kind=FileKind.BASELINE_IMAGE,
            new_files=rows,
            storage=storage,
        )
    except BaseException:
        session.rollback()
        for key in stored_keys:
            storage.delete(key)
        raise
    logger.info("face baseline enrolled (interview %s, advice %s)", interview.id, codes)
    return BaselineOutcome(
        Modality.FACE,
        True,
        (),
        feedback,
        outcome.ready,
        outcome.status,
        {"frames_used": float(len(result.enrollment.embeddings))},
        advice,
    )


def check_voice(audio: bytes) -> voice.VoiceEnrollment:
    """Run on an engine worker: decode the reading and enroll it (or raise why not)."""
    from proctoring import voice

    return voice.enroll_voice(audio_to_pcm16k(audio), voice_encoder())


def enroll_voice_baseline(
    session: Session, interview: Interview, audio: bytes, workers: EngineWorkers
) -> BaselineOutcome:
    """Check the baseline reading and keep the voice embedding if accepted.

    The recording itself is not stored: only its embedding is. Raises ``EngineBusy``
    when the workers are all taken, ``UndecodableAudio`` for what is not a recording,
    ``BaselineClosed`` when the interview started or ended meanwhile.
    """
    from proctoring import voice

    _release_database(session)
    try:
        enrollment = workers.run(check_voice, audio)
    except voice.EnrollmentRejected as exc:
        logger.info("voice baseline rejected (interview %s, %s)", interview.id, exc.code)
        return BaselineOutcome(Modality.VOICE, False, (exc.reason,))
    try:
        outcome = _save_enrollment(
            session, interview.id, Modality.VOICE, enrollment.to_json(), enrollment.model
        )
    except BaseException:
        session.rollback()
        raise
    logger.info("voice baseline enrolled (interview %s)", interview.id)
    return BaselineOutcome(
        Modality.VOICE,
        True,
        (),
        (),
        outcome.ready,
        outcome.status,
        {"speech_seconds": round(float(enrollment.speech_seconds), 2)},
    )


@dataclass(frozen=True)
class _Saved:
    ready: bool
    status: InterviewStatus


def _save_enrollment(
    session: Session,
    interview_id: str,
    modality: Modality,
    data: str,
    model: str,
    *,
    replace_kind: FileKind | None = None,
    new_files: list[StoredFile] | None = None,
    storage: Storage | None = None,
) -> _Saved:
    """Upsert the enrollment (and its files) in one transaction; mark ready when complete."""
    interview = lock_interview(session, interview_id)
    if interview is None:
        raise LookupError(interview_id)
    closed = closed_reason(InterviewStatus(interview.status))
    if closed is not None:
        raise BaselineClosed(closed)
    old_keys: list[str] = []
    if replace_kind is not None:
        for row in crud.files_of(session, interview_id, (replace_kind,)):
            old_keys.append(row.storage_key)
            session.delete(row)
    for row in new_files or []:
        session.add(row)
    existing = session.get(BiometricEnrollment, (interview_id, modality.value))
    if existing is None:
        existing = BiometricEnrollment(
            interview_id=interview_id, modality=modality.value, data=data, model=model
        )
    else:
        existing.data, existing.model = data, model
    session.add(existing)
    session.flush()
    enrolled = set(
        session.exec(
            select(BiometricEnrollment.modality).where(
                BiometricEnrollment.interview_id == interview_id
            )
        ).all()
    )
    ready = enrolled >= {Modality.FACE.value, Modality.VOICE.value}
    if ready and InterviewStatus(interview.status) is InterviewStatus.CREATED:
        transition(
            session,
            interview,
            InterviewStatus.READY,
            TransitionSource.CANDIDATE,
            "baseline enrolled",
        )
    session.commit()
    if storage is not None:
        for key in old_keys:
            storage.delete(key)
    return _Saved(ready=ready, status=InterviewStatus(interview.status))


def enrollments_of(session: Session, interview_id: str) -> dict[str, str]:
    """The stored enrollment JSON of each modality, for the agent's context."""
    rows = session.exec(
        select(BiometricEnrollment).where(BiometricEnrollment.interview_id == interview_id)
    ).all()
    return {row.modality: row.data for row in rows}
