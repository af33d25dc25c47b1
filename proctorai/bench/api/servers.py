"""The servers the API benchmark needs besides the API, private and on free ports.

A fresh database per run (SQLite in a temporary folder, or a new database on a private
PostgreSQL cluster) and a private livekit-server, which answers the room creation of
``POST /interviews`` and sends its webhooks to the API, as in production.
"""

from __future__ import annotations

import secrets
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from control_api.db import create_db_engine
from control_api.models import Interview, ProctoringEvent
from proctorai.private_servers import LiveKitServerProcess, PostgresServer, start_postgres

DATABASES = ("sqlite", "postgresql")


@dataclass
class Credentials:
    """Fresh secrets for one benchmark run (never the developer's own)."""

    recruiter_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    service_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    link_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))


class SharedServers:
    """livekit-server for the whole run, and PostgreSQL when a run asks for it.

    ``livekit`` may be a server that is already running (the tests' own); it is then
    left running.
    """

    def __init__(self, livekit: LiveKitServerProcess | None = None) -> None:
        self._own_livekit = livekit is None
        self.livekit = livekit or LiveKitServerProcess()
        self._postgres: PostgresServer | None = None
        self._cleanup = ExitStack()

    def __enter__(self) -> SharedServers:
        if self._own_livekit:
            self.livekit.start()
            self._cleanup.callback(self.livekit.stop)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._cleanup.close()

    def database_url(self, kind: str, workdir: Path) -> str:
        """A new empty database of ``kind``; it is removed when the run ends."""
        if kind == "sqlite":
            return f"sqlite:///{workdir / 'proctorai.db'}"
        if kind != "postgresql":
            raise ValueError(f"unknown database {kind!r}")
        if self._postgres is None:
            self._postgres = start_postgres()
            self._cleanup.callback(self._postgres.stop)
        url = self._postgres.create_database(prefix="proctorai_bench")
        self._cleanup.callback(self._postgres.drop_database, url)
        return url


def stored_rows(database_url: str) -> dict[str, Any]:
    """Row counts after a run, read straight from the database (it was empty before)."""
    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session:

            def count(*where: Any) -> int:
                query = select(func.count()).select_from(ProctoringEvent)
                for clause in where:
                    query = query.where(clause)
                return int(session.exec(query).one())

            interviews = int(session.exec(select(func.count()).select_from(Interview)).one())
            return {
                "interviews": interviews,
                "events": count(),
                "events_started": count(col(ProctoringEvent.start_received).is_(True)),
                "events_ended": count(col(ProctoringEvent.end_received).is_(True)),
            }
    finally:
        engine.dispose()
