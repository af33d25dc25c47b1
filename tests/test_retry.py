"""The one retry policy (contracts.retry) and the agent's use of it for the API."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agent.api_client import CredentialsAPIError, PermanentAPIError, RetryableAPIError
from agent.job import load_context
from contracts.retry import is_retryable_status
from tests.support.contexts import context_body


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        *[(status, True) for status in (500, 503, 408, 425, 429)],
        *[(status, False) for status in (400, 401, 403, 404, 409, 422)],
    ],
)
def test_only_what_a_later_attempt_may_fix_is_retryable(status: int, retryable: bool) -> None:
    assert is_retryable_status(status) is retryable


class _API:
    """An API client whose ``get_context`` fails as scripted, then answers."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def get_context(self, interview_id: str) -> dict[str, Any]:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return context_body(interview_id)


def test_an_api_briefly_away_is_retried_until_it_answers() -> None:
    api = _API(RetryableAPIError("down", 503), RetryableAPIError("down"))
    context = asyncio.run(load_context(api, "i1", attempts=3))  # type: ignore[arg-type]
    assert context.interview_id == "i1" and api.calls == 3


def test_a_permanent_error_is_raised_at_once() -> None:
    api = _API(PermanentAPIError("no such interview", 404))
    with pytest.raises(PermanentAPIError):
        asyncio.run(load_context(api, "i1", attempts=5))  # type: ignore[arg-type]
    assert api.calls == 1


def test_the_last_error_is_raised_when_attempts_run_out() -> None:
    api = _API(*(RetryableAPIError(f"down {n}") for n in range(1, 5)))
    with pytest.raises(RetryableAPIError, match="down 3"):
        asyncio.run(load_context(api, "i1", attempts=3))  # type: ignore[arg-type]
    assert api.calls == 3


def test_refused_credentials_are_retried_like_an_absent_api() -> None:
    """401/403 may be a token rotated on the API but not yet here: worth another try."""
    api = _API(CredentialsAPIError("refused", 401))
    assert asyncio.run(load_context(api, "i1", attempts=2)).interview_id == "i1"  # type: ignore[arg-type]
    assert api.calls == 2
