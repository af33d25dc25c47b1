"""Liveness and readiness: the CLI waits on this before declaring the API up."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, status
from sqlalchemy.exc import SQLAlchemyError

from control_api.db import check_database
from control_api.deps import EngineDep
from control_api.schemas import ErrorResponse, Health

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=Health,
    summary="The API answers and its database is reachable",
    responses={503: {"model": ErrorResponse}},
)
def healthz(engine: EngineDep) -> Health:
    try:
        check_database(engine)
    except SQLAlchemyError as exc:
        logger.warning("health check: database unreachable")
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the database is not reachable"
        ) from exc
    return Health(status="ok", database="ok")
