"""Fixtures for the API tests: one app per test, on SQLite or on PostgreSQL.

Every test that takes ``api`` runs twice (``db_backend`` = sqlite, postgres) against
the real livekit-server of the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from control_api.app import create_app
from control_api.settings import Settings
from tests.api import documents
from tests.support.baseline import record_baseline
from tests.support.interviews import interview_form
from tests.support.livekit_server import TestLiveKitServer
from tests.support.postgres_server import PostgresServer

RECRUITER_KEY = "recruiter-key-for-tests-0123456789"
SERVICE_TOKEN = "service-token-for-tests-0123456789"
LINK_SECRET = "link-secret-for-tests-0123456789abcdef"


def make_settings(
    data_dir: Path, database_url: str, livekit: TestLiveKitServer, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "public_url": "http://testserver",
        "recruiter_api_key": RECRUITER_KEY,
        "service_token": SERVICE_TOKEN,
        "link_secret": LINK_SECRET,
        "livekit_url": livekit.url,
        "livekit_api_key": livekit.api_key,
        "livekit_api_secret": livekit.api_secret,
        "cloudinary_url": None,
        "room_departure_timeout": 1,
        "room_empty_timeout": 30,
        # Small limits keep the over-the-limit uploads small.
        "max_document_bytes": 200 * 1024,
        "max_image_bytes": 100 * 1024,
    }
    values.update(overrides)
    values["_env_file"] = None  # only these values and the environment
    return Settings(**values)


class Api:
    """A running app with helpers to call it and to look at what it stored."""

    def __init__(self, client: TestClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.engine = client.app.state.engine  # type: ignore[attr-defined]

    recruiter: ClassVar[dict[str, str]] = {"Authorization": f"Bearer {RECRUITER_KEY}"}
    service: ClassVar[dict[str, str]] = {"Authorization": f"Bearer {SERVICE_TOKEN}"}

    def interview_form(self, **overrides: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """(form fields, files) of a valid interview; override or drop (None) any."""
        defaults: dict[str, Any] = {
            "title": "Backend engineer, first round",
            "candidate_name": "Ada Example",
            "candidate_email": "ada@example.com",
            "job_description": "\n".join(documents.JOB_LINES),
            "duration_minutes": "20",
            "question_count": "4",
            "sensitivity": "standard",
            "resume": (
                "resume.pdf",
                documents.pdf_bytes(documents.RESUME_LINES),
                "application/pdf",
            ),
            "reference_photo": ("me.jpg", documents.face_jpeg(), "image/jpeg"),
        }
        return interview_form(**{**defaults, **overrides})

    def create(self, **overrides: Any) -> Any:
        data, files = self.interview_form(**overrides)
        return self.client.post("/interviews", data=data, files=files, headers=self.recruiter)

    def create_ok(self, **overrides: Any) -> dict[str, Any]:
        response = self.create(**overrides)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def create_ready(self, **overrides: Any) -> dict[str, Any]:
        """An interview whose candidate has recorded an accepted face and voice baseline
        (the candidate's LiveKit token is only issued then)."""
        body = self.create_ok(**overrides)
        record_baseline(self.client, body["candidate_link"])
        return body

    def count(self, model: type[SQLModel]) -> int:
        with Session(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(model)).one())

    def stored_files(self) -> set[str]:
        root = self.settings.files_dir
        if not root.exists():
            return set()
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}

    def state(self) -> tuple[dict[str, int], set[str]]:
        """Row counts of every table and the files in storage: to prove nothing changed."""
        counts = {
            table.name: self._count_table(table.name) for table in SQLModel.metadata.sorted_tables
        }
        return counts, self.stored_files()

    def _count_table(self, name: str) -> int:
        table = SQLModel.metadata.tables[name]
        with Session(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(table)).one())  # type: ignore[call-overload]


@pytest.fixture(params=["sqlite", "postgres"])
def db_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'proctorai.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)


@pytest.fixture
def api_factory(
    tmp_path: Path, database_url: str, livekit_server: TestLiveKitServer
) -> Iterator[Callable[..., Api]]:
    """Build apps on this test's database with setting overrides."""
    clients: list[TestClient] = []

    def build(**overrides: Any) -> Api:
        settings = make_settings(tmp_path / "data", database_url, livekit_server, **overrides)
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return Api(client, settings)

    yield build
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def api(api_factory: Callable[..., Api]) -> Api:
    return api_factory()
