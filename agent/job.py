"""One interview job: load the context, proctor the candidate, run the interviewer.

The order matters: the outbox flusher starts first (so nothing produced later can be
lost), the context comes from the API (retried while the API is briefly away), the
agent connects without auto-subscription and waits for the candidate by identity (never
linking to a proctor), then the live proctor and the interviewer run side by side until
the interview ends. Cleanup (each open anomaly ended, lifecycle stored, outbox drained
within a bound) runs once, on the normal end and on a shutdown from outside alike, and
is bounded as a whole (``JOB_CLEANUP_TIMEOUT``) so a job never hangs its worker.

Taking over: when the interview is already ``in_progress`` (an earlier job's worker
died and the control API dispatched the agent again, see
the control API's agent supervisor), the job asks the API to resume it: anomalies the
earlier job left open are ended there (``agent_restarted``), the lifecycle is not
recorded again, and the offline interviewer skips what was already said.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from livekit import api
from livekit.agents import AutoSubscribe, JobContext, JobProcess
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from agent.api_client import APIError, ControlAPIClient, PermanentAPIError
from agent.context import interview_id_from_job
from agent.delivery import OutboxFlusher
from agent.interviewer.plan import InterviewPlan, build_plan
from agent.interviewer.resume import Resume
from agent.outbox import Outbox
from agent.proctor.directory import ProctorDirectory
from agent.proctor.engines import build_face_signals, build_voice_signals
from agent.proctor.live import LiveProctor
from agent.proctor.publisher import ProctorPublisher
from agent.proctor.snapshots import SnapshotUploader
from agent.records import InterviewRecords
from agent.settings import AgentSettings
from contracts.interview_context import InterviewContext
from contracts.retry import backoff
from contracts.statuses import FINISHED_STATUSES
from proctoring.monitor import ProctoringMonitor

logger = logging.getLogger("proctorai.agent.job")


ENGINE_POOL_KEY = "proctorai.engine_pool"
"""Where a job process keeps its engine threads in ``proc.userdata``."""


def engine_pool(proc: JobProcess, workers: int) -> ThreadPoolExecutor:
    """The job process's pool for face and voice work, kept in ``proc.userdata`` (a reused
    process keeps it for its next job; every job of the process shares it: bounded CPU)."""
    pool = proc.userdata.get(ENGINE_POOL_KEY)
    if not isinstance(pool, ThreadPoolExecutor):
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="proctor-engine")
        proc.userdata[ENGINE_POOL_KEY] = pool
    return pool


_T = TypeVar("_T")


async def _retried(call: Callable[[], Awaitable[_T]], attempts: int) -> _T:
    """``call()``, retried with backoff (:mod:`contracts.retry`) while the API is
    unreachable; a permanent error, such as an unknown interview, is raised at once."""
    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(attempts),
        wait=backoff(0.5, 10.0),
        retry=retry_if_exception(
            lambda exc: isinstance(exc, APIError) and not isinstance(exc, PermanentAPIError)
        ),
        reraise=True,
    ):
        with attempt:
            return await call()
    raise AssertionError("unreachable: tenacity re-raises the last error")


async def load_context(
    client: ControlAPIClient, interview_id: str, attempts: int = 8
) -> InterviewContext:
    """The interview's context, retried while the API is briefly away."""
    return InterviewContext.model_validate(
        await _retried(lambda: client.get_context(interview_id), attempts)
    )


async def take_over(client: ControlAPIClient, interview_id: str, attempts: int = 8) -> Resume:
    """Ask the API to resume a running interview (retried like :func:`load_context`)."""
    body = await _retried(lambda: client.resume(interview_id), attempts)
    started = body.get("first_turn_at")
    return Resume(
        said=frozenset(str(text) for text in body.get("interviewer_turns", [])),
        started_at=float(started) if started is not None else None,
    )


def plan_for(context: InterviewContext) -> InterviewPlan:
    return build_plan(
        candidate_name=context.candidate_name,
        resume_text=context.resume_text,
        job_text=context.job_description,
        question_count=context.question_count,
        duration_minutes=context.duration_minutes,
        job_title=context.title,
    )


async def run_interview(ctx: JobContext, settings: AgentSettings) -> None:
    """The job entrypoint's body."""
    interview_id = interview_id_from_job(ctx.job.metadata, ctx.job.room.name)
    ctx.log_context_fields = {"interview_id": interview_id}
    client = ControlAPIClient(settings.api_url, settings.secret("service_token"))
    outbox = Outbox(settings.resolved_outbox_path)
    flusher = OutboxFlusher(
        outbox, client, credentials_retry_cap=settings.outbox_credentials_retry_cap
    )
    flusher.start()
    records = InterviewRecords(flusher, interview_id)
    session = InterviewSession(ctx, settings, client, flusher, records)
    ctx.add_shutdown_callback(session.cleanup)
    try:
        await session.run(interview_id)
    except Exception:
        logger.exception("interview job failed", extra={"interview_id": interview_id})
    finally:
        await session.cleanup()
        ctx.shutdown("interview finished")


