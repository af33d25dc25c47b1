"""The security tests reuse the API fixtures: every ``api`` test runs on SQLite and on
PostgreSQL against the session's real livekit-server."""

from __future__ import annotations

from tests.api.conftest import api, api_factory, database_url, db_backend

__all__ = ["api", "api_factory", "database_url", "db_backend"]
