"""The offline interviewer's voice in the room: one published audio track.

Samples are pushed in 100 ms frames into an :class:`rtc.AudioSource`, whose bounded queue
paces the push at real time (10 ms frames cost ten times the calls into the WebRTC stack
for the same audio: measurable CPU when one worker speaks in many rooms).
:meth:`RoomSpeaker.say` returns once the audio has played out, so the interviewer knows
when its question has been heard in full.
"""

from __future__ import annotations

import contextlib
import time

import numpy as np
from livekit import rtc
from numpy.typing import NDArray

RATE = 48000
_FRAME = RATE // 10  # 100 ms


class RoomSpeaker:
    """Publishes the interviewer's microphone track and speaks into it."""

    def __init__(self, room: rtc.Room) -> None:
        self._room = room
        self._source = rtc.AudioSource(RATE, 1, queue_size_ms=500)
        self._track: rtc.LocalAudioTrack | None = None

    async def publish(self) -> None:
        self._track = rtc.LocalAudioTrack.create_audio_track("interviewer", self._source)
        await self._room.local_participant.publish_track(
            self._track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )

    async def say(self, samples: NDArray[np.int16]) -> tuple[float, float]:
        """Play ``samples`` (48 kHz mono); return the wall-clock start and end times."""
        started = time.time()
        for offset in range(0, samples.size, _FRAME):
            chunk = samples[offset : offset + _FRAME]
            if chunk.size < _FRAME:
                chunk = np.concatenate([chunk, np.zeros(_FRAME - chunk.size, dtype=np.int16)])
            await self._source.capture_frame(rtc.AudioFrame(chunk.tobytes(), RATE, 1, _FRAME))
        await self._source.wait_for_playout()
        return started, time.time()

    async def aclose(self) -> None:
        if self._track is not None:
            with contextlib.suppress(Exception):  # the room may be gone at shutdown
                await self._room.local_participant.unpublish_track(self._track.sid)
        await self._source.aclose()
