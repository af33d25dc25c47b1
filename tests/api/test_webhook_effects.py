"""Which webhook moves the interview, and where (control_api.services.livekit_webhooks).

Pure: the table of effects, so a change to it is seen here before it is seen in a room.
The webhooks themselves are tested against the real livekit-server in
``test_livekit_room.py`` and ``test_room_access.py``.
"""

from __future__ import annotations

import pytest

from control_api.models import InterviewStatus as S
from control_api.services.livekit_webhooks import lifecycle_effect


@pytest.mark.parametrize(
    ("event", "role", "current", "target"),
    [
        ("participant_joined", "candidate", S.CREATED, S.IN_PROGRESS),
        ("participant_joined", "candidate", S.READY, S.IN_PROGRESS),
        # a candidate rejoining a running interview, or a proctor or the agent joining
        ("participant_joined", "candidate", S.IN_PROGRESS, None),
        ("participant_joined", "proctor", S.READY, None),
        ("participant_joined", "other", S.CREATED, None),  # the agent
        # the room's end completes only a running interview
        ("room_finished", None, S.IN_PROGRESS, S.COMPLETED),
        ("room_finished", None, S.READY, None),
        ("room_finished", None, S.CANCELLED, None),
        ("participant_left", "candidate", S.IN_PROGRESS, None),
    ],
)
def test_lifecycle_effect(event: str, role: str | None, current: S, target: S | None) -> None:
    assert lifecycle_effect(event, role, current) is target
