"""Which interview a job is for (its context: :mod:`contracts.interview_context`)."""

from __future__ import annotations

import json

from contracts.identities import interview_id_of_room


def interview_id_from_job(metadata: str, room_name: str) -> str:
    """The dispatch metadata's ``interview_id``; else the room name ``interview-<id>``."""
    if metadata:
        try:
            value = json.loads(metadata).get("interview_id")
        except (ValueError, AttributeError):
            value = None
        if value:
            return str(value)
    from_room = interview_id_of_room(room_name)
    if from_room:
        return from_room
    raise ValueError("the job names no interview (metadata or room name)")
