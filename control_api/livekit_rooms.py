"""LiveKit rooms, agent dispatch and access tokens for interviews.

Rooms are created when the interview is created, with the interview id in their
metadata; they vanish after ``empty_timeout``, so opening the candidate link creates
the room again if needed (CreateRoom is idempotent) and dispatches the interviewer
agent when the room has no dispatch yet. Only this API creates rooms: livekit.yaml sets
``room.auto_create: false``, so a token that outlives a cancelled interview cannot bring
its room back. Token grants (docs/architecture.md): the candidate publishes camera and
microphone only and no data; the proctor is hidden and subscribe-only.

Who is who: each link maps to one participant. A proctor link's identity is derived from
the link (``proctor-<ref>``), so reopening it replaces the last session instead of adding
a hidden participant; the candidate's identity is the interview's, and its token carries
the link's ref as the ``proctorai.link`` attribute. ``ref`` is a hash of the link id
(attributes are visible to the room; the id itself never leaves the server). The webhook
handler removes a participant whose link was revoked (:func:`link_ref` finds it), since a
LiveKit token cannot be revoked before it expires: tokens live minutes
(``LIVEKIT_TOKEN_TTL``) and livekit-server refreshes them for connected clients.
The room holds the candidate and at most ``MAX_PROCTORS`` proctors (agents do not count
toward LiveKit's ``max_participants``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import aiohttp
from livekit import api

from contracts.identities import (
    AGENT_PREFIX,
    CANDIDATE_PREFIX,
    PROCTOR_PREFIX,
    candidate_identity,
    room_name_for,
)
from control_api.models import LinkRole
from control_api.settings import Settings

logger = logging.getLogger(__name__)


T = TypeVar("T")


class LiveKitUnavailable(Exception):
    """The LiveKit server could not be reached or refused the request."""


LINK_ATTRIBUTE = "proctorai.link"
DEFAULT_PROCTOR_LABEL = "Proctor"
"""What a proctor link without a label is called (its participant's name, who watched)."""


def link_ref(jti: str) -> str:
    """A link's public reference: a hash of its id, safe to show in the room."""
    return hashlib.sha256(jti.encode()).hexdigest()[:16]


def proctor_identity(jti: str) -> str:
    """The one LiveKit identity of a proctor link (reopening it replaces the last session)."""
    return f"{PROCTOR_PREFIX}{link_ref(jti)}"


def is_agent(participant: api.ParticipantInfo) -> bool:
    """An agent participant (the worker joins as ``agent-<job id>``, kind AGENT)."""
    return participant.kind == api.ParticipantInfo.Kind.AGENT or participant.identity.startswith(
        AGENT_PREFIX
    )


def participant_role(identity: str) -> str:
    """The role a participant identity stands for (candidate, proctor or other)."""
    if identity.startswith(CANDIDATE_PREFIX):
        return LinkRole.CANDIDATE.value
    if identity.startswith(PROCTOR_PREFIX):
        return LinkRole.PROCTOR.value
    return "other"


def _metadata(text: str) -> dict[str, object]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class ParticipantToken:
    identity: str
    token: str


class RoomManager:
    """Talks to the LiveKit server API for the control API.

    The aiohttp session behind ``LiveKitAPI`` binds to the event loop that creates
    it, so it is created on first use (on the app's loop) and closed at shutdown.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._api: api.LiveKitAPI | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dispatch_locks: dict[str, asyncio.Lock] = {}
        self._dispatch_counts: dict[str, int] = {}
        self._watched: dict[str, float] = {}
        self.wake = asyncio.Event()
        """Set when a room needs a look sooner than the next periodic check."""

    def _client(self) -> api.LiveKitAPI:
        loop = asyncio.get_running_loop()
        if self._api is not None and self._loop is not loop:
            # Served again on another event loop (an app restarted in-process):
            # the old session cannot be used or closed from here.
            self._api = None
            self._dispatch_locks.clear()
        if self._api is None:
            self._loop = loop
            self._api = api.LiveKitAPI(
                url=self._settings.livekit_http_url,
                api_key=self._settings.livekit_api_key,
                api_secret=self._settings.secret("livekit_api_secret"),
                timeout=aiohttp.ClientTimeout(total=self._settings.livekit_timeout),
                failover=False,
            )
        return self._api

    async def aclose(self) -> None:
        if self._api is not None:
            await self._api.aclose()
            self._api = None

    async def ensure_room(self, interview_id: str) -> str:
        """Create the interview's room, or return the existing one's name."""
        name = room_name_for(interview_id)
        request = api.CreateRoomRequest(
            name=name,
            empty_timeout=self._settings.room_empty_timeout,
            departure_timeout=self._settings.room_departure_timeout,
            max_participants=1 + self._settings.max_proctors,  # the candidate + proctors
            metadata=json.dumps({"interview_id": interview_id}),
        )
        await self._call(self._client().room.create_room(request), "create room")
        return name

    async def ensure_agent_dispatched(self, interview_id: str) -> bool:
        """Dispatch the interviewer agent to the room unless one is dispatched already.

        Returns True when a new dispatch was created. The interview is also put under the
        supervisor's watch (:mod:`control_api.agent_supervisor`), which replaces a
        dispatch that produced no agent (livekit-server drops a dispatch when no worker
        has room, and never restarts the job of a killed worker).
        """
        self.watch(interview_id)
        return await self._dispatch(interview_id, replace=False)

    async def redispatch(self, interview_id: str) -> bool:
        """Replace the interview's dispatches with a new one, unless an agent is in the room.

        Bounded by ``agent_max_dispatches`` per interview (per API process); returns
        True when a new dispatch was created.
        """
        if self._dispatch_counts.get(interview_id, 0) >= self._settings.agent_max_dispatches:
            return False
        return await self._dispatch(interview_id, replace=True)

    async def _dispatch(self, interview_id: str, *, replace: bool) -> bool:
        room = room_name_for(interview_id)
        lock = self._dispatch_locks.setdefault(room, asyncio.Lock())
        async with lock:
            client = self._client()
            ours = await self.dispatches(room)
            if ours:
                if not replace or await self.agent_identities(room):
                    return False  # never a second agent in one room
                for stale in ours:
                    # deleting also terminates a job of it that is still pending, so a
                    # late starter cannot join next to the replacement
                    await self._call(
                        client.agent_dispatch.delete_dispatch(stale.id, room), "delete dispatch"
                    )
            request = api.CreateAgentDispatchRequest(
                agent_name=self._settings.agent_name,
                room=room,
                metadata=json.dumps({"interview_id": interview_id}),
            )
            await self._call(client.agent_dispatch.create_dispatch(request), "dispatch")
            self._dispatch_counts[interview_id] = self._dispatch_counts.get(interview_id, 0) + 1
            logger.info(
                "agent dispatched: %s (dispatch %d, replaced %d)",
                interview_id,
                self._dispatch_counts[interview_id],
                len(ours),
            )
            return True

    async def dispatches(self, room: str) -> list[api.AgentDispatch]:
        """This agent's dispatches in the room (with the jobs LiveKit assigned for each)."""
        found = await self._call(
            self._client().agent_dispatch.list_dispatch(room), "list dispatches"
        )
        return [d for d in found if d.agent_name == self._settings.agent_name]

    async def agent_identities(self, room: str) -> set[str]:
        """The agent participants in the room (kind AGENT, or identity ``agent-*``)."""
        participants = await self._call(
            self._client().room.list_participants(api.ListParticipantsRequest(room=room)),
            "list participants",
        )
        return {p.identity for p in participants.participants if is_agent(p)}

    async def existing_rooms(self, names: list[str]) -> dict[str, dict[str, object]]:
        """Which of these rooms exist on the LiveKit server (one request), with their
        metadata (the agent adds ``ended`` to it when it has finished the interview)."""
        if not names:
            return {}
        found = await self._call(
            self._client().room.list_rooms(api.ListRoomsRequest(names=names)), "list rooms"
        )
        return {room.name: _metadata(room.metadata) for room in found.rooms}

    # --- the supervisor's watch list ----------------------------------------------------

    def watch(self, interview_id: str) -> None:
        """Have the supervisor make sure an agent reaches this interview's room."""
        self._watched.setdefault(interview_id, time.monotonic())
        self.wake.set()

    def unwatch(self, interview_id: str) -> None:
        self._watched.pop(interview_id, None)
        self._dispatch_counts.pop(interview_id, None)

    def watched(self) -> list[str]:
        return list(self._watched)

    def dispatch_count(self, interview_id: str) -> int:
        return self._dispatch_counts.get(interview_id, 0)

    async def proctors_in_room(self, interview_id: str) -> set[str]:
        """The proctor identities connected to the interview's room now."""
        participants = await self._call(
            self._client().room.list_participants(
                api.ListParticipantsRequest(room=room_name_for(interview_id))
            ),
            "list participants",
        )
        return {
            p.identity for p in participants.participants if p.identity.startswith(PROCTOR_PREFIX)
        }

    async def remove_participants(self, interview_id: str, identities: set[str]) -> None:
        """Disconnect these participants from the room; absent ones (or no room) are fine."""
        room = room_name_for(interview_id)
        for identity in sorted(identities):
            request = api.RoomParticipantIdentity(room=room, identity=identity)
            try:
                await self._call(
                    self._client().room.remove_participant(request), "remove participant"
                )
            except LiveKitUnavailable as exc:
                if isinstance(exc.__cause__, api.ServerError) and exc.__cause__.status == 404:
                    continue
                raise
            logger.info("participant removed: %s role=%s", interview_id, participant_role(identity))

    async def delete_room(self, interview_id: str) -> None:
        """Delete the room (disconnecting everyone); a missing room is fine."""
        request = api.DeleteRoomRequest(room=room_name_for(interview_id))
        try:
            await self._call(self._client().room.delete_room(request), "delete room")
        except LiveKitUnavailable as exc:
            if isinstance(exc.__cause__, api.ServerError) and exc.__cause__.status == 404:
                return
            raise

    async def _call(self, awaitable: Awaitable[T], what: str) -> T:
        try:
            return await awaitable
        except api.ServerError as exc:
            logger.warning("LiveKit API request refused: %s (%s)", what, exc.code)
            raise LiveKitUnavailable(f"LiveKit refused to {what}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("LiveKit API unreachable: %s (%s)", what, type(exc).__name__)
            raise LiveKitUnavailable(f"LiveKit server is unreachable ({what})") from exc

    # --- tokens ---------------------------------------------------------------------

    def candidate_token(self, interview_id: str, display_name: str, jti: str) -> ParticipantToken:
        """Join one room; publish camera and microphone only; no data publishing."""
        identity = candidate_identity(interview_id)
        grants = api.VideoGrants(
            room_join=True,
            room=room_name_for(interview_id),
            can_publish=True,
            can_publish_sources=["camera", "microphone"],
            can_subscribe=True,
            can_publish_data=False,
        )
        return ParticipantToken(identity, self._sign(identity, display_name, grants, jti))

    def proctor_token(self, interview_id: str, jti: str, label: str | None) -> ParticipantToken:
        """Hidden, subscribe-only; receives the anomalies addressed to it."""
        identity = proctor_identity(jti)
        grants = api.VideoGrants(
            room_join=True,
            room=room_name_for(interview_id),
            hidden=True,
            can_publish=False,
            can_publish_data=False,
            can_subscribe=True,
        )
        return ParticipantToken(
            identity, self._sign(identity, label or DEFAULT_PROCTOR_LABEL, grants, jti)
        )

    def _sign(self, identity: str, name: str, grants: api.VideoGrants, jti: str) -> str:
        return (
            api.AccessToken(
                self._settings.livekit_api_key, self._settings.secret("livekit_api_secret")
            )
            .with_identity(identity)
            .with_name(name)
            .with_attributes({LINK_ATTRIBUTE: link_ref(jti)})
            .with_ttl(timedelta(seconds=self._settings.livekit_token_ttl))
            .with_grants(grants)
            .to_jwt()
        )