class InterviewSession:
    """The parts of one running interview, and their orderly cleanup."""

    def __init__(
        self,
        ctx: JobContext,
        settings: AgentSettings,
        client: ControlAPIClient,
        flusher: OutboxFlusher,
        records: InterviewRecords,
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.client = client
        self.flusher = flusher
        self.records = records
        self.proctor: LiveProctor | None = None
        self.directory: ProctorDirectory | None = None
        self._cleaned = False
        self._cleanup_step = "start"
        self.end_reason: str | None = None
        self.resume: Resume | None = None

    async def run(self, interview_id: str) -> None:
        context = await load_context(self.client, interview_id)
        if context.status in FINISHED_STATUSES:
            logger.info("interview already finished; leaving", extra={"interview_id": interview_id})
            return
        if context.status == "in_progress":
            # another job ran it (or the candidate's arrival was reported first)
            self.resume = await take_over(self.client, interview_id)
            logger.info(
                "taking over a running interview",
                extra={"interview_id": interview_id, "said": len(self.resume.said)},
            )
        await self.ctx.connect(auto_subscribe=AutoSubscribe.SUBSCRIBE_NONE)
        try:
            participant = await asyncio.wait_for(
                self.ctx.wait_for_participant(identity=context.candidate_identity),
                timeout=self.settings.candidate_wait_timeout,
            )
        except TimeoutError:
            logger.warning("candidate never joined", extra={"interview_id": interview_id})
            return
        if self.resume is None:
            await self.records.lifecycle("in_progress")
        logger.info("candidate joined", extra={"interview_id": interview_id})

        self.directory = ProctorDirectory(
            self.ctx.api, self.ctx.room.name, interval=self.settings.proctor_poll_interval
        )
        self.directory.start()
        executor = engine_pool(self.ctx.proc, self.settings.face_workers)
        face = await build_face_signals(context, self.client, self.settings)
        voice = await build_voice_signals(context, self.client, self.settings)
        self.proctor = LiveProctor(
            room=self.ctx.room,
            candidate_identity=participant.identity,
            monitor=ProctoringMonitor(interview_id, context.sensitivity),
            publisher=ProctorPublisher(self.ctx.room.local_participant, self.directory),
            records=self.records,
            face=face,
            voice=voice,
            executor=executor,
            snapshots=SnapshotUploader(self.client, interview_id),
            frame_rate=self.settings.frame_rate,
            burst_rate=self.settings.burst_rate,
            heartbeat_interval=self.settings.heartbeat_interval,
        )
        self.proctor.start()
        self.end_reason = await self._interview(context, self.proctor)
        # every open anomaly ends (and is queued) before the interview is completed: the
        # API evaluates on "completed", and the outbox delivers in the order things were
        # queued, so the report never misses an anomaly's end
        try:
            await asyncio.wait_for(self.proctor.aclose(), self.settings.job_cleanup_timeout)
        except TimeoutError:
            logger.warning("anomalies not all ended in time", extra={"interview_id": interview_id})
        await self.records.lifecycle("completed", self.end_reason)
        await self._mark_room_ended(interview_id, self.end_reason)

    async def _mark_room_ended(self, interview_id: str, reason: str) -> None:
        """Say in the room's metadata that the interview is over, so the control API does
        not dispatch an agent to it again while ``completed`` is still in the outbox."""
        metadata = json.dumps({"interview_id": interview_id, "ended": reason})
        request = api.UpdateRoomMetadataRequest(room=self.ctx.room.name, metadata=metadata)
        try:
            await asyncio.wait_for(self.ctx.api.room.update_room_metadata(request), timeout=5)
        except Exception:  # best effort: the supervisor's bound still applies
            logger.warning("room metadata not updated", extra={"interview_id": interview_id})

    async def _interview(self, context: InterviewContext, proctor: LiveProctor) -> str:
        plan = plan_for(context)
        if self.settings.realtime_enabled:
            from agent.interviewer.realtime import RealtimeInterviewer

            realtime = RealtimeInterviewer(self.ctx.room, plan, self.records, self.settings)
            return await realtime.run(context.candidate_identity, proctor.present)

        from agent.interviewer.listener import TurnListener
        from agent.interviewer.offline import OfflineInterviewer, OfflineTiming
        from agent.interviewer.speaker import RoomSpeaker

        listener = TurnListener()
        proctor.add_audio_listener(listener.feed)
        speaker = RoomSpeaker(self.ctx.room)
        await speaker.publish()
        try:
            interviewer = OfflineInterviewer(
                plan,
                speaker,
                listener,
                self.records,
                voice=self.settings.offline_voice,
                words_per_minute=self.settings.offline_words_per_minute,
                timing=OfflineTiming(
                    end_silence=self.settings.answer_end_silence,
                    no_speech_timeout=self.settings.answer_timeout,
                    candidate_gone_grace=self.settings.candidate_gone_grace,
                ),
                resume=self.resume,
            )
            return await interviewer.run(proctor.present)
        finally:
            await speaker.aclose()

    async def cleanup(self) -> None:
        """End open anomalies, stop polling, drain the outbox within its bound. Once.

        Bounded as a whole: whatever is not done in ``job_cleanup_timeout`` seconds is
        abandoned (rows not yet delivered stay in the outbox file for the next flusher).
        """
        if self._cleaned:
            return
        self._cleaned = True
        try:
            await asyncio.wait_for(self._stop_parts(), timeout=self.settings.job_cleanup_timeout)
        except TimeoutError:
            logger.warning(
                "job cleanup timed out; leftovers stay in the outbox",
                extra={"step": self._cleanup_step},
            )
        finally:
            await self.flusher.aclose()
            self.flusher.outbox.close()
            await self.client.aclose()

    async def _stop_parts(self) -> None:
        if self.proctor is not None:
            self._cleanup_step = "proctor"
            await self.proctor.aclose()
        if self.directory is not None:
            self._cleanup_step = "directory"
            await self.directory.aclose()
        self._cleanup_step = "drain"
        await self.flusher.drain(self.settings.outbox_drain_timeout)
        self._cleanup_step = "done"
