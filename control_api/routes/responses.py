"""The documented error answers the routers share (their OpenAPI ``responses``).

Every credentialed router answers 401 and 403 the same way (see :mod:`control_api.deps`),
and every link endpoint the same way for a bad link: one place words them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from control_api.schemas import ErrorResponse

Responses = dict[int | str, dict[str, Any]]


def error_responses(descriptions: Mapping[int, str]) -> Responses:
    """``{status: {"model": ErrorResponse, "description": ...}}`` for each status."""
    return {
        code: {"model": ErrorResponse, "description": text} for code, text in descriptions.items()
    }


def bearer_errors(credential: str) -> Responses:
    """401 and 403 of an endpoint behind a bearer ``credential`` (a setting's name)."""
    return error_responses(
        {401: f"Missing or wrong {credential}", 403: "A credential of another kind"}
    )


def link_errors(wrong_kind: str) -> Responses:
    """401, 403 and 410 of an endpoint behind a link token; ``wrong_kind`` words the 403
    (410: the link of a cancelled interview, answered by ``deps.get_link``)."""
    return error_responses(
        {
            401: "Invalid, expired or replaced link",
            403: wrong_kind,
            410: "The interview was cancelled",
        }
    )
