"""The FastAPI application factory.

``create_app(settings)`` builds an independent app (its own engine, storage and
LiveKit client), so tests run several side by side; ``uvicorn
control_api.app:create_app --factory`` serves one from the environment. The
database is migrated at start-up and the LiveKit client closed at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from control_api.agent_supervisor import AgentSupervisor
from control_api.db import create_db_engine, run_migrations
from control_api.errors import install_error_handlers
from control_api.livekit_rooms import RoomManager
from control_api.ratelimit import install_rate_limits
from control_api.reports.maintenance import maintenance_loop
from control_api.routes import (
    agent,
    agent_resume,
    baseline,
    health,
    interviews,
    links,
    media,
    pages,
    reports,
    webhooks,
)
from control_api.settings import Settings
from control_api.storage import build_storage

logger = logging.getLogger("control_api")

DESCRIPTION = """
ProctorAI control API: interviews, join links, LiveKit rooms, proctoring events,
transcripts and files.

Authentication:
- recruiter endpoints (`/interviews`): `Authorization: Bearer <RECRUITER_API_KEY>`;
- agent endpoints (`/agent/...`): `Authorization: Bearer <SERVICE_TOKEN>`;
- link endpoints (`/links/{token}/session`): the signed link token in the path;
- `/livekit/webhook`: LiveKit's signed webhook token.

No credential → 401 with `WWW-Authenticate: Bearer`; a wrong credential → 401;
a valid credential of the other kind → 403. Errors are `{"detail": "..."}`.
"""


def _configure_logging(level: str) -> None:
    package_logger = logging.getLogger("control_api")
    package_logger.setLevel(level.upper())
    if not logging.getLogger().handlers and not package_logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        package_logger.addHandler(handler)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for ``settings`` (default: read from the environment)."""
    settings = settings or Settings()
    _configure_logging(settings.log_level)
    engine = create_db_engine(settings.resolved_database_url)
    rooms = RoomManager(settings)
    supervisor = AgentSupervisor(engine, settings, rooms)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(run_migrations, engine)
        logger.info("control API ready (database %s)", engine.dialect.name)
        maintenance = None
        if settings.maintenance_interval_seconds > 0:
            maintenance = asyncio.create_task(
                maintenance_loop(
                    engine, settings, app.state.storage, settings.maintenance_interval_seconds
                )
            )
        supervisor.start()
        try:
            yield
        finally:
            await supervisor.aclose()
            if maintenance is not None:
                maintenance.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await maintenance
            await rooms.aclose()
            engine.dispose()

    # The whole request body: the largest form (two documents and a photo) plus room.
    max_body = 2 * settings.max_document_bytes + settings.max_image_bytes + 1024 * 1024
    app = FastAPI(
        title="ProctorAI control API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        max_body_size=max_body,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.storage = build_storage(settings)
    app.state.rooms = rooms
    install_error_handlers(app)
    install_rate_limits(app, settings)
    for module in (
        health,
        interviews,
        links,
        baseline,
        agent,
        agent_resume,
        webhooks,
        media,
        reports,
        pages,
    ):
        app.include_router(module.router)
    return app
