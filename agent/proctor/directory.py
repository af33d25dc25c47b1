"""Who the proctors in a room are right now.

Proctors join hidden, and hidden participants are invisible to other participants,
the agent included (checked against livekit-server 1.13.5: the agent's
``remote_participants`` never lists them). The server API does list them, so the
directory asks it every few seconds. An anomaly published while no proctor is known
goes to nobody (it is still stored by the API): never to an empty destination list,
which LiveKit would treat as "everyone", the candidate included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from livekit import api

from contracts.identities import PROCTOR_PREFIX

logger = logging.getLogger("proctorai.agent.proctors")


class ProctorDirectory:
    """Keeps the identities of the room's proctors fresh by polling the server API."""

    def __init__(self, lkapi: api.LiveKitAPI, room_name: str, interval: float = 2.0) -> None:
        self._lkapi = lkapi
        self._room = room_name
        self._interval = interval
        self._identities: tuple[str, ...] = ()
        self._task: asyncio.Task[None] | None = None

    @property
    def identities(self) -> list[str]:
        return list(self._identities)

    async def refresh(self) -> list[str]:
        response = await self._lkapi.room.list_participants(
            api.ListParticipantsRequest(room=self._room)
        )
        self._identities = tuple(
            sorted(
                p.identity for p in response.participants if p.identity.startswith(PROCTOR_PREFIX)
            )
        )
        return list(self._identities)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="proctor-directory")

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:
                logger.warning("listing proctors failed", extra={"room": self._room})
            await asyncio.sleep(self._interval)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
