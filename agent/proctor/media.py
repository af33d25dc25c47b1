"""The media tap: which of the candidate's tracks are read, and how they are read.

Only the candidate's judged camera and judged microphone are subscribed and read: the
candidate may publish several of each, and :mod:`agent.proctor.tracks` says which one is
judged (the first published still there). Each is read from exactly that track
(``VideoStream.from_track``; ``from_participant(track_source=...)`` would pick one of
several by itself, so the verdicts could be about a feed nobody can name). Any other
camera or microphone raises ``extra_camera`` / ``extra_microphone`` while it is
published, with the judged and the extra sids as evidence, and every heartbeat names the
judged sids (:attr:`MediaTap.judged`), so the proctor's page shows the camera the
verdicts are about. The extras are not muted through the server API: the candidate's
client may unmute them at once, so it would stop nothing reliably, and the proctor may
want to look at them (the page labels them as not checked by the agent). The judged
camera, the judged microphone and the candidate's presence are reported as conditions to
the judge (the pipeline, :mod:`agent.proctor.pipeline`) as they change.

Video is sampled by time: the stream keeps only the newest frame (``capacity=1``), and
every ``1 / frame_rate`` seconds (:class:`~agent.proctor.sampling.FrameSampler`, which
the pipeline makes burst while a face anomaly waits to be confirmed) that frame is
converted to RGB and handed to the judge; while a judgement is still running, frames are
skipped, never queued, so one candidate never has more than one frame in the engine.
Frames of a muted camera are not judged (they are black or frozen, and camera_off
already says what is going on).

Audio arrives as 16 kHz mono 90 ms reads; each 30 ms frame of them goes to the turn
listeners (the offline interviewer's VAD), and the audio into a buffer handed to the
voice engine a second at a time. When the voice engine falls so far behind that buffered
audio must be dropped, the engine is told that a gap precedes the next chunk: the audio
on either side of it is never analyzed as one stretch of speech (that splice once looked
like a second voice). Step 1 of docs/architecture.md, "One anomaly".
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np
from livekit import rtc
from livekit.rtc.room import EventTypes
from numpy.typing import NDArray
from pydantic import JsonValue

from agent.proctor.sampling import FrameSampler
from agent.proctor.signals import SignalReading
from agent.proctor.stats import FrameStats
from agent.proctor.tracks import JudgedTrack
from agent.stream_close import close_stream
from contracts.anomaly import AnomalyType, JudgedTracks

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


class Judge(Protocol):
    """What the tap hands the media and the conditions to (:mod:`agent.proctor.pipeline`).

    The futures returned are done when the engine has finished: the tap skips frames, and
    buffers audio, while one is still running.
    """

    @property
    def judges_voice(self) -> bool: ...

    def judge_frame(
        self, rgb: NDArray[np.uint8], sampled_at: float, track_sid: str
    ) -> asyncio.Future[list[SignalReading]]: ...

    def judge_voice(
        self, pcm: NDArray[np.int16], t: float, gap: bool, track_sid: str
    ) -> asyncio.Future[list[SignalReading]]: ...

    def condition(
        self,
        signal: AnomalyType,
        active: bool,
        evidence: dict[str, JsonValue],
        t: float | None = None,
    ) -> None: ...


class MediaTap:
    """Follows the candidate in the room and reads its judged camera and microphone."""

    def __init__(
        self,
        *,
        room: rtc.Room,
        candidate_identity: str,
        judge: Judge,
        sampler: FrameSampler,
        stats: FrameStats,
    ) -> None:
        self._room = room
        self._identity = candidate_identity
        self._judge = judge
        self._sampler = sampler
        self._stats = stats
        self._camera_muted = False
        self._judged = {source: JudgedTrack() for source in SOURCE_CONDITIONS}
        # per source: the track being read and its reader
        self._readers: dict[int, tuple[rtc.Track, asyncio.Task[None]]] = {}
        self._audio_listeners: list[AudioListener] = []
        self.present = asyncio.Event()
        """Set while the candidate is in the room."""
        self._closed = False

    # -- wiring --------------------------------------------------------------------

    def add_audio_listener(self, listener: AudioListener) -> None:
        """Receive every 30 ms frame of the candidate's microphone (16 kHz, int16 bytes)."""
        self._audio_listeners.append(listener)

    def _room_handlers(self) -> list[tuple[EventTypes, Callable[..., None]]]:
        """The room events followed, and their handlers (attached and detached as one)."""
        return [
            ("participant_connected", self._on_participant_connected),
            ("participant_disconnected", self._on_participant_disconnected),
            ("track_published", self._on_track_change),
            ("track_unpublished", self._on_track_change),
            ("track_subscribed", self._on_track_subscribed),
            ("track_muted", self._on_mute_change),
            ("track_unmuted", self._on_mute_change),
        ]

    def start(self) -> None:
        room = self._room
        for event, handler in self._room_handlers():
            room.on(event, handler)
        participant = room.remote_participants.get(self._identity)
        if participant is not None:
            self._attach(participant)
        else:
            self._judge.condition(AnomalyType.CANDIDATE_LEFT, True, {})

    def stop_following(self) -> None:
        """From now on the room's events change nothing (the close has begun)."""
        self._closed = True

    async def stop(self) -> None:
        """Stop reading media: cancel the readers and wait until they are done."""
        running = [task for _, task in self._readers.values()]
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._readers = {}

    def detach(self) -> None:
        """Stop listening to the room (the last step of the close)."""
        for event, handler in self._room_handlers():
            self._room.off(event, handler)

    @property
    def judged(self) -> JudgedTracks:
        """The track sids judged now, as the heartbeat names them."""
        return JudgedTracks(
            camera=self._judged[CAMERA].judged, microphone=self._judged[MICROPHONE].judged
        )

    def _attach(self, participant: rtc.RemoteParticipant) -> None:
        """Subscribe to the candidate's judged camera and microphone and read them."""
        self.present.set()
        self._stop_readers()  # a rejoin: its tracks are new ones
        self._judge.condition(AnomalyType.CANDIDATE_LEFT, False, {})
        self._refresh_tracks(participant)

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
                self._judge.condition(signal, False, {}, now)
        self._judge.condition(AnomalyType.CANDIDATE_LEFT, True, {}, now)

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
            self._judge.condition(off, not live, {"reason": "unpublished_or_muted"})
            # the sids when the extra first appeared (a started anomaly keeps its evidence)
            evidence: dict[str, JsonValue] = {
                "judged_track_sid": choice.judged,
                "extra_track_sids": list(choice.extras),
            }
            self._judge.condition(extra, bool(choice.extras), evidence)
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
        stats = self._stats
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
                in_flight = self._judge.judge_frame(rgb, t, track.sid)
        finally:
            await close_stream(stream)  # bounded: see agent.stream_close

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
                if not self._judge.judges_voice:
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
                        self._stats.audio_dropped_seconds += dropped / AUDIO_RATE
                    continue
                samples = np.frombuffer(b"".join(chunk), dtype=np.int16).copy()
                chunk, chunk_samples = [], 0
                in_flight = self._judge.judge_voice(samples, t, gap, track.sid)
                gap = False
        finally:
            await close_stream(stream)  # bounded: see agent.stream_close


