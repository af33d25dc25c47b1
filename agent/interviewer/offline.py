"""The offline interviewer: speaks the plan aloud and listens for the answers.

No account, no network: questions are synthesised with espeak-ng and played on the
agent's audio track; the candidate's turn is followed with WebRTC VAD. Each question
and each answer becomes a transcript turn (answers carry their timing; their text only
says that no recogniser was available). It ends politely when the questions or the time
run out, or when the candidate has been gone longer than a grace period.

Resuming: a job that takes over an interview (its worker died) passes what the
interviewer already said (:class:`Resume`, from the API). The plan is deterministic, so
the questions already asked are recognised by their text and skipped, the opening is
replaced by a short apology, and the time budget counts from the interview's first turn.

Every wait here is bounded and cancellable: a job shut down from outside while the
candidate is away stops at once (a cancelled wait raises, never hangs).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from agent.interviewer.listener import TurnListener
from agent.interviewer.plan import InterviewPlan
from agent.interviewer.resume import Resume
from agent.interviewer.speaker import RoomSpeaker
from agent.interviewer.tts import synthesize
from agent.records import NOT_TRANSCRIBED, InterviewRecords

logger = logging.getLogger("proctorai.agent.offline")


RESUME_LINE = "Sorry about the interruption. Let's continue where we left off."


@dataclass(frozen=True)
class OfflineTiming:
    """Turn-taking parameters (tests shorten them)."""

    end_silence: float = 1.5
    no_speech_timeout: float = 20.0
    candidate_gone_grace: float = 20.0


class OfflineInterviewer:
    """Conducts one interview from its plan."""

    def __init__(
        self,
        plan: InterviewPlan,
        speaker: RoomSpeaker,
        listener: TurnListener,
        records: InterviewRecords,
        *,
        voice: str = "en-us",
        words_per_minute: int = 160,
        timing: OfflineTiming | None = None,
        resume: Resume | None = None,
    ) -> None:
        self._plan = plan
        self._speaker = speaker
        self._listener = listener
        self._records = records
        self._voice = voice
        self._words_per_minute = words_per_minute
        self._timing = timing or OfflineTiming()
        self._resume = resume
        self.asked = 0
        self.answered = 0

    async def _say(self, text: str) -> None:
        samples = await synthesize(text, voice=self._voice, words_per_minute=self._words_per_minute)
        started, ended = await self._speaker.say(samples)
        await self._records.turn("interviewer", text, started, ended)

    async def _candidate_absent_too_long(self, present: asyncio.Event) -> bool:
        """Wait (at most the grace period) for an absent candidate to come back."""
        if present.is_set():
            return False
        try:
            await asyncio.wait_for(present.wait(), timeout=self._timing.candidate_gone_grace)
        except TimeoutError:
            return True
        return False

    async def run(self, present: asyncio.Event) -> str:
        """Conduct the interview; return why it ended: completed, time_up, candidate_left."""
        resume = self._resume
        said = resume.said if resume is not None else frozenset()
        began = resume.started_at if resume is not None and resume.started_at else time.time()
        deadline = began + self._plan.duration_seconds - self._plan.closing_seconds
        if self._plan.opening in said:
            await self._say(RESUME_LINE)
        else:
            await self._say(self._plan.opening)
        reason = "completed"
        gone = asyncio.Event()
        for question in self._plan.questions:
            if question.text in said:
                continue  # asked before the takeover
            if await self._candidate_absent_too_long(present):
                reason = "candidate_left"
                break
            remaining = deadline - time.time()
            if remaining <= 5:
                reason = "time_up"
                break
            await self._say(question.text)
            self.asked += 1
            gone.clear()
            watcher = asyncio.create_task(_mirror_absence(present, gone))
            try:
                answer = await self._listener.wait_for_answer(
                    max_seconds=min(question.budget_seconds, deadline - time.time()),
                    no_speech_timeout=self._timing.no_speech_timeout,
                    end_silence=self._timing.end_silence,
                    gone=gone,
                )
            finally:
                watcher.cancel()
            if answer is not None:
                self.answered += 1
                await self._records.turn(
                    "candidate", NOT_TRANSCRIBED, answer.started_at, answer.ended_at
                )
            logger.info(
                "question done",
                extra={
                    "interview_id": self._records.interview_id,
                    "question": question.id,
                    "answered": answer is not None,
                },
            )
        if reason != "candidate_left" and present.is_set():
            await self._say(self._plan.closing)
        return reason


async def _mirror_absence(present: asyncio.Event, gone: asyncio.Event) -> None:
    """Set ``gone`` whenever the candidate is not present (polled; cheap)."""
    while True:
        if not present.is_set():
            gone.set()
        await asyncio.sleep(0.2)
