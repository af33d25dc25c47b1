"""The LiveKit names of an interview: its room and who is who in it.

The API mints the tokens and creates the room; the agent recognises the candidate, the
proctors and itself by these prefixes. Identities are public inside a room, so they carry
ids, never names.
"""

from __future__ import annotations

CANDIDATE_PREFIX = "candidate-"
PROCTOR_PREFIX = "proctor-"
AGENT_PREFIX = "agent-"
ROOM_PREFIX = "interview-"


def room_name_for(interview_id: str) -> str:
    return f"{ROOM_PREFIX}{interview_id}"


def candidate_identity(interview_id: str) -> str:
    return f"{CANDIDATE_PREFIX}{interview_id}"


def agent_identity(job_id: str) -> str:
    """The agent joins each interview as one job of a worker."""
    return f"{AGENT_PREFIX}{job_id}"


def interview_id_of_room(room_name: str) -> str | None:
    """The interview a room belongs to, or None for a room that is not an interview's."""
    if room_name.startswith(ROOM_PREFIX):
        return room_name.removeprefix(ROOM_PREFIX)
    return None
