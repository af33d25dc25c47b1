"""From the media tap's frames, audio and conditions to the monitor's anomaly events.

The face and voice engines block, so each sampled frame and each chunk of speech is
judged in the engine thread pool (the executor); the future returned is what the media
tap (:mod:`agent.proctor.media`) watches to skip frames while the engine is busy, so one
candidate never has more than one frame in the engine. The readings that come back are
fed to :class:`~proctoring.monitor.ProctoringMonitor`, each with the sid of the track it
was judged on as evidence, and every event the monitor returns goes to the sink
(:mod:`agent.proctor.sink`). After a face reading that points at an anomaly not yet
confirmed, the sampler is told to burst (:class:`~agent.proctor.sampling.FrameSampler`),
so the smoother gets its confirming readings sooner; the pipeline decides it because only
the monitor knows what is confirmed.

Conditions: the judged camera or microphone unpublished or muted, an extra one published,
and the candidate leaving, are reported to the monitor as they happen; the heartbeat tick
lets them mature, and each heartbeat names the judged tracks. Steps 1 to 3 of
docs/architecture.md, "One anomaly".

One lock orders everything that reaches the monitor and the sink: readings, conditions,
ticks and the close are handled one at a time, in the order they arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor

import numpy as np
from numpy.typing import NDArray
from pydantic import JsonValue

from agent.proctor.sampling import FrameSampler, steer
from agent.proctor.signals import FaceSignals, SignalReading, VoiceSignals
from agent.proctor.sink import AnomalySink
from agent.proctor.stats import FrameStats
from agent.proctor.tasks import TaskSet
from contracts.anomaly import AnomalyType, JudgedTracks
from proctoring.monitor import ProctoringMonitor

logger = logging.getLogger("proctorai.agent.pipeline")


class ProctorPipeline:
    """Judges in the executor, feeds the monitor, hands its events to the sink."""

    def __init__(
        self,
        *,
        monitor: ProctoringMonitor,
        sink: AnomalySink,
        face: FaceSignals,
        voice: VoiceSignals | None,
        executor: Executor,
        sampler: FrameSampler,
        stats: FrameStats,
        heartbeat_interval: float = 3.0,
    ) -> None:
        self._monitor = monitor
        self._sink = sink
        self._face = face
        self._voice = voice
        self._executor = executor
        self._sampler = sampler
        self.stats = stats
        self._heartbeat_interval = heartbeat_interval
        self._lock = asyncio.Lock()  # events are handled in order
        self._tasks = TaskSet()
        self._heartbeat: asyncio.Task[None] | None = None

    @property
    def judges_voice(self) -> bool:
        """Is there a voice engine to hand the microphone's audio to?"""
        return self._voice is not None

    def start(self, judged: Callable[[], JudgedTracks]) -> None:
        """Start the heartbeat; ``judged`` says which tracks each heartbeat names."""
        self._heartbeat = asyncio.create_task(
            self._heartbeat_loop(judged), name="proctor-heartbeat"
        )

    # -- judging -------------------------------------------------------------------

    def judge_frame(
        self, rgb: NDArray[np.uint8], sampled_at: float, track_sid: str
    ) -> asyncio.Future[list[SignalReading]]:
        """Judge one sampled frame in the executor; the future is done when the engine is."""
        future = asyncio.get_running_loop().run_in_executor(
            self._executor, self._timed_face, rgb, sampled_at
        )

        def done(fut: asyncio.Future[list[SignalReading]]) -> None:
            self._tasks.spawn(self._face_done(fut, rgb, sampled_at, track_sid))

        future.add_done_callback(done)
        return future

    def judge_voice(
        self, pcm: NDArray[np.int16], t: float, gap: bool, track_sid: str
    ) -> asyncio.Future[list[SignalReading]]:
        """Judge a chunk of speech ending at ``t`` in the executor (``gap``: audio was
        dropped before it); the future is done when the engine is."""
        future = asyncio.get_running_loop().run_in_executor(
            self._executor, self._timed_voice, pcm, t, gap
        )
        future.add_done_callback(lambda fut: self._tasks.spawn(self._voice_done(fut, track_sid)))
        return future

    def _timed_face(self, rgb: NDArray[np.uint8], t: float) -> list[SignalReading]:
        began, cpu = time.perf_counter(), time.thread_time()
        readings = self._face.analyze(rgb, t)
        self.stats.engine_seconds.append(time.perf_counter() - began)
        self.stats.face_cpu_seconds += time.thread_time() - cpu
        return readings

    def _timed_voice(self, pcm: NDArray[np.int16], t: float, gap: bool) -> list[SignalReading]:
        assert self._voice is not None
        cpu = time.thread_time()
        readings = self._voice.push(pcm, t, gap)
        self.stats.voice_cpu_seconds += time.thread_time() - cpu
        return readings

    async def _face_done(
        self,
        future: asyncio.Future[list[SignalReading]],
        rgb: NDArray[np.uint8],
        sampled_at: float,
        track_sid: str,
    ) -> None:
        readings = _readings_of(future, "face")
        if readings is None:
            return
        self.stats.analyzed += 1
        self._sink.remember_frame(rgb)
        await self._observe(readings, track_sid)
        self._steer_sampling(readings)
        self.stats.lag_seconds.append(time.time() - sampled_at)

    def _steer_sampling(self, readings: list[SignalReading]) -> None:
        """Burst while a face reading points at an anomaly the monitor has not confirmed."""
        open_types = {e.type for e in self._monitor.open_anomalies()}
        pairs = [(r.signal, r.reading) for r in readings]
        steer(self._sampler, pairs, open_types, time.monotonic())

    async def _voice_done(
        self, future: asyncio.Future[list[SignalReading]], track_sid: str
    ) -> None:
        readings = _readings_of(future, "voice")
        if readings is not None:
            await self._observe(readings, track_sid)

    # -- the monitor ---------------------------------------------------------------

    async def _observe(self, readings: list[SignalReading], track_sid: str) -> None:
        """Feed the monitor; each reading's evidence names the track it was judged on."""
        async with self._lock:
            for r in readings:
                evidence = {**r.evidence, "track_sid": track_sid}
                events = self._monitor.observe(r.signal, r.t, r.reading, r.confidence, evidence)
                await self._sink.emit(events)

    def condition(
        self,
        signal: AnomalyType,
        active: bool,
        evidence: dict[str, JsonValue],
        t: float | None = None,
    ) -> None:
        """Report a condition now true (or no longer true); handled in the order reported."""
        self._tasks.spawn(self._condition(signal, active, evidence, t))

    async def _condition(
        self,
        signal: AnomalyType,
        active: bool,
        evidence: dict[str, JsonValue],
        t: float | None,
    ) -> None:
        async with self._lock:
            await self._sink.emit(self._monitor.set_condition(signal, active, t, evidence))

    async def _heartbeat_loop(self, judged: Callable[[], JudgedTracks]) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_interval)
            async with self._lock:
                await self._sink.emit(self._monitor.tick())
                status = self._monitor.status().model_copy(update={"judged": judged()})
            await self._sink.heartbeat(status)

    # -- the close -----------------------------------------------------------------

    async def stop_heartbeat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._heartbeat

    async def close(self) -> None:
        """End every open anomaly once what is under way has been handled.

        Call it after the media stopped and the heartbeat did: the readings and conditions
        already handed to the monitor's queue are handled first (a frame still inside the
        engine is dropped: the monitor takes nothing after its close), then the monitor
        closes every open anomaly, and the close waits until each end (and each snapshot)
        is in the outbox.
        """
        await asyncio.gather(self._tasks.settle(), self._sink.settle())
        async with self._lock:
            await self._sink.emit(self._monitor.close())
        await self._sink.finish()
        await self._tasks.settle()


def _readings_of(
    future: asyncio.Future[list[SignalReading]], engine: str
) -> list[SignalReading] | None:
    """An engine's readings, or None when it was cancelled or failed (logged: a failed
    frame or segment is skipped, never the end of the pipeline)."""
    try:
        return future.result()
    except asyncio.CancelledError:
        return None
    except Exception:
        logger.exception("%s analysis failed", engine)
        return None
