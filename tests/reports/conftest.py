"""Fixtures for the report tests: a migrated SQLite database, local storage, and a seeded
completed interview stored through the API's own ingestion code."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from contracts.anomaly import AnomalyEvent, AnomalyType
from control_api.db import create_db_engine, run_migrations
from control_api.ingest import ingest_events, ingest_turns
from control_api.models import (
    FileKind,
    Interview,
    InterviewStatus,
    LifecycleTransition,
    ProctoringEvent,
    StoredFile,
)
from control_api.schemas import TurnIn
from control_api.settings import Settings
from control_api.storage import Storage, build_storage, make_key
from tests.reports import interview_data as data
from tests.support.anomalies import anomaly

RECRUITER_KEY = "recruiter-key-for-report-tests-0123456789"
SERVICE_TOKEN = "service-token-for-report-tests-0123456789"
LINK_SECRET = "link-secret-for-report-tests-0123456789abc"
STARTED_AT = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "database_url": f"sqlite:///{tmp_path / 'reports.db'}",
        "public_url": "http://testserver",
        "recruiter_api_key": RECRUITER_KEY,
        "service_token": SERVICE_TOKEN,
        "link_secret": LINK_SECRET,
        "livekit_api_secret": "livekit-secret-for-report-tests-0123456789",
        "cloudinary_url": None,
        "openai_api_key": None,
        "openai_base_url": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = create_db_engine(settings.resolved_database_url)
    run_migrations(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def storage(settings: Settings) -> Storage:
    return build_storage(settings)


def at(seconds: float) -> datetime:
    return STARTED_AT + timedelta(seconds=seconds)


@dataclass
class Seeded:
    interview_id: str
    snapshot_ids: dict[str, str]
    """Stored snapshot file id by anomaly type."""


def seed_interview(
    engine: Engine,
    storage: Storage,
    *,
    status: InterviewStatus = InterviewStatus.COMPLETED,
    turns: list[tuple[str, str, float, float, str]] | None = None,
    anomalies: list[tuple[str, str, str, float, float, float | None]] | None = None,
) -> Seeded:
    """A finished interview with transcript, anomalies and snapshots, as the agent stores them."""
    turns = data.TURNS if turns is None else turns
    anomalies = data.ANOMALIES if anomalies is None else anomalies
    interview = Interview(
        title=data.TITLE,
        candidate_name=data.CANDIDATE_NAME,
        candidate_email="ada@example.com",
        job_description=data.JOB_DESCRIPTION,
        resume_text=data.RESUME,
        resume_filename="resume.pdf",
        duration_minutes=15,
        question_count=5,
        sensitivity="standard",
        status=status.value,
        room_name=f"interview-{datetime.now(UTC).timestamp()}",
        created_at=at(-600),
        updated_at=at(data.INTERVIEW_SECONDS),
    )
    with Session(engine, expire_on_commit=False) as session:
        session.add(interview)
        session.flush()
        steps = [(None, "ready", -300.0), ("ready", "in_progress", 0.0)]
        if status in (InterviewStatus.COMPLETED, InterviewStatus.EVALUATED):
            steps.append(("in_progress", "completed", data.INTERVIEW_SECONDS))
        for before, after, second in steps:
            session.add(
                LifecycleTransition(
                    interview_id=interview.id,
                    from_status=before,
                    to_status=after,
                    at=at(second),
                    source="agent",
                )
            )
        session.commit()
        interview_id = interview.id

        if turns:
            ingest_turns(
                session,
                interview_id,
                [
                    TurnIn(id=i, role=role, text=text, started_at=at(s), ended_at=at(e))  # type: ignore[arg-type]
                    for i, role, s, e, text in turns
                ],
            )
        messages: list[AnomalyEvent] = []
        for anomaly_id, kind, severity, confidence, start, end in anomalies:
            if kind not in set(AnomalyType):
                # A row another version of the product stored: the contract refuses the
                # type at ingest, so it is written as that version would have.
                session.add(
                    ProctoringEvent(
                        interview_id=interview_id,
                        id=anomaly_id,
                        type=kind,
                        severity=severity,
                        confidence=confidence,
                        started_at=at(start),
                        ended_at=None if end is None else at(end),
                        start_received=True,
                        end_received=end is not None,
                    )
                )
                session.commit()
                continue
            common: dict[str, Any] = {
                "interview_id": interview_id,
                "type": kind,
                "severity": severity,
                "confidence": confidence,
                "started_at": at(start).timestamp(),
                "confirmed_at": at(start + 2).timestamp(),
                "evidence": {},
            }
            messages.append(anomaly(anomaly_id, "started", **common))
            if end is not None:
                messages.append(
                    anomaly(anomaly_id, "ended", ended_at=at(end).timestamp(), **common)
                )
        if messages:
            ingest_events(session, interview_id, messages)

        snapshot_ids: dict[str, str] = {}
        pictures = {"no_face": data.FACE_SNAPSHOT, "multiple_faces": data.TWO_FACES_SNAPSHOT}
        for anomaly_id, kind, *_ in anomalies:
            picture = pictures.get(kind)
            if picture is None:
                continue
            stored = storage.put(
                make_key(interview_id, FileKind.SNAPSHOT.value, "image/jpeg"),
                picture.read_bytes(),
                "image/jpeg",
            )
            row = StoredFile(
                interview_id=interview_id,
                kind=FileKind.SNAPSHOT.value,
                storage_key=stored.key,
                content_type=stored.content_type,
                size_bytes=stored.size,
                sha256=stored.sha256,
                event_id=anomaly_id,
            )
            session.add(row)
            session.commit()
            snapshot_ids[kind] = row.id
    return Seeded(interview_id, snapshot_ids)


@pytest.fixture
def seeded(engine: Engine, storage: Storage) -> Seeded:
    return seed_interview(engine, storage)