def _prefer_analysis_layer(publication: rtc.RemoteTrackPublication) -> None:
    """Receive the simulcast layer the face engine needs, not the proctor's full view.

    Every received frame is decoded, 15-30 a second, although 2 are judged: decoding a
    720p camera costs several times what a 360p layer does, per candidate. The engine
    brings frames to 640 px wide for its whole-frame search (enlarging a smaller layer),
    so a layer of ~360 px high loses little for a seated candidate. Browsers
    (livekit-client) publish 720p as 180p/360p/720p layers; a camera under
    ``HIGH_LAYER_MIN_HEIGHT`` keeps its full layer (a 480p camera's middle layer is only
    240 px high).
    """
    if not publication.simulcasted or publication.height < HIGH_LAYER_MIN_HEIGHT:
        return
    with contextlib.suppress(ValueError):
        publication.set_video_quality(rtc.VideoQuality.VIDEO_QUALITY_MEDIUM)


def _to_rgb(frame: rtc.VideoFrame) -> NDArray[np.uint8]:
    """Convert one sampled frame (only sampled ones) to an RGB array."""
    rgb = frame.convert(rtc.VideoBufferType.RGB24)
    return np.frombuffer(rgb.data, dtype=np.uint8).reshape(rgb.height, rgb.width, 3).copy()
