"""The live proctoring pipeline of one interview.

Media: only the candidate's judged camera and judged microphone are subscribed and read:
the candidate may publish several of each, and :mod:`agent.proctor.tracks` says which one
is judged (the first published still there). Each is read from exactly that track
(``VideoStream.from_track``; ``from_participant(track_source=...)`` would pick one of
several by itself, so the verdicts could be about a feed nobody can name). Any other
camera or microphone raises ``extra_camera`` / ``extra_microphone`` while it is published,
with the judged and the extra sids as evidence, and every heartbeat names the judged sids,
so the proctor's page shows the camera the verdicts are about. The extras are not muted
through the server API: the candidate's client may unmute them at once, so it would stop
nothing reliably, and the proctor may want to look at them (the page labels them as not
checked by the agent). Video is sampled by
time: the stream keeps only the newest frame (``capacity=1``), and every
``1 / FRAME_RATE`` seconds that frame is converted to RGB and judged in a worker thread;
while a judgement is still running, frames are skipped, never queued, so one candidate
never has more than one frame in the engine. After a face reading that points at an
anomaly not yet confirmed, frames are sampled faster for a moment
(:class:`~agent.proctor.sampling.FrameSampler`) so the smoother gets its confirming
readings sooner. Frames of a muted camera are not judged (they are black or frozen, and
camera_off already says what is going on). Audio arrives as
16 kHz mono 90 ms reads; each 30 ms frame of them goes to the turn listeners (the offline
interviewer's VAD), and the audio into a buffer the voice analyzer drains in a worker
thread. When the voice engine falls so far behind that buffered audio must be dropped,
the engine is told that a gap precedes the next chunk: the audio on either side of it is
never analyzed as one stretch of speech (that splice once looked like a second voice).

Conditions: the judged camera or microphone unpublished or muted, an extra one published,
and the candidate leaving, are reported to the monitor as they happen; the heartbeat tick
lets them mature.

Out: every anomaly start and end goes at once to the proctors (and only to them) and
into the outbox; a face anomaly's start also gets a snapshot, whose URL is added to the
stored record (and to the ``ended`` message). The message to the proctors goes first:
encoding and uploading the snapshot happen after it, off the critical path.

Statistics (frames seen, analyzed, dropped while busy; the lag from sampling a frame to
acting on its readings) are logged, with the interview id only, when the job ends:
``python -m proctorai.bench.agent capacity`` reads them from the worker's log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor

import numpy as np
from livekit import rtc
from numpy.typing import NDArray
from pydantic import JsonValue

from agent.proctor.publisher import ProctorPublisher
from agent.proctor.sampling import FrameSampler
from agent.proctor.signals import FaceSignals, SignalReading, VoiceSignals
from agent.proctor.snapshots import SnapshotUploader
from agent.proctor.stats import FrameStats
from agent.proctor.tracks import JudgedTrack
from agent.records import InterviewRecords
from agent.stream_close import close_stream
from contracts.anomaly import AnomalyEvent, AnomalyState, AnomalyType, JudgedTracks
from proctoring.monitor import ProctoringMonitor
from proctoring.smoothing import Reading

logger = logging.getLogger("proctorai.agent.live")

FACE_TYPES = frozenset({AnomalyType.FACE_MISMATCH, AnomalyType.MULTIPLE_FACES, AnomalyType.NO_FACE})
BURST_TYPES = frozenset({AnomalyType.FACE_MISMATCH, AnomalyType.MULTIPLE_FACES})
AUDIO_RATE = 16000
AUDIO_FRAME_MS = 30
AUDIO_FRAMES_PER_READ = 3  # read 90 ms at a time: a third of the calls, +60 ms at most
VOICE_CHUNK_SECONDS = 1.0
HIGH_LAYER_MIN_HEIGHT = 600  # cameras this tall are received at their middle layer
VOICE_MAX_BUFFER_SECONDS = 10.0

AudioListener = Callable[[bytes, float], None]
CAMERA = rtc.TrackSource.SOURCE_CAMERA
MICROPHONE = rtc.TrackSource.SOURCE_MICROPHONE
# per source: the condition of its judged track missing or muted, and of extra tracks
SOURCE_CONDITIONS = {
    CAMERA: (AnomalyType.CAMERA_OFF, AnomalyType.EXTRA_CAMERA),
    MICROPHONE: (AnomalyType.MIC_OFF, AnomalyType.EXTRA_MICROPHONE),
}


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
        self._room = room
        self._identity = candidate_identity
        self._monitor = monitor
        self._publisher = publisher
        self._records = records
        self._face = face
        self._voice = voice
        self._executor = executor
        self._snapshots = snapshots
        self._sampler = FrameSampler(frame_rate, max(burst_rate, frame_rate))
        self._camera_muted = False
        self._heartbeat_interval = heartbeat_interval
        self._lock = asyncio.Lock()  # events are handled in order
        self._tasks: set[asyncio.Task[None]] = set()
        self._judged = {source: JudgedTrack() for source in SOURCE_CONDITIONS}
        # per source: the track being read and its reader
        self._readers: dict[int, tuple[rtc.Track, asyncio.Task[None]]] = {}
        self._background: asyncio.Task[None] | None = None
        self._snapshot_evidence: dict[str, dict[str, JsonValue]] = {}
        self._snapshot_tasks: dict[str, asyncio.Task[None]] = {}
        self._last_rgb: NDArray[np.uint8] | None = None
        self._audio_listeners: list[AudioListener] = []
        self.present = asyncio.Event()
        self.stats = FrameStats()
        self._closed = False
        self._closing: asyncio.Future[None] | None = None

    # -- wiring --------------------------------------------------------------------

    def add_audio_listener(self, listener: AudioListener) -> None:
        """Receive every 30 ms frame of the candidate's microphone (16 kHz, int16 bytes)."""
        self._audio_listeners.append(listener)

    def start(self) -> None:
        room = self._room
        room.on("participant_connected", self._on_participant_connected)
        room.on("participant_disconnected", self._on_participant_disconnected)
        room.on("track_published", self._on_track_change)
        room.on("track_unpublished", self._on_track_change)
        room.on("track_subscribed", self._on_track_subscribed)
        room.on("track_muted", self._on_mute_change)
        room.on("track_unmuted", self._on_mute_change)
        participant = room.remote_participants.get(self._identity)
        if participant is not None:
            self._attach(participant)
        else:
            self._spawn(self._condition(AnomalyType.CANDIDATE_LEFT, True, {}))
        self._background = asyncio.create_task(self._heartbeat_loop(), name="proctor-heartbeat")

    def _spawn(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _attach(self, participant: rtc.RemoteParticipant) -> None:
        """Subscribe to the candidate's judged camera and microphone and read them."""
        self.present.set()
        self._stop_readers()  # a rejoin: its tracks are new ones
        self._spawn(self._condition(AnomalyType.CANDIDATE_LEFT, False, {}))
        self._refresh_tracks(participant)

    @property
    def judged(self) -> JudgedTracks:
        """The track sids judged now, as the heartbeat names them."""
        return JudgedTracks(
            camera=self._judged[CAMERA].judged, microphone=self._judged[MICROPHONE].judged
        )

    def _on_participant_connected(self, participant: rtc.RemoteParticipant) -> None:
        if participant.identity == self._identity and not self._closed:
            self._attach(participant)

    def _on_participant_disconnected(self, participant: rtc.RemoteParticipant) -> None:
        if participant.identity != self._identity or self._closed:
            return
        self.present.clear()
        self._stop_readers()
        now = time.time()
        for source, conditions in SOURCE_CONDITIONS.items():
            self._judged[source].update([])  # its tracks left with it
            for signal in conditions:
                self._spawn(self._condition(signal, False, {}, now))
        self._spawn(self._condition(AnomalyType.CANDIDATE_LEFT, True, {}, now))

    def _on_track_change(
        self, publication: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
    ) -> None:
        if participant.identity != self._identity or self._closed:
            return
        self._refresh_tracks(participant)

    def _on_track_subscribed(
        self,
        track: rtc.Track,
        publication: rtc.RemoteTrackPublication,
        participant: rtc.RemoteParticipant,
    ) -> None:
        if participant.identity == self._identity and not self._closed:
            self._read_judged(participant)

    def _on_mute_change(
        self, participant: rtc.Participant, publication: rtc.TrackPublication
    ) -> None:
        if participant.identity != self._identity or self._closed:
            return
        if isinstance(participant, rtc.RemoteParticipant):
            self._refresh_tracks(participant)

    def _refresh_tracks(self, participant: rtc.RemoteParticipant) -> None:
        """Choose the judged tracks again, report the conditions, read the judged tracks.

        Off means the *judged* track is missing or muted: another camera left on does not
        make up for it, since nothing on it is judged.
        """
        publications = participant.track_publications
        for source, (off, extra) in SOURCE_CONDITIONS.items():
            choice = self._judged[source].update(
                sid for sid, p in publications.items() if p.source == source
            )
            judged = publications.get(choice.judged) if choice.judged else None
            live = judged is not None and not judged.muted
            if source == CAMERA:
                self._camera_muted = not live
            self._spawn(self._condition(off, not live, {"reason": "unpublished_or_muted"}))
            # the sids when the extra first appeared (a started anomaly keeps its evidence)
            evidence: dict[str, JsonValue] = {
                "judged_track_sid": choice.judged,
                "extra_track_sids": list(choice.extras),
            }
            self._spawn(self._condition(extra, bool(choice.extras), evidence))
            if judged is not None:
                if not judged.subscribed:
                    judged.set_subscribed(True)  # extras stay unsubscribed: never decoded
                if source == CAMERA:
                    _prefer_analysis_layer(judged)
        self._read_judged(participant)

    def _read_judged(self, participant: rtc.RemoteParticipant) -> None:
        """Make each source's reader read its judged track (once subscribed), and only it."""
        for source, chooser in self._judged.items():
            sid = chooser.judged
            publication = participant.track_publications.get(sid) if sid else None
            track = publication.track if publication is not None else None
            reading = self._readers.get(source)
            if reading is not None and reading[0] is track and not reading[1].done():
                continue
            if reading is not None:
                reading[1].cancel()
                del self._readers[source]
            if track is None:
                continue  # not subscribed yet: track_subscribed calls back
            if source == CAMERA:
                task = asyncio.create_task(self._video_loop(track), name="proctor-video")
            else:
                task = asyncio.create_task(self._audio_loop(track), name="proctor-audio")
            self._readers[source] = (track, task)

    def _stop_readers(self) -> None:
        for _, task in self._readers.values():
            task.cancel()
        self._readers = {}

    # -- media loops ---------------------------------------------------------------

    async def _video_loop(self, track: rtc.Track) -> None:
        stream = rtc.VideoStream.from_track(track=track, capacity=1)
        in_flight: asyncio.Future[list[SignalReading]] | None = None
        stats = self.stats
        try:
            async for event in stream:
                stats.seen += 1
                if self._camera_muted:
                    continue  # a muted camera's frames say nothing about the candidate
                now = time.monotonic()
                if not self._sampler.due(now):
                    continue
                if in_flight is not None and not in_flight.done():
                    stats.dropped_busy += 1  # the engine is behind: drop, never queue
                    continue
                self._sampler.taken(now)
                t = time.time()
                rgb = _to_rgb(event.frame)
                in_flight = asyncio.get_running_loop().run_in_executor(
                    self._executor, self._timed_face, rgb, t
                )
                in_flight.add_done_callback(self._on_face_done(rgb, t, track.sid))
        finally:
            await close_stream(stream)  # bounded: see agent.stream_close

    def _on_face_done(
        self, rgb: NDArray[np.uint8], sampled_at: float, track_sid: str
    ) -> Callable[[asyncio.Future[list[SignalReading]]], None]:
        def callback(future: asyncio.Future[list[SignalReading]]) -> None:
            self._spawn(self._face_done(future, rgb, sampled_at, track_sid))

        return callback

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
        try:
            readings = future.result()
        except asyncio.CancelledError:
            return
        except Exception:
            logger.exception("face analysis failed")
            return
        self.stats.analyzed += 1
        self._last_rgb = rgb
        await self._observe(readings, track_sid)
        self._steer_sampling(readings)
        self.stats.lag_seconds.append(time.time() - sampled_at)

    def _steer_sampling(self, readings: list[SignalReading]) -> None:
        """Burst while a face reading points at an anomaly the monitor has not confirmed."""
        open_types = {e.type for e in self._monitor.open_anomalies()}
        waiting = any(
            r.signal in BURST_TYPES
            and r.reading is Reading.ANOMALOUS
            and r.signal not in open_types
            for r in readings
        )
        if waiting:
            self._sampler.burst(time.monotonic())
        else:
            self._sampler.calm()

    async def _audio_loop(self, track: rtc.Track) -> None:
        stream = rtc.AudioStream.from_track(
            track=track,
            sample_rate=AUDIO_RATE,
            num_channels=1,
            frame_size_ms=AUDIO_FRAME_MS * AUDIO_FRAMES_PER_READ,
            capacity=200,
        )
        chunk: list[bytes] = []
        chunk_samples = 0
        # audio was dropped since the last chunk handed to the voice engine; True at first:
        # this may be another microphone than the one read before
        gap = True
        in_flight: asyncio.Future[list[SignalReading]] | None = None
        listener_bytes = AUDIO_RATE * AUDIO_FRAME_MS // 1000 * 2
        try:
            async for event in stream:
                t = time.time()
                pcm = bytes(event.frame.data)
                if self._audio_listeners:
                    # the listeners (the offline interviewer's VAD) take 30 ms frames
                    count = len(pcm) // listener_bytes
                    for i in range(count):
                        frame = pcm[i * listener_bytes : (i + 1) * listener_bytes]
                        frame_t = t - (count - 1 - i) * AUDIO_FRAME_MS / 1000
                        for listener in self._audio_listeners:
                            listener(frame, frame_t)
                if self._voice is None:
                    continue
                chunk.append(pcm)
                chunk_samples += len(pcm) // 2
                if chunk_samples < VOICE_CHUNK_SECONDS * AUDIO_RATE:
                    continue
                if in_flight is not None and not in_flight.done():
                    # the voice engine is behind: keep buffering, but bounded; what is
                    # dropped is a gap the engine is told about (never spliced over)
                    while chunk_samples > VOICE_MAX_BUFFER_SECONDS * AUDIO_RATE:
                        dropped = len(chunk.pop(0)) // 2
                        chunk_samples -= dropped
                        gap = True
                        self.stats.audio_dropped_seconds += dropped / AUDIO_RATE
                    continue
                samples = np.frombuffer(b"".join(chunk), dtype=np.int16).copy()
                chunk, chunk_samples = [], 0
                in_flight = asyncio.get_running_loop().run_in_executor(
                    self._executor, self._timed_voice, samples, t, gap
                )
                gap = False
                in_flight.add_done_callback(
                    lambda fut: self._spawn(self._voice_done(fut, track.sid))
                )
        finally:
            await close_stream(stream)  # bounded: see agent.stream_close

    async def _voice_done(
        self, future: asyncio.Future[list[SignalReading]], track_sid: str
    ) -> None:
        try:
            readings = future.result()
        except asyncio.CancelledError:
            return
        except Exception:
            logger.exception("voice analysis failed")
            return
        await self._observe(readings, track_sid)

    # -- events --------------------------------------------------------------------

    async def _observe(self, readings: list[SignalReading], track_sid: str) -> None:
        """Feed the monitor; each reading's evidence names the track it was judged on."""
        async with self._lock:
            for r in readings:
                evidence = {**r.evidence, "track_sid": track_sid}
                events = self._monitor.observe(r.signal, r.t, r.reading, r.confidence, evidence)
                await self._emit(events)

    async def _condition(
        self,
        signal: AnomalyType,
        active: bool,
        evidence: dict[str, JsonValue],
        t: float | None = None,
    ) -> None:
        async with self._lock:
            await self._emit(self._monitor.set_condition(signal, active, t, evidence))

    async def _emit(self, events: list[AnomalyEvent]) -> None:
        """Publish to proctors at once, then store; a face start is stored with its snapshot.

        The API applies each (id, state) once, so the stored ``started`` record must carry
        the snapshot URL the first time: it is queued once the upload has finished (the
        upload is bounded by a timeout), and an ``ended`` that overtakes it waits for it.
        """
        for event in events:
            extra = self._snapshot_evidence.get(event.id)
            if extra:
                event = event.model_copy(update={"evidence": {**event.evidence, **extra}})
            await self._publisher.anomaly(event)
            if (
                event.state is AnomalyState.STARTED
                and event.type in FACE_TYPES
                and self._snapshots is not None
                and self._last_rgb is not None
            ):
                task = asyncio.create_task(self._snapshot_then_store(event, self._last_rgb))
                self._snapshot_tasks[event.id] = task
            elif event.id in self._snapshot_tasks and event.id not in self._snapshot_evidence:
                self._spawn(self._store_after_snapshot(event))
            else:
                await self._records.event(event)

    async def _snapshot_then_store(self, started: AnomalyEvent, rgb: NDArray[np.uint8]) -> None:
        assert self._snapshots is not None
        try:
            evidence = await self._snapshots.store(started.id, rgb)
        except Exception:
            logger.exception("snapshot failed")
            evidence = {"snapshot_error": "encode_failed"}
        self._snapshot_evidence[started.id] = evidence
        await self._records.event(
            started.model_copy(update={"evidence": {**started.evidence, **evidence}})
        )

    async def _store_after_snapshot(self, ended: AnomalyEvent) -> None:
        task = self._snapshot_tasks.get(ended.id)
        if task is not None:
            with contextlib.suppress(Exception):
                await task
        extra = self._snapshot_evidence.get(ended.id, {})
        await self._records.event(
            ended.model_copy(update={"evidence": {**ended.evidence, **extra}})
        )

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_interval)
            async with self._lock:
                await self._emit(self._monitor.tick())
                status = self._monitor.status().model_copy(update={"judged": self.judged})
            await self._publisher.heartbeat(status)

    async def aclose(self) -> None:
        """Stop reading media and end every open anomaly (each start gets its end).

        Every caller waits for the one close: the job's normal end and a shutdown cleanup
        may both call it, and neither may go on (drain the outbox, report "completed")
        before the anomaly ends are queued.
        """
        if self._closing is None:
            self._closed = True
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        self.stats.bursts = self._sampler.bursts
        logger.info(
            "proctor frame stats",
            extra={"interview_id": self._monitor.interview_id, **self.stats.summary()},
        )
        running = [task for _, task in self._readers.values()]
        running += [self._background] if self._background else []
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._readers = {}
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        async with self._lock:
            await self._emit(self._monitor.close())
        if self._snapshot_tasks:
            await asyncio.gather(*self._snapshot_tasks.values(), return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        room = self._room
        room.off("participant_connected", self._on_participant_connected)
        room.off("participant_disconnected", self._on_participant_disconnected)
        room.off("track_published", self._on_track_change)
        room.off("track_unpublished", self._on_track_change)
        room.off("track_subscribed", self._on_track_subscribed)
        room.off("track_muted", self._on_mute_change)
        room.off("track_unmuted", self._on_mute_change)


def _prefer_analysis_layer(publication: rtc.RemoteTrackPublication) -> None:
    """Receive the simulcast layer the face engine needs, not the proctor's full view.

    Every received frame is decoded, 15-30 a second, although 2 are judged: decoding a
    720p camera costs several times what a 360p layer does, per candidate. The engine
    shrinks frames to 480 px wide before its whole-frame search anyway, so a layer of
    ~360 px high loses nothing for a seated candidate. Browsers (livekit-client) publish
    720p as 180p/360p/720p layers; a camera under ``HIGH_LAYER_MIN_HEIGHT`` keeps its
    full layer (a 480p camera's middle layer is only 240 px high).
    """
    if not publication.simulcasted or publication.height < HIGH_LAYER_MIN_HEIGHT:
        return
    with contextlib.suppress(ValueError):
        publication.set_video_quality(rtc.VideoQuality.VIDEO_QUALITY_MEDIUM)


def _to_rgb(frame: rtc.VideoFrame) -> NDArray[np.uint8]:
    """Convert one sampled frame (only sampled ones) to an RGB array."""
    rgb = frame.convert(rtc.VideoBufferType.RGB24)
    return np.frombuffer(rgb.data, dtype=np.uint8).reshape(rgb.height, rgb.width, 3).copy()
