"""Every error is JSON ``{"detail": "..."}`` with a message a person can act on.

Validation errors keep FastAPI's status (422) but are rewritten into one readable
sentence per field, without echoing the submitted values (they may be personal
data); the OpenAPI schema documents that shape, not FastAPI's default one. Values
that pass validation but that the database cannot hold (a timestamp that leaves the
year range once moved to UTC, a NUL character in text on PostgreSQL) answer 422 too:
they are the client's to correct, not a server fault. Unexpected errors answer 500
with no stack trace; the log gets the exception type and the path, never the
request's content.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, DBAPIError, StatementError

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


class FieldProblem(BaseModel):
    """One bad field of a refused request."""

    field: str
    message: str


class ValidationProblems(BaseModel):
    """The body of a 422 from request validation (what ``validation_error_handler`` sends)."""

    detail: str
    errors: list[FieldProblem] = []


_VALIDATION_REF = {"$ref": "#/components/schemas/HTTPValidationError"}


def _allow_validation_shape(operation: dict[str, Any]) -> None:
    content = operation.get("responses", {}).get("422", {}).get("content", {})
    media = content.get("application/json")
    if not media or "schema" not in media:
        return
    declared = media["schema"]
    if declared == _VALIDATION_REF or _VALIDATION_REF in declared.get("anyOf", []):
        return
    media["schema"] = {"anyOf": [declared, _VALIDATION_REF]}


def _document_validation_errors(app: FastAPI) -> None:
    """Make the schema's 422 answers describe the body this API really sends.

    FastAPI documents every 422 as ``HTTPValidationError`` (``detail``: a list of
    objects); the handler above answers ``detail`` as a sentence plus ``errors``, so
    clients generated from the schema (and schema checks) would reject real answers.
    The two components FastAPI references are replaced by the true shape, and a route
    that declares a 422 model of its own (a rejected baseline) is documented as
    answering either shape, since its input is validated before its handler runs.
    """
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # cached by FastAPI; patched in place, idempotently
        components = schema.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in components:
            problem = FieldProblem.model_json_schema()
            problems = ValidationProblems.model_json_schema()
            problems.pop("$defs", None)
            problems["properties"]["errors"]["items"] = {
                "$ref": "#/components/schemas/ValidationError"
            }
            components["ValidationError"] = problem
            components["HTTPValidationError"] = problems
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    _allow_validation_shape(operation)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


UNSTORABLE_VALUE = (
    "a value in the request cannot be stored (a date outside years 1 to 9999 once "
    "converted to UTC, or a NUL character in text): correct it and send it again"
)


def _is_unstorable_value(exc: StatementError) -> bool:
    """The database (or the driver, binding the value) refused a value itself."""
    if isinstance(exc, DataError):
        return True
    return not isinstance(exc, DBAPIError) and isinstance(exc.orig, OverflowError | ValueError)


async def statement_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StatementError)
    if not _is_unstorable_value(exc):
        return await unexpected_error_handler(request, exc)
    logger.info("unstorable value on %s %s", request.method, request.url.path)
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": UNSTORABLE_VALUE}
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StatementError, statement_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)
    _document_validation_errors(app)
