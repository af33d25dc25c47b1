"""The realtime interviewer: OpenAI Realtime (or a compatible endpoint) in the room.

``AgentSession`` drives the conversation; the plan becomes the agent's instructions, so
the model asks the tailored questions in order. The session is linked to the candidate
by identity (never to a hidden proctor), reads audio only, and transcribes the
candidate's speech, so both sides are stored as transcript turns. The time budget is
enforced here, not left to the model: when it runs out the model is told to close, and
the session ends; it also ends when the model says the closing, when the candidate has
been gone longer than the grace period, or when the session fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

from livekit import rtc
from livekit.agents import Agent, AgentSession, room_io
from livekit.agents.llm import ChatMessage
from livekit.agents.voice.events import (
    CloseEvent,
    ConversationItemAddedEvent,
    ErrorEvent,
)
from livekit.plugins import openai
from openai.types.realtime import AudioTranscription

from agent.interviewer.plan import InterviewPlan
from agent.records import InterviewRecords
from agent.settings import AgentSettings

logger = logging.getLogger("proctorai.agent.realtime")

_TURN_NAMESPACE = uuid.UUID("6f1d0c2e-8a55-4f3b-9d7e-0c1a2b3c4d5e")
_ROLES = {"assistant": "interviewer", "user": "candidate"}


class RealtimeInterviewer:
    """Conducts one interview through an OpenAI Realtime session."""

    def __init__(
        self,
        room: rtc.Room,
        plan: InterviewPlan,
        records: InterviewRecords,
        settings: AgentSettings,
        *,
        closing_timeout: float = 30.0,
    ) -> None:
        self._room = room
        self._plan = plan
        self._records = records
        self._settings = settings
        self._closing_timeout = closing_timeout
        self._done = asyncio.Event()
        self._closing_said = asyncio.Event()
        self._failed = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.turns_stored = 0

    def _model(self) -> openai.realtime.RealtimeModel:
        key = self._settings.openai_api_key
        kwargs: dict[str, Any] = {}
        if self._settings.openai_base_url:
            kwargs["base_url"] = self._settings.openai_base_url
        return openai.realtime.RealtimeModel(
            model=self._settings.openai_realtime_model,
            voice=self._settings.openai_voice,
            api_key=key.get_secret_value() if key else None,
            input_audio_transcription=AudioTranscription(model="gpt-4o-mini-transcribe"),
            **kwargs,
        )

    def _on_item(self, event: ConversationItemAddedEvent) -> None:
        item = event.item
        if not isinstance(item, ChatMessage) or item.role not in _ROLES:
            return
        text = item.text_content or ""
        if not text.strip():
            return
        turn_id = str(uuid.uuid5(_TURN_NAMESPACE, f"{self._records.interview_id}:{item.id}"))
        task = asyncio.create_task(
            self._records.turn(
                _ROLES[item.role], text, item.created_at, event.created_at, turn_id=turn_id
            )
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.turns_stored += 1
        if item.role == "assistant" and _says_closing(text, self._plan.closing):
            self._closing_said.set()

    def _on_error(self, event: ErrorEvent) -> None:
        recoverable = bool(getattr(event.error, "recoverable", False))
        logger.warning(
            "realtime session error",
            extra={"interview_id": self._records.interview_id, "recoverable": recoverable},
        )
        if not recoverable:
            self._failed = True
            self._done.set()

    def _on_close(self, event: CloseEvent) -> None:
        if event.error is not None:
            self._failed = True
        self._done.set()

    async def run(self, candidate_identity: str, present: asyncio.Event) -> str:
        """Run the interview; return why it ended (completed, time_up, candidate_left, error)."""
        model = self._model()
        # vad=None: no local Silero model; the realtime model detects turns itself.
        session: AgentSession[None] = AgentSession(
            llm=model, vad=None, turn_handling={"turn_detection": "realtime_llm"}
        )
        session.on("conversation_item_added", self._on_item)
        session.on("error", self._on_error)
        session.on("close", self._on_close)
        reason = "completed"
        try:
            await session.start(
                agent=Agent(instructions=self._plan.instructions()),
                room=self._room,
                room_options=room_io.RoomOptions(
                    participant_identity=candidate_identity,
                    video_input=False,
                    text_input=False,
                    close_on_disconnect=False,
                ),
            )
            session.generate_reply(
                instructions=f"Greet the candidate with the opening: {self._plan.opening}"
            )
            reason = await self._until_done(present)
            if reason in ("time_up",) and not self._done.is_set():
                handle = session.generate_reply(
                    instructions=f"Time is up. Say the closing now: {self._plan.closing}"
                )
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(handle.wait_for_playout(), self._closing_timeout)
            elif reason == "completed":
                await asyncio.sleep(1.0)  # let the closing words play out
        finally:
            with contextlib.suppress(Exception):
                await session.aclose()
            with contextlib.suppress(Exception):
                await model.aclose()
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
        return "error" if self._failed else reason

    async def _until_done(self, present: asyncio.Event) -> str:
        deadline = time.monotonic() + self._plan.duration_seconds - self._plan.closing_seconds
        absent_since: float | None = None
        while True:
            if self._done.is_set():
                return "error" if self._failed else "completed"
            if self._closing_said.is_set():
                return "completed"
            now = time.monotonic()
            if now >= deadline:
                return "time_up"
            if present.is_set():
                absent_since = None
            elif absent_since is None:
                absent_since = now
            elif now - absent_since >= self._settings.candidate_gone_grace:
                return "candidate_left"
            await asyncio.sleep(0.25)


def _says_closing(text: str, closing: str) -> bool:
    """Whether the model said the plan's closing (its first sentence, loosely)."""
    first = closing.split(".")[0].strip().lower()
    return bool(first) and first in text.lower()
