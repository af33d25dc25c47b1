"""Make sure every running interview has its interviewer agent, whatever happened to it.

livekit-server never retries an agent dispatch: a dispatch made while no worker of the
agent's name is registered (or every worker refuses it, being full) is dropped, and the
job of a worker that is killed is not restarted elsewhere. So the control API watches:
every ``agent_check_interval`` seconds it looks at the rooms of the interviews that need
an agent (those whose candidate link was opened in this process, and every interview
``in_progress`` in the database, so an API restart loses nothing) and re-dispatches when
a room has had no agent participant for ``agent_join_timeout`` seconds.

A room whose metadata says ``ended`` is left alone: the agent marks the room so when
it finishes, since its ``completed`` may reach this API only later (it was down).

Why polling and not only the ``participant_left`` webhook: webhooks can be lost (the API
was down, the request failed); the webhook only wakes the loop early. Each re-dispatch
first deletes the stale dispatch (which also terminates a job of it still pending) and
checks the room's participants under a per-room lock, so a room never gets two agents;
re-dispatches are bounded per interview (``agent_max_dispatches``), each waiting twice as
long as the one before (up to ``agent_redispatch_max_interval``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from contracts.statuses import FINISHED_STATUSES
from control_api.livekit_rooms import LiveKitUnavailable, RoomManager, room_name_for
from control_api.models import Interview, InterviewStatus
from control_api.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class _RoomWatch:
    """What the supervisor knows of one room (wall-clock seconds)."""

    last_dispatch: float
    missing_since: float | None = None
    redispatches: int = 0
    seen: set[str] = field(default_factory=set)
    """Agent identities seen in the room: an assigned job whose agent was never seen
    may still be starting; one seen and gone is dead (or reconnecting)."""


class AgentSupervisor:
    """The background check; :meth:`start` on the app's loop, :meth:`aclose` at shutdown."""

    def __init__(self, engine: Engine, settings: Settings, rooms: RoomManager) -> None:
        self._engine = engine
        self._settings = settings
        self._rooms = rooms
        self._state: dict[str, _RoomWatch] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None and self._settings.agent_check_interval > 0:
            self._rooms.wake = asyncio.Event()  # bound to this loop (the app may restart)
            self._task = asyncio.create_task(self._run(), name="agent-supervisor")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        wake = self._rooms.wake
        while True:
            try:
                await self.check_once()
            except LiveKitUnavailable:
                pass  # logged by the room manager; the next round tries again
            except Exception:
                logger.exception("agent supervision round failed")
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=self._settings.agent_check_interval)

    async def check_once(self, now: float | None = None) -> list[str]:
        """One round; returns the interviews that were dispatched again."""
        now = time.time() if now is None else now
        wanted = await asyncio.to_thread(self._interviews_needing_agent, self._rooms.watched())
        for gone in set(self._state) - wanted:
            self._state.pop(gone, None)
        for interview_id in set(self._rooms.watched()) - wanted:
            self._rooms.unwatch(interview_id)  # finished, cancelled or deleted
        if not wanted:
            return []
        existing = await self._rooms.existing_rooms(sorted(room_name_for(i) for i in wanted))
        redispatched: list[str] = []
        for interview_id in sorted(wanted):
            room = room_name_for(interview_id)
            watch = self._state.setdefault(interview_id, _RoomWatch(last_dispatch=now))
            if room not in existing or existing[room].get("ended"):
                # no room, no candidate: the link recreates both; or the agent finished
                # the interview (its "completed" may still be on its way to this API)
                watch.missing_since = None
                continue
            if await self._due(room, watch, now) and await self._rooms.redispatch(interview_id):
                watch.last_dispatch = now
                watch.redispatches += 1
                redispatched.append(interview_id)
                logger.warning("no agent in the room: dispatched again: %s", interview_id)
        return redispatched

    async def _due(self, room: str, watch: _RoomWatch, now: float) -> bool:
        """Whether the room has been without an agent long enough to dispatch again."""
        present = await self._rooms.agent_identities(room)
        if present:
            watch.seen |= present
            watch.missing_since = None
            return False
        if watch.missing_since is None:
            watch.missing_since = now
        timeout = self._settings.agent_join_timeout
        # each re-dispatch waits twice as long as the last: a worker slow to register
        # (a cold machine) still gets the job, without a dispatch every few seconds
        interval = min(
            timeout * 2**watch.redispatches, self._settings.agent_redispatch_max_interval
        )
        if now - watch.missing_since < timeout or now - watch.last_dispatch < interval:
            return False
        dispatches = await self._rooms.dispatches(room)
        if dispatches:
            newest = max(dispatches, key=lambda d: d.state.created_at)
            starting = any(
                job.state.participant_identity and job.state.participant_identity not in watch.seen
                for job in newest.state.jobs
            )
            age = now - newest.state.created_at / 1e9
            if starting and age < self._settings.agent_start_timeout:
                return False  # assigned to a worker, its agent not in the room yet
        return True

    def _interviews_needing_agent(self, watched: list[str]) -> set[str]:
        """Watched interviews not finished, plus every interview in progress."""
        with Session(self._engine) as session:
            running = session.exec(
                select(Interview.id).where(Interview.status == InterviewStatus.IN_PROGRESS.value)
            ).all()
            statuses = (
                session.exec(
                    select(Interview.id, Interview.status).where(col(Interview.id).in_(watched))
                ).all()
                if watched
                else []
            )
        finished = {status.value for status in FINISHED_STATUSES}
        return set(running) | {i for i, status in statuses if status not in finished}
