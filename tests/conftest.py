"""Session-wide fixtures: a real livekit-server and a real PostgreSQL; test categories.

Both servers start once per test session, on free ports, and only when a test asks for
them. When a binary is missing the test fails with a message saying how to
install it (``make setup``): these tests are never skipped.

Every test is marked ``unit``, ``integration`` or ``e2e`` at collection, from the
fixtures it uses (the hooks and the fixture table are in tests/categories.py); collection
fails on a test whose category cannot be decided or contradicts its fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.categories import (  # the category hooks, see tests/categories.py
    pytest_collection_modifyitems,
    pytest_fixture_setup,
    pytest_runtest_setup,
)
from tests.support.livekit_server import TestLiveKitServer
from tests.support.postgres_server import PostgresServer, start_postgres

__all__ = [
    "livekit_server",
    "postgres_server",
    "pytest_collection_modifyitems",
    "pytest_fixture_setup",
    "pytest_runtest_setup",
]


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
