"""Creating an interview as a recruiter: the one form builder, and senders for it.

Every test that needs an interview sends ``POST /interviews`` the way a recruiter's
client does; the form is built by :func:`interview_form` (the product's own builder,
:mod:`proctorai.demo.form`, which the demo and the benchmarks send too) and each test
overrides only what it is about. Defaults: "Jordan Example", the demo's sample resume
and job description; the API's own defaults for duration, questions and sensitivity.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from proctorai.demo.form import FILE_FIELDS, FileParts, interview_form, sample_file

__all__ = [
    "FILE_FIELDS",
    "FileParts",
    "created",
    "interview_form",
    "post_interview",
    "post_interview_async",
    "sample_file",
]


class _Client(Protocol):
    """httpx.Client or FastAPI's TestClient."""

    def post(self, url: str, **kwargs: Any) -> Any: ...


def post_interview(client: _Client, headers: dict[str, str], **overrides: Any) -> Any:
    """``POST /interviews`` through a synchronous client; the response, unchecked."""
    data, files = interview_form(**overrides)
    return client.post("/interviews", headers=headers, data=data, files=files)


async def post_interview_async(
    http: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> httpx.Response:
    """The same through an asynchronous client (a served API)."""
    data, files = interview_form(**overrides)
    return await http.post("/interviews", headers=headers, data=data, files=files)


def created(response: Any) -> dict[str, Any]:
    """The created interview's body (ids and links), asserting the 201."""
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
