"""Alembic environment: migrates the engine handed over by ``control_api.db``.

When run from the command line (``alembic -c alembic.ini ...``), the engine is built
from the settings instead, so developers can autogenerate revisions.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from control_api.db import import_table_modules

import_table_modules()  # every feature's tables, for autogenerate and checks

# An arbitrary constant: one migrator at a time on PostgreSQL.
_PG_MIGRATION_LOCK = 7_231_004_551

target_metadata = SQLModel.metadata


def _engine() -> Engine:
    engine = context.config.attributes.get("engine")
    if engine is not None:
        return engine
    from control_api.db import create_db_engine
    from control_api.settings import Settings

    return create_db_engine(Settings().resolved_database_url)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Several API processes starting together must not migrate at once.
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
                connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run them against a database")
run_migrations_online()
