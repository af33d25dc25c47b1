"""Database engine, sessions and schema migrations.

SQLite is the default: WAL mode lets readers run while one writer writes, the busy
timeout makes writers wait for each other instead of failing, and every transaction
starts with ``BEGIN IMMEDIATE`` so a read that later writes never hits the
"database is locked" upgrade deadlock under bursts of concurrent writers.
PostgreSQL (psycopg 3) is used when ``DATABASE_URL`` says so.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlmodel import Session

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_db_engine(url: str) -> Engine:
    """Build the engine for ``url`` with the settings each backend needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # A bare postgresql:// URL would pick psycopg2, which is not installed.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _create_sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session for work outside a request (webhooks, background jobs)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def import_table_modules() -> list[str]:
    """Import every ``models`` module of the package, so ``SQLModel.metadata`` holds
    all tables (features such as reports keep their tables in their own package)."""
    import control_api

    names = ["control_api.models"]
    for info in pkgutil.walk_packages(control_api.__path__, "control_api."):
        if info.name.rsplit(".", 1)[-1] == "models" and ".migrations" not in info.name:
            names.append(info.name)
    for name in dict.fromkeys(names):
        importlib.import_module(name)
    return names


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration built in code, so an installed package can migrate."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def run_migrations(engine: Engine) -> None:
    """Bring the schema to the newest revision (``alembic upgrade head``)."""
    command.upgrade(alembic_config(engine), "head")
    logger.info("database schema is up to date (%s)", engine.dialect.name)


def check_database(engine: Engine) -> None:
    """Raise if the database cannot answer a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
