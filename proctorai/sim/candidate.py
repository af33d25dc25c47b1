"""A simulated candidate: a real LiveKit rtc client with a camera and a microphone.

It publishes 640x480 camera frames built from real face photos at about 10 fps,
switching photos on a scripted timeline (the enrolled person, an impostor, two people,
nobody), and real speech at 48 kHz. By default it answers like a person would: it
listens to the interviewer's audio and, once a question has been asked and the
interviewer has fallen silent, speaks the next few seconds of its speech, then waits
for the next question. It records every data message it receives (a candidate must
receive none) and the wall-clock time of each timeline switch (to measure latency).

It can also publish a second camera and a second microphone beside the first ones
(:meth:`SimulatedCandidate.publish_extra_camera`, ...), as a candidate with another
device in the room could: the agent judges only one of each and must say so.

A driver can also take over from the timeline at any moment (the demo does):
:meth:`SimulatedCandidate.show` puts a named frame on the camera, and
:meth:`SimulatedCandidate.speak` plays a recording on the microphone continuously (looped,
whatever the interviewer does: someone else talking for the candidate, or a long
answer), until ``speak(None)`` returns to answering question by question.

Used by the end-to-end tests, the benchmarks and the demo.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

import numpy as np
from livekit import rtc
from numpy.typing import NDArray

from proctorai.sim.media import AUDIO_RATE, FRAME_HEIGHT, FRAME_WIDTH

logger = logging.getLogger("proctorai.sim.candidate")

_AUDIO_FRAME = AUDIO_RATE // 100  # 10 ms
_LISTEN_RATE = 16000
_LOUD_DBFS = -45.0


@dataclass(frozen=True)
class FaceCue:
    """From ``at`` seconds after start, show the frame named ``frame``."""

    at: float
    frame: str


@dataclass
class ReceivedData:
    topic: str
    payload: bytes
    sender: str | None
    at: float


@dataclass
class CandidateScript:
    """What the candidate shows and says."""

    frames: dict[str, bytes]  # name -> 640x480 RGBA
    faces: list[FaceCue]
    speech: NDArray[np.int16]  # 48 kHz mono, consumed answer by answer
    answer_seconds: float = 4.0
    fps: float = 10.0
    respond_to_interviewer: bool = True
    silence_before_answer: float = 0.8


@dataclass
class CandidateLog:
    switched_at: dict[int, float] = field(default_factory=dict)  # cue index -> epoch time
    answers: list[tuple[float, float]] = field(default_factory=list)
    received: list[ReceivedData] = field(default_factory=list)
    started_at: float = 0.0
    shown: list[tuple[str, float]] = field(default_factory=list)  # show(): frame, epoch time


class SimulatedCandidate:
    """Connects, publishes camera and microphone per the script, until :meth:`stop`."""

    def __init__(self, url: str, token: str, script: CandidateScript) -> None:
        self.url = url
        self.token = token
        self.script = script
        self.log = CandidateLog()
        self.room = rtc.Room()
        self._tasks: list[asyncio.Task[None]] = []
        self._speech_pos = 0
        self._interviewer_spoke = False
        self._last_loud = 0.0
        self._answering = False
        self._video_source = rtc.VideoSource(FRAME_WIDTH, FRAME_HEIGHT)
        self._audio_source = rtc.AudioSource(AUDIO_RATE, 1, queue_size_ms=200)
        self.camera_track: rtc.LocalVideoTrack | None = None
        self.mic_track: rtc.LocalAudioTrack | None = None
        self._stopped = False
        self._script_start: float | None = None
        self._shown: str | None = None  # frame forced by show(), over the timeline
        self._continuous: NDArray[np.int16] | None = None  # recording forced by speak()
        self.extra_camera: rtc.LocalVideoTrack | None = None
        self.extra_microphone: rtc.LocalAudioTrack | None = None
        self._extra_tasks: dict[str, asyncio.Task[None]] = {}  # track sid -> its feeder

    async def start(self, *, begin_script: bool = True) -> None:
        """Connect and publish; ``begin_script=False`` holds the face timeline at its first
        cue until :meth:`begin_script` (tests wait for the agent's enrollment first)."""
        self.room.on("data_received", self._on_data)
        self.room.on("track_subscribed", self._on_track)
        await self.room.connect(self.url, self.token)
        self.camera_track = rtc.LocalVideoTrack.create_video_track("camera", self._video_source)
        self.mic_track = rtc.LocalAudioTrack.create_audio_track("microphone", self._audio_source)
        await self.room.local_participant.publish_track(
            self.camera_track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
        )
        await self.room.local_participant.publish_track(
            self.mic_track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )
        self.log.started_at = time.time()
        if begin_script:
            self.begin_script()
        self._tasks = [
            asyncio.create_task(self._video_loop(), name="sim-video"),
            asyncio.create_task(self._audio_loop(), name="sim-audio"),
        ]

    def _on_data(self, packet: rtc.DataPacket) -> None:
        sender = packet.participant.identity if packet.participant else None
        self.log.received.append(
            ReceivedData(packet.topic or "", bytes(packet.data), sender, time.time())
        )

    def _on_track(
        self,
        track: rtc.Track,
        publication: rtc.RemoteTrackPublication,
        participant: rtc.RemoteParticipant,
    ) -> None:
        if track.kind == rtc.TrackKind.KIND_AUDIO and self.script.respond_to_interviewer:
            self._tasks.append(asyncio.create_task(self._listen(track), name="sim-listen"))

    async def _listen(self, track: rtc.Track) -> None:
        """Note when the interviewer is speaking (level above -45 dBFS)."""
        stream = rtc.AudioStream(track, sample_rate=_LISTEN_RATE, num_channels=1, capacity=50)
        try:
            async for event in stream:
                samples = np.frombuffer(event.frame.data, dtype=np.int16).astype(np.float32)
                rms = float(np.sqrt(np.mean(samples**2))) / 32768.0 if samples.size else 0.0
                if rms > 0 and 20 * np.log10(rms) > _LOUD_DBFS:
                    self._last_loud = time.monotonic()
                    if not self._answering:
                        self._interviewer_spoke = True
        finally:
            await stream.aclose()

    def frame_index_at(self, elapsed: float) -> int:
        index = 0
        for i, cue in enumerate(self.script.faces):
            if cue.at <= elapsed:
                index = i
        return index

    def begin_script(self) -> None:
        """Start the face timeline now (until then the first cue's frame is shown)."""
        self._script_start = time.monotonic()

    def show(self, frame: str | None) -> None:
        """Put the frame named ``frame`` on the camera from now on (``None``: back to the
        timeline); the next captured frame (within 1/fps) is it."""
        if frame is not None and frame not in self.script.frames:
            raise KeyError(f"no frame named {frame!r}")
        self._shown = frame
        self.log.shown.append((frame or "", time.time()))

    def speak(self, speech: NDArray[np.int16] | None) -> None:
        """Play ``speech`` (48 kHz mono) on the microphone continuously, looped, from now on;
        ``None``: stop at once and go back to answering the interviewer's questions."""
        self._continuous = None if speech is None or speech.size == 0 else speech

    async def _video_loop(self) -> None:
        interval = 1.0 / self.script.fps
        start = time.monotonic()
        current = -1
        frames = {
            name: rtc.VideoFrame(FRAME_WIDTH, FRAME_HEIGHT, rtc.VideoBufferType.RGBA, data)
            for name, data in self.script.frames.items()
        }
        tick = 0
        while True:
            elapsed = time.monotonic() - start
            script_start = self._script_start
            index = (
                0 if script_start is None else self.frame_index_at(time.monotonic() - script_start)
            )
            if index != current:
                current = index
                self.log.switched_at[index] = time.time()
            shown = self._shown
            frame = frames[shown if shown is not None else self.script.faces[index].frame]
            self._video_source.capture_frame(frame, timestamp_us=int(elapsed * 1e6))
            tick += 1
            await asyncio.sleep(max(0.0, start + tick * interval - time.monotonic()))

    def _next_answer(self) -> NDArray[np.int16]:
        speech = self.script.speech
        length = int(self.script.answer_seconds * AUDIO_RATE)
        if speech.size == 0:
            return np.zeros(0, dtype=np.int16)
        if self._speech_pos + length > speech.size:
            self._speech_pos = 0
        chunk = speech[self._speech_pos : self._speech_pos + length]
        self._speech_pos += length
        return chunk

    def _continuous_chunk(self, playing: NDArray[np.int16], position: int) -> NDArray[np.int16]:
        """The next 10 ms of a looped recording."""
        end = position + _AUDIO_FRAME
        if end <= playing.size:
            return playing[position:end]
        return np.concatenate([playing[position:], playing[: end - playing.size]])

    async def _audio_loop(self) -> None:
        silence = np.zeros(_AUDIO_FRAME, dtype=np.int16)
        pending: NDArray[np.int16] = np.zeros(0, dtype=np.int16)
        answer_started = 0.0
        playing: NDArray[np.int16] | None = None
        position = 0
        while True:
            continuous = self._continuous
            if continuous is not None:
                if continuous is not playing:  # a new recording starts from its beginning
                    playing, position = continuous, 0
                    pending = np.zeros(0, dtype=np.int16)
                    self._answering = True  # the interviewer's voice queues no answer
                    self._interviewer_spoke = False
                chunk = self._continuous_chunk(continuous, position)
                position = (position + _AUDIO_FRAME) % continuous.size
                frame = rtc.AudioFrame(chunk.tobytes(), AUDIO_RATE, 1, _AUDIO_FRAME)
                await self._audio_source.capture_frame(frame)
                continue
            if playing is not None:  # speak(None): back to answering
                playing = None
                self._answering = False
            if pending.size == 0 and self._answering:
                self._answering = False
                self.log.answers.append((answer_started, time.time()))
            quiet_for = time.monotonic() - self._last_loud
            if (
                pending.size == 0
                and self._interviewer_spoke
                and quiet_for >= self.script.silence_before_answer
            ):
                self._interviewer_spoke = False
                pending = self._next_answer()
                self._answering = pending.size > 0
                answer_started = time.time()
            if pending.size:
                chunk, pending = pending[:_AUDIO_FRAME], pending[_AUDIO_FRAME:]
                if chunk.size < _AUDIO_FRAME:
                    chunk = np.concatenate([chunk, silence[: _AUDIO_FRAME - chunk.size]])
            else:
                chunk = silence
            frame = rtc.AudioFrame(chunk.tobytes(), AUDIO_RATE, 1, _AUDIO_FRAME)
            await self._audio_source.capture_frame(frame)  # paced by the source's queue

    async def mute_camera(self, muted: bool) -> None:
        """What the camera button of a call does: the track stays published, muted."""
        assert self.camera_track is not None
        if muted:
            self.camera_track.mute()
        else:
            self.camera_track.unmute()

    async def mute_microphone(self, muted: bool) -> None:
        assert self.mic_track is not None
        if muted:
            self.mic_track.mute()
        else:
            self.mic_track.unmute()

    async def unpublish_camera(self) -> None:
        """The camera track is withdrawn altogether (a browser losing its camera)."""
        assert self.camera_track is not None
        await self.room.local_participant.unpublish_track(self.camera_track.sid)
        self.camera_track = None

    async def publish_camera(self) -> None:
        """A new camera track on the same source (the camera is back)."""
        self.camera_track = rtc.LocalVideoTrack.create_video_track("camera", self._video_source)
        await self.room.local_participant.publish_track(
            self.camera_track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
        )

    async def publish_extra_camera(self, frame: str) -> str:
        """A second camera track (another device), showing the frame named ``frame`` at the
        script's rate whatever the timeline does; returns its track sid."""
        assert self.extra_camera is None, "one extra camera at a time"
        source = rtc.VideoSource(FRAME_WIDTH, FRAME_HEIGHT)
        picture = rtc.VideoFrame(
            FRAME_WIDTH, FRAME_HEIGHT, rtc.VideoBufferType.RGBA, self.script.frames[frame]
        )
        track = rtc.LocalVideoTrack.create_video_track("camera-2", source)
        await self.room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
        )
        self.extra_camera = track
        self._extra_tasks[track.sid] = asyncio.create_task(
            self._still_loop(source, picture), name="sim-extra-video"
        )
        return track.sid

    async def unpublish_extra_camera(self) -> None:
        assert self.extra_camera is not None
        await self._unpublish_extra(self.extra_camera.sid)
        self.extra_camera = None

    async def publish_extra_microphone(self) -> str:
        """A second microphone track (another device), playing silence; returns its sid."""
        assert self.extra_microphone is None, "one extra microphone at a time"
        source = rtc.AudioSource(AUDIO_RATE, 1, queue_size_ms=200)
        track = rtc.LocalAudioTrack.create_audio_track("microphone-2", source)
        await self.room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )
        self.extra_microphone = track
        self._extra_tasks[track.sid] = asyncio.create_task(
            self._silence_loop(source), name="sim-extra-audio"
        )
        return track.sid

    async def unpublish_extra_microphone(self) -> None:
        assert self.extra_microphone is not None
        await self._unpublish_extra(self.extra_microphone.sid)
        self.extra_microphone = None

    async def _unpublish_extra(self, sid: str) -> None:
        task = self._extra_tasks.pop(sid)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await self.room.local_participant.unpublish_track(sid)

    async def _still_loop(self, source: rtc.VideoSource, picture: rtc.VideoFrame) -> None:
        interval = 1.0 / self.script.fps
        start = time.monotonic()
        tick = 0
        while True:
            source.capture_frame(picture, timestamp_us=int((time.monotonic() - start) * 1e6))
            tick += 1
            await asyncio.sleep(max(0.0, start + tick * interval - time.monotonic()))

    async def _silence_loop(self, source: rtc.AudioSource) -> None:
        silence = rtc.AudioFrame(bytes(_AUDIO_FRAME * 2), AUDIO_RATE, 1, _AUDIO_FRAME)
        try:
            while True:
                await source.capture_frame(silence)  # paced by the source's queue
        finally:
            await source.aclose()

    async def leave(self) -> None:
        """Disconnect from the room (closing the tab); media stops with it."""
        await self.stop()

    async def stop(self) -> None:
        """Stop publishing and disconnect; calling it again does nothing."""
        if self._stopped:
            return
        self._stopped = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        for sid in list(self._extra_tasks):
            task = self._extra_tasks.pop(sid)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.room.disconnect()
        await self._audio_source.aclose()
