"""One retry policy for calls across the wire, on tenacity.

Both services call each other (and the agent calls the API, the API calls the
recruiter's ATS) over HTTP; before, each caller had its own loop and its own idea of
which statuses are worth another attempt (408 and 429 here, 408, 425 and 429 there).
Now: a status is retryable when a later attempt may succeed without anyone changing
anything (:func:`is_retryable_status`), waits grow exponentially from ``first`` to
``cap`` (:func:`backoff`), and the loops are tenacity's. Credentials refused (401, 403)
are not retryable here: the agent's outbox keeps such rows for a rotated token
(``agent.delivery``), which is a policy of its own, not a retry.
"""

from __future__ import annotations

from tenacity import wait_exponential
from tenacity.wait import wait_base

RETRYABLE_STATUSES = frozenset({408, 425, 429})
"""Request timeout, too early, too many requests; and every 5xx (:func:`is_retryable_status`)."""


def is_retryable_status(status: int) -> bool:
    """Whether an HTTP answer with ``status`` may succeed if simply sent again later."""
    return status >= 500 or status in RETRYABLE_STATUSES


def backoff(first: float, cap: float) -> wait_base:
    """Waits of ``first``, ``2 * first``, ``4 * first``... seconds, never above ``cap``."""
    return wait_exponential(multiplier=first, min=first, max=cap)
