"""Session-wide fixtures: a real livekit-server and a real PostgreSQL.

Both start once per test session, on free ports, and only when a test asks for
them. When a binary is missing the test fails with a message saying how to
install it (``make setup``): these tests are never skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.livekit_server import TestLiveKitServer
from tests.postgres_server import PostgresServer, start_postgres


@pytest.fixture(scope="session")
def livekit_server() -> Iterator[TestLiveKitServer]:
    """The real livekit-server from ``livekit.yaml`` (free ports, test keys)."""
    server = TestLiveKitServer()
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL cluster (or the server named by TEST_POSTGRES_URL)."""
    try:
        server = start_postgres()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()
