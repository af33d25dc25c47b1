"""The agent's HTTP client of the control API's agent endpoints (service-token auth).

One small class so the rest of the agent never builds URLs or reads status codes: it
raises :class:`RetryableAPIError` for what a later attempt may fix (connection refused,
timeouts, 5xx, 429, 408), :class:`CredentialsAPIError` for a refused service token
(401, 403: wrong *now*, e.g. rotated on the API but not yet here, so neither "retry at
once" nor "give up") and :class:`PermanentAPIError` for what a resend will not fix (any
other 4xx), which is how :mod:`agent.delivery` decides between backing off, waiting for
credentials and setting a row aside.
"""

from __future__ import annotations

from typing import Any

import httpx

from contracts.retry import is_retryable_status

_CREDENTIALS_STATUS = frozenset({401, 403})


class APIError(RuntimeError):
    """A call to the control API failed; ``status`` is None when no answer came."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RetryableAPIError(APIError):
    """The API was unreachable or said "try again later"."""


class CredentialsAPIError(APIError):
    """The API refused the service token (401 or 403).

    Not permanent: the token is wrong *now* (rotated on one side only, a worker started
    with the old one) and the same request succeeds once both sides agree again.
    """


class PermanentAPIError(APIError):
    """The API refused the request itself (a 4xx): resending the same body will not help."""


class ControlAPIClient:
    """Calls ``/agent/interviews/{id}/...`` with the service token."""

    def __init__(
        self,
        base_url: str,
        service_token: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {service_token}"},
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> ControlAPIClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:  # connect errors, timeouts, protocol errors
            raise RetryableAPIError(f"{method} {path}: {type(exc).__name__}") from exc
        status = response.status_code
        if is_retryable_status(status):
            raise RetryableAPIError(f"{method} {path}: HTTP {status}", status)
        if status in _CREDENTIALS_STATUS:
            raise CredentialsAPIError(f"{method} {path}: HTTP {status}", status)
        if status >= 400:
            raise PermanentAPIError(f"{method} {path}: HTTP {status}", status)
        return response

    async def healthy(self) -> bool:
        """True when ``GET /healthz`` answers 2xx."""
        try:
            await self._request("GET", "/healthz")
        except APIError:
            return False
        return True

    async def get_context(self, interview_id: str) -> dict[str, Any]:
        """The interview's context: candidate, resume and job text, options, enrollment."""
        response = await self._request("GET", f"/agent/interviews/{interview_id}/context")
        body: dict[str, Any] = response.json()
        return body

    async def resume(self, interview_id: str) -> dict[str, Any]:
        """Take over a running interview: the API ends what an earlier job left open and
        says what was already said (``interviewer_turns``, ``candidate_turns``)."""
        response = await self._request("POST", f"/agent/interviews/{interview_id}/resume")
        body: dict[str, Any] = response.json()
        return body

    async def post_events(self, interview_id: str, events: list[dict[str, Any]]) -> None:
        """Append anomaly event messages (idempotent by ``id`` + ``state``)."""
        await self._request(
            "POST", f"/agent/interviews/{interview_id}/events", json={"events": events}
        )

    async def post_transcript(self, interview_id: str, turns: list[dict[str, Any]]) -> None:
        """Append transcript turns (idempotent by turn ``id``)."""
        await self._request(
            "POST", f"/agent/interviews/{interview_id}/transcript", json={"turns": turns}
        )

    async def post_lifecycle(self, interview_id: str, transition: dict[str, Any]) -> None:
        """Record a lifecycle transition (``{"status": ..., "reason": ...}``)."""
        await self._request("POST", f"/agent/interviews/{interview_id}/lifecycle", json=transition)

    async def post_dead_letters(self, dead_letters: list[dict[str, Any]]) -> None:
        """Report rows set aside (idempotent by interview, kind and key)."""
        await self._request("POST", "/agent/dead-letters", json={"dead_letters": dead_letters})

    async def download(self, path: str) -> bytes:
        """A stored file the context points at (``download_path``), e.g. a baseline."""
        response = await self._request("GET", path)
        return response.content

    async def upload_snapshot(
        self, interview_id: str, anomaly_id: str, jpeg: bytes
    ) -> dict[str, Any]:
        """Store an evidence JPEG; the answer names its ``key`` and ``url``."""
        response = await self._request(
            "POST",
            f"/agent/interviews/{interview_id}/snapshots",
            files={"file": (f"{anomaly_id}.jpg", jpeg, "image/jpeg")},
            data={"event_id": anomaly_id},
        )
        body: dict[str, Any] = response.json()
        return body
