"""The agent reports what its outbox set aside; operators list and scrape it.

Behind the service token, like the rest of ``/agent``: the agent workers report, and
whoever runs them (the ``/metrics`` scraper too) holds that token. The handlers are thin:
:mod:`control_api.agent_outbox.service` does the work.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST

from control_api.agent_outbox.metrics import render_metrics
from control_api.agent_outbox.schemas import DeadLetterList, DeadLetterOut, DeadLetterReport
from control_api.agent_outbox.service import list_dead_letters, record_dead_letters
from control_api.deps import EngineDep, SessionDep, require_service
from control_api.routes.responses import bearer_errors
from control_api.schemas import ErrorResponse, IngestResult

router = APIRouter(
    tags=["agent (service token)"],
    dependencies=[Depends(require_service)],
    responses=bearer_errors("SERVICE_TOKEN"),
)


@router.post(
    "/agent/dead-letters",
    response_model=IngestResult,
    summary="Report outbox rows refused for good (idempotent by interview, kind and key)",
    responses={422: {"model": ErrorResponse}},
)
def post_dead_letters(report: DeadLetterReport, session: SessionDep) -> IngestResult:
    return record_dead_letters(session, report.dead_letters)


@router.get(
    "/agent/dead-letters",
    response_model=DeadLetterList,
    summary="The dead letters the agents reported, newest first",
)
def get_dead_letters(
    session: SessionDep,
    interview_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DeadLetterList:
    rows, total = list_dead_letters(session, interview_id=interview_id, limit=limit)
    return DeadLetterList(
        dead_letters=[DeadLetterOut.model_validate(row, from_attributes=True) for row in rows],
        total=total,
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics: the reported dead letters by kind and status",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
async def metrics(engine: EngineDep) -> Response:
    body = await run_in_threadpool(render_metrics, engine)
    return Response(content=body, media_type=CONTENT_TYPE_LATEST)
