"""Creating an interview, all or nothing: its LiveKit room, reference photo, rows and links.

The request is read and checked before anything is written (``deps.new_interview``
builds a :class:`NewInterview`); :func:`create_interview` then does the side effects in
an order that makes each one undoable by the next failure: the room first (nothing to
undo if LiveKit is down), then the photo, then the rows in one commit. A failure after
the room deletes the photo and the room again, so a failed creation leaves no room, no
file and no row for a recruiter to stumble on (docs/architecture.md, "Processes": the
API alone creates rooms).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio.from_thread
from sqlmodel import Session

from contracts.interview_context import Sensitivity
from control_api import crud
from control_api.livekit_rooms import LiveKitUnavailable, RoomManager, room_name_for
from control_api.models import (
    FileKind,
    Interview,
    InterviewLink,
    InterviewStatus,
    LifecycleTransition,
    StoredFile,
    TransitionSource,
    new_id,
)
from control_api.settings import Settings
from control_api.storage import Storage, StorageError, StoredObject, make_key
from control_api.uploads import CheckedImage

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewInterview:
    """A creation request once checked: texts trimmed, documents reduced to their text,
    the photo decoded. Nothing of it is written yet, so a refusal leaves no trace."""

    title: str
    candidate_name: str
    candidate_email: str
    job_description: str
    job_description_filename: str | None
    resume_text: str
    resume_filename: str
    duration_minutes: int
    question_count: int
    sensitivity: Sensitivity
    reference_photo: CheckedImage | None = None


@dataclass(frozen=True, slots=True)
class CreatedInterview:
    """The committed interview and the two links issued with it (their URLs are signed
    from these records: ``crud.links_view``)."""

    interview: Interview
    candidate_link: InterviewLink
    proctor_link: InterviewLink


def create_interview(
    session: Session, settings: Settings, storage: Storage, rooms: RoomManager, new: NewInterview
) -> CreatedInterview:
    """Create the room, store the photo, commit the rows and links; undo on failure.

    Runs on a worker thread (a sync route): the LiveKit calls go back to the event loop
    with ``anyio.from_thread``. Raises :class:`LiveKitUnavailable` when the room cannot
    be created (nothing was done) and :class:`StorageError` when the photo cannot be
    stored (the room was deleted again); any other failure is undone the same way and
    raised as it is.
    """
    interview_id = new_id()
    anyio.from_thread.run(rooms.ensure_room, interview_id)

    stored: StoredObject | None = None
    try:
        photo = new.reference_photo
        if photo is not None:
            stored = storage.put(
                make_key(interview_id, FileKind.REFERENCE_PHOTO.value, photo.content_type),
                photo.data,
                photo.content_type,
            )
        interview = Interview(
            id=interview_id,
            title=new.title,
            candidate_name=new.candidate_name,
            candidate_email=new.candidate_email,
            job_description=new.job_description,
            job_description_filename=new.job_description_filename,
            resume_text=new.resume_text,
            resume_filename=new.resume_filename,
            duration_minutes=new.duration_minutes,
            question_count=new.question_count,
            sensitivity=new.sensitivity.value,
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
    except BaseException:
        session.rollback()
        _undo_creation(interview_id, stored, storage, rooms)
        raise

    logger.info("interview created: %s", interview_id)
    return CreatedInterview(interview, candidate_link, proctor_link)


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
    """Best effort: remove what a failed creation left behind (a failure here is logged,
    and the original error is the one the recruiter sees)."""
    if stored is not None:
        try:
            storage.delete(stored.key)
        except (StorageError, OSError):
            logger.warning("stored file left after a failed creation: %s", interview_id)
    try:
        anyio.from_thread.run(rooms.delete_room, interview_id)
    except LiveKitUnavailable:
        logger.warning("could not delete the room after a failed creation: %s", interview_id)
