"""Rooms for tests that join livekit-server without the control API.

livekit.yaml sets ``room.auto_create: false`` (only the API creates rooms, so a token that
outlives a cancelled interview cannot re-create its room); a test that mints its own
tokens creates its room first, as the API would.
"""

from __future__ import annotations

from livekit import api

from tests.support.livekit_server import TestLiveKitServer


async def create_room(server: TestLiveKitServer, name: str, empty_timeout: int = 60) -> None:
    """Create ``name`` on the test server (idempotent, like the API's ensure_room)."""
    async with api.LiveKitAPI(server.http_url, server.api_key, server.api_secret) as client:
        await client.room.create_room(api.CreateRoomRequest(name=name, empty_timeout=empty_timeout))
