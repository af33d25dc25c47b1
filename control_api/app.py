"""The FastAPI application factory.

``create_app(settings)`` builds an independent app (its own engine, storage and
LiveKit client), so tests run several side by side; ``python -m control_api.server``
serves one from the environment (``uvicorn control_api.app:create_app --factory``
does too, but then pass ``--no-proxy-headers``: uvicorn's default believes
``X-Forwarded-For`` from 127.0.0.1, which the rate limits must not; see
:mod:`control_api.server`). The database is migrated at start-up and the LiveKit
client closed at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from control_api.access_log import install_access_log_redaction
from control_api.agent_supervisor import AgentSupervisor
from control_api.db import create_db_engine, run_migrations
from control_api.enrollment.workers import EngineWorkers
from control_api.errors import install_error_handlers
from control_api.livekit_rooms import RoomManager
from control_api.ratelimit import install_rate_limits
from control_api.reports.maintenance import maintenance_loop
from control_api.routes import (
    agent,
    agent_outbox,
    agent_resume,
    baseline,
    docs,
    health,
    interviews,
    links,
    media,
    pages,
    reports,
    webhooks,
)
from control_api.security_headers import install_security_headers
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
    baseline_workers = EngineWorkers(settings.baseline_workers, settings.baseline_waiting)

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
            for task in list(app.state.delayed_tasks):  # evaluations waiting for a drain
                task.cancel()
            if maintenance is not None:
                maintenance.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await maintenance
            await rooms.aclose()
            await run_in_threadpool(baseline_workers.shutdown)
            engine.dispose()

    # The whole request body: the largest form (two documents and a photo) plus room.
    max_body = 2 * settings.max_document_bytes + settings.max_image_bytes + 1024 * 1024
    app = FastAPI(
        title="ProctorAI control API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        max_body_size=max_body,
        # FastAPI's own docs pages load unpinned CDN scripts: routes/docs.py serves a
        # pinned Swagger UI instead; API_DOCS=false drops the schema too.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        openapi_url="/openapi.json" if settings.api_docs else None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.storage = build_storage(settings)
    app.state.rooms = rooms
    app.state.delayed_tasks = set()  # control_api.routes.webhooks: drain-bound evaluations
    app.state.baseline_workers = baseline_workers
    install_error_handlers(app)
    install_rate_limits(app, settings)
    install_security_headers(app, settings)  # after the limits: outermost, 429s get them
    install_access_log_redaction()
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
    app.include_router(agent_outbox.router)  # dead letters, /metrics (issue 11, item 8)
    if settings.api_docs:
        app.include_router(docs.router)
    return app
