"""Keeping an evidence snapshot the agent uploads: the file first, then its row.

The file is stored before the row is committed so a row never points at nothing; a
failed commit deletes the file again, so no file is kept without its row
(docs/architecture.md, "One anomaly", step 5).
"""

from __future__ import annotations

from sqlmodel import Session

from control_api.models import FileKind, StoredFile
from control_api.storage import Storage, StorageError, make_key
from control_api.uploads import CheckedImage


class SnapshotNotStored(Exception):
    """The storage backend refused the file (nothing was kept)."""


def store_snapshot(
    session: Session,
    storage: Storage,
    interview_id: str,
    image: CheckedImage,
    event_id: str | None,
) -> StoredFile:
    """Store ``image`` and commit its row, linked to the anomaly ``event_id`` if given.

    Raises :class:`SnapshotNotStored` when the file cannot be stored; a failure after
    that removes the file and is raised as it is.
    """
    try:
        stored = storage.put(
            make_key(interview_id, FileKind.SNAPSHOT.value, image.content_type),
            image.data,
            image.content_type,
        )
    except StorageError as exc:
        raise SnapshotNotStored(str(exc)) from exc
    row = StoredFile(
        interview_id=interview_id,
        kind=FileKind.SNAPSHOT.value,
        storage_key=stored.key,
        content_type=stored.content_type,
        size_bytes=stored.size,
        sha256=stored.sha256,
        event_id=event_id,
    )
    try:
        session.add(row)
        session.commit()
    except BaseException:
        session.rollback()
        storage.delete(stored.key)
        raise
    return row
