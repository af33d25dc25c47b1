"""LiveKit tokens with the grants the control API gives, for simulated participants.

The real flow gets these from the control API's link endpoint; tests that run without
the API mint the same grants here.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from livekit import api

from contracts.identities import candidate_identity


def candidate_token(key: str, secret: str, room: str, interview_id: str) -> str:
    """Camera and microphone only; no data publishing."""
    return (
        api.AccessToken(key, secret)
        .with_identity(candidate_identity(interview_id))
        .with_name("Candidate")
        .with_ttl(timedelta(hours=1))
        .with_grants(
            api.VideoGrants(
                room_join=True,
                room=room,
                can_publish=True,
                can_publish_sources=["camera", "microphone"],
                can_subscribe=True,
                can_publish_data=False,
            )
        )
        .to_jwt()
    )


def proctor_token(key: str, secret: str, room: str) -> str:
    """Hidden and subscribe-only."""
    return (
        api.AccessToken(key, secret)
        .with_identity(f"proctor-{secrets.token_hex(4)}")
        .with_ttl(timedelta(hours=1))
        .with_grants(
            api.VideoGrants(
                room_join=True, room=room, hidden=True, can_publish=False, can_subscribe=True
            )
        )
        .to_jwt()
    )
