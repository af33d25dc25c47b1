"""The live proctoring of one interview: the media tap, the pipeline and the sink, composed.

Each part has one job, and its docstring says how it does it:

* :mod:`agent.proctor.media` (:class:`~agent.proctor.media.MediaTap`): follows the
  candidate in the room, reads exactly the judged camera and microphone, samples frames
  by time (skipped, never queued, while the engine is busy), cuts the audio for the turn
  listeners and the voice engine, and reports the track and presence conditions.
* :mod:`agent.proctor.pipeline` (:class:`~agent.proctor.pipeline.ProctorPipeline`): judges
  frames and speech in the engine thread pool, feeds the readings and conditions to the
  monitor in order, ticks the heartbeat.
* :mod:`agent.proctor.sink` (:class:`~agent.proctor.sink.AnomalySink`): sends each anomaly
  start and end to the proctors first, then stores it (a face start with its snapshot).

The path of one anomaly through them is docs/architecture.md, "One anomaly".

Statistics (frames seen, analyzed, dropped while busy; the lag from sampling a frame to
acting on its readings) are logged, with the interview id only, when the job ends:
``proctorai bench capacity`` reads them from the worker's log.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor

from livekit import rtc

from agent.proctor.media import AudioListener, MediaTap
from agent.proctor.pipeline import ProctorPipeline
from agent.proctor.publisher import ProctorPublisher
from agent.proctor.sampling import FrameSampler
from agent.proctor.signals import FaceSignals, VoiceSignals
from agent.proctor.sink import AnomalySink
from agent.proctor.snapshots import SnapshotUploader
from agent.proctor.stats import FrameStats
from agent.records import InterviewRecords
from contracts.anomaly import JudgedTracks
from proctoring.monitor import ProctoringMonitor

logger = logging.getLogger("proctorai.agent.live")

STATS_MESSAGE = "proctor frame stats"
"""The message of the closing statistics line (``proctorai.bench.agent`` looks for it)."""


class LiveProctor:
    """Watches one candidate; call :meth:`start`, later :meth:`aclose`."""

    def __init__(
        self,
        *,
        room: rtc.Room,
        candidate_identity: str,
        monitor: ProctoringMonitor,
        publisher: ProctorPublisher,
        records: InterviewRecords,
        face: FaceSignals,
        voice: VoiceSignals | None,
        executor: Executor,
        snapshots: SnapshotUploader | None = None,
        frame_rate: float = 2.0,
        burst_rate: float = 5.0,
        heartbeat_interval: float = 3.0,
    ) -> None:
        self._monitor = monitor
        self._sampler = FrameSampler(frame_rate, max(burst_rate, frame_rate))
        self.stats = FrameStats()
        sink = AnomalySink(publisher=publisher, records=records, snapshots=snapshots)
        self._pipeline = ProctorPipeline(
            monitor=monitor,
            sink=sink,
            face=face,
            voice=voice,
            executor=executor,
            sampler=self._sampler,
            stats=self.stats,
            heartbeat_interval=heartbeat_interval,
        )
        self._tap = MediaTap(
            room=room,
            candidate_identity=candidate_identity,
            judge=self._pipeline,
            sampler=self._sampler,
            stats=self.stats,
        )
        self.present: asyncio.Event = self._tap.present
        """Set while the candidate is in the room (the interviewers wait on it)."""
        self._closing: asyncio.Future[None] | None = None

    def add_audio_listener(self, listener: AudioListener) -> None:
        """Receive every 30 ms frame of the candidate's microphone (16 kHz, int16 bytes)."""
        self._tap.add_audio_listener(listener)

    def start(self) -> None:
        self._tap.start()
        self._pipeline.start(judged=lambda: self._tap.judged)

    @property
    def judged(self) -> JudgedTracks:
        """The track sids judged now, as the heartbeat names them."""
        return self._tap.judged

    async def aclose(self) -> None:
        """Stop reading media and end every open anomaly (each start gets its end).

        Every caller waits for the one close: the job's normal end and a shutdown cleanup
        may both call it, and neither may go on (drain the outbox, report "completed")
        before the anomaly ends are queued.
        """
        if self._closing is None:
            self._tap.stop_following()
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        self.stats.bursts = self._sampler.bursts
        logger.info(
            STATS_MESSAGE,
            extra={"interview_id": self._monitor.interview_id, **self.stats.summary()},
        )
        await asyncio.gather(self._tap.stop(), self._pipeline.stop_heartbeat())
        await self._pipeline.close()
        self._tap.detach()
