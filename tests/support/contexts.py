"""An interview context body as the API serves it (:mod:`contracts.interview_context`)."""

from __future__ import annotations

from typing import Any


def context_body(interview_id: str = "i1", **fields: Any) -> dict[str, Any]:
    """Every required field, with ``fields`` overriding them."""
    return {
        "interview_id": interview_id,
        "title": "Engineer",
        "status": "ready",
        "candidate_name": "A B",
        "candidate_identity": f"candidate-{interview_id}",
        "room": f"interview-{interview_id}",
        "job_description": "job",
        "resume_text": "resume",
        "duration_minutes": 15,
        "question_count": 3,
        "sensitivity": "strict",
    } | fields
