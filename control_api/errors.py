"""Every error is JSON ``{"detail": "..."}`` with a message a person can act on.

Validation errors keep FastAPI's status (422) but are rewritten into one readable
sentence per field, without echoing the submitted values (they may be personal
data). Unexpected errors answer 500 with no stack trace; the log gets the
exception type and the path, never the request's content.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

logger = logging.getLogger(__name__)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "request"


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "required field is missing"
    if kind in {"json_invalid", "model_attributes_type"}:
        return "the body is not valid JSON of the expected shape"
    return str(error.get("msg", "invalid value"))


def describe_validation_errors(errors: list[dict[str, Any]]) -> str:
    """One line naming each bad field and what is wrong with it."""
    return "; ".join(f"{_field_name(e.get('loc', ()))}: {_message(e)}" for e in errors)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={
            "detail": describe_validation_errors(errors),
            "errors": [
                {"field": _field_name(e.get("loc", ())), "message": _message(e)} for e in errors
            ],
        },
    )


async def unexpected_error_handler(request: Request, exc: Exception) -> JSONResponse:
    logger.error(
        "unexpected error on %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    return JSONResponse(
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        content={"detail": "internal error: the request could not be completed; try again"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)
