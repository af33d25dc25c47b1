"""Media retention and full erasure of a candidate's data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, select

from control_api.agent_outbox.schemas import DeadLetterIn
from control_api.agent_outbox.service import record_dead_letters
from control_api.models import FileKind, InterviewStatus, StoredFile, utcnow
from control_api.reports.models import DataErasure
from control_api.reports.retention import erase_candidate_data, purge_expired_media
from control_api.reports.service import ReportError, generate_report
from control_api.settings import Settings
from control_api.storage import LocalStorage, Storage, make_key
from tests.reports import interview_data as data
from tests.reports.conftest import seed_interview


def _add_file(engine: Engine, storage: Storage, interview_id: str, kind: FileKind) -> str:
    stored = storage.put(
        make_key(interview_id, kind.value, "image/jpeg"),
        data.FACE_SNAPSHOT.read_bytes(),
        "image/jpeg",
    )
    with Session(engine) as session:
        row = StoredFile(
            interview_id=interview_id,
            kind=kind.value,
            storage_key=stored.key,
            content_type=stored.content_type,
            size_bytes=stored.size,
            sha256=stored.sha256,
        )
        session.add(row)
        session.commit()
        return row.storage_key


def _keys(engine: Engine, interview_id: str) -> set[str]:
    with Session(engine) as session:
        rows = session.exec(select(StoredFile).where(StoredFile.interview_id == interview_id))
        return {row.storage_key for row in rows}


def test_expired_media_of_finished_interviews_is_purged_and_open_ones_kept(
    engine: Engine, storage: Storage
) -> None:
    assert isinstance(storage, LocalStorage)
    finished = seed_interview(engine, storage)
    baseline = _add_file(engine, storage, finished.interview_id, FileKind.BASELINE_AUDIO)
    waiting = seed_interview(engine, storage, status=InterviewStatus.READY, anomalies=[])
    photo = _add_file(engine, storage, waiting.interview_id, FileKind.REFERENCE_PHOTO)

    not_yet = purge_expired_media(engine, storage, retention_days=30, now=utcnow())
    assert not_yet.deleted == 0 and len(_keys(engine, finished.interview_id)) == 3

    later = utcnow() + timedelta(days=31)
    result = purge_expired_media(engine, storage, retention_days=30, now=later)

    assert (result.deleted, result.failed) == (3, 0)
    assert _keys(engine, finished.interview_id) == set()
    assert not storage.path_for(baseline).exists()
    assert _keys(engine, waiting.interview_id) == {photo}
    assert storage.path_for(photo).exists()


def test_erasure_removes_every_row_and_file_of_the_interview(
    engine: Engine, settings: Settings, storage: Storage
) -> None:
    assert isinstance(storage, LocalStorage)
    kept = seed_interview(engine, storage)
    erased = seed_interview(engine, storage)
    generate_report(engine, settings, storage, erased.interview_id)
    keys = _keys(engine, erased.interview_id)
    assert len(keys) == 2
    with Session(engine) as session:  # the agent reported an event of it the API refused
        letter = DeadLetterIn(
            interview_id=erased.interview_id,
            kind="event",
            key="evt-1:started",
            status=422,
            reason="HTTP 422",
            attempts=1,
            failed_at=datetime.now(UTC),
        )
        assert record_dead_letters(session, [letter]).inserted == 1

    record = erase_candidate_data(engine, storage, erased.interview_id, actor="recruiter")

    assert record.files_deleted == 2
    assert not any(storage.path_for(key).exists() for key in keys)
    with Session(engine) as session:
        for table in SQLModel.metadata.sorted_tables:
            if "interview_id" in table.c and table.name not in {"data_erasure", "webhook_delivery"}:
                count = session.exec(
                    select(func.count())  # type: ignore[call-overload]
                    .select_from(table)
                    .where(table.c.interview_id == erased.interview_id)
                ).one()
                assert count == 0, table.name
        kept_files = session.exec(
            select(func.count())
            .select_from(StoredFile)
            .where(StoredFile.interview_id == kept.interview_id)
        ).one()
        assert kept_files == 2
        trail = session.exec(select(DataErasure)).all()
        assert [(e.interview_id, e.files_deleted) for e in trail] == [(erased.interview_id, 2)]


def test_a_running_interview_cannot_be_erased(engine: Engine, storage: Storage) -> None:
    running = seed_interview(engine, storage, status=InterviewStatus.IN_PROGRESS)
    with pytest.raises(ReportError) as raised:
        erase_candidate_data(engine, storage, running.interview_id, actor="recruiter")
    assert raised.value.status_code == 409
    assert len(_keys(engine, running.interview_id)) == 2
