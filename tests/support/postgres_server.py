"""A private PostgreSQL cluster for the test session (or ``TEST_POSTGRES_URL``).

The code lives in :mod:`proctorai.private_servers` (the API benchmark starts the
same cluster); the tests keep importing it from here.
"""

from __future__ import annotations

from proctorai.private_servers.postgres import (
    MISSING_POSTGRES,
    PostgresServer,
    find_pg_binary,
    start_postgres,
)

__all__ = ["MISSING_POSTGRES", "PostgresServer", "find_pg_binary", "start_postgres"]
