"""An interview's statuses, as the control API stores them and the agent reads them.

``created → ready (baseline accepted) → in_progress → completed → evaluated``, plus
``cancelled`` and ``failed``. The transitions between them are the API's
(:mod:`control_api.lifecycle`); the agent only needs to know the names and which are final.
"""

from __future__ import annotations

from enum import StrEnum


class InterviewStatus(StrEnum):
    CREATED = "created"
    READY = "ready"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    EVALUATED = "evaluated"
    CANCELLED = "cancelled"
    FAILED = "failed"


FINISHED_STATUSES = frozenset(
    {
        InterviewStatus.COMPLETED,
        InterviewStatus.EVALUATED,
        InterviewStatus.CANCELLED,
        InterviewStatus.FAILED,
    }
)
"""An interview in one of these is over: nobody joins it, no agent is sent to it."""
