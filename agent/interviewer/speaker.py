"""The offline interviewer's voice in the room: an audio track published while it speaks.

Samples are pushed in 100 ms frames into an :class:`rtc.AudioSource`, whose bounded queue
paces the push at real time (10 ms frames cost ten times the calls into the WebRTC stack
for the same audio: measurable CPU when one worker speaks in many rooms).
:meth:`RoomSpeaker.say` returns once the audio has played out, so the interviewer knows
when its question has been heard in full.

The track is published for an utterance and unpublished once the interviewer has been
quiet for ``linger`` seconds. A published audio track costs its sender about 4% of a core
even when silent or muted (the WebRTC stack keeps encoding and pacing 10 ms frames), and
the interviewer is quiet most of an interview, while the candidate answers: on a worker
proctoring many candidates that idle encoding was a quarter of each job's CPU. Before
speaking on a fresh track the speaker waits (briefly) for a subscriber, so the first
words are not spoken before anyone receives them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import numpy as np
from livekit import rtc
from numpy.typing import NDArray

RATE = 48000
_FRAME = RATE // 10  # 100 ms


class RoomSpeaker:
    """Speaks into the room on a track that exists only while it is in use."""

    def __init__(
        self, room: rtc.Room, *, linger: float = 1.5, subscriber_wait: float = 2.0
    ) -> None:
        self._room = room
        self._linger = linger
        self._subscriber_wait = subscriber_wait
        self._source = rtc.AudioSource(RATE, 1, queue_size_ms=500)
        self._publication: rtc.LocalTrackPublication | None = None
        self._unpublish_later: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def publish(self) -> None:
        """Ready to speak (the track itself is published by :meth:`say`, when needed)."""

    async def _ensure_published(self) -> None:
        if self._publication is not None:
            return
        track = rtc.LocalAudioTrack.create_audio_track("interviewer", self._source)
        self._publication = await self._room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._publication.wait_for_subscription(), self._subscriber_wait)

    async def say(self, samples: NDArray[np.int16]) -> tuple[float, float]:
        """Play ``samples`` (48 kHz mono); return the wall-clock start and end times."""
        if self._unpublish_later is not None:
            self._unpublish_later.cancel()
            self._unpublish_later = None
        async with self._lock:
            await self._ensure_published()
            started = time.time()
            for offset in range(0, samples.size, _FRAME):
                chunk = samples[offset : offset + _FRAME]
                if chunk.size < _FRAME:
                    chunk = np.concatenate([chunk, np.zeros(_FRAME - chunk.size, dtype=np.int16)])
                await self._source.capture_frame(rtc.AudioFrame(chunk.tobytes(), RATE, 1, _FRAME))
            await self._source.wait_for_playout()
            ended = time.time()
            self._unpublish_later = asyncio.create_task(self._unpublish_after(self._linger))
            return started, ended

    async def _unpublish_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        async with self._lock:
            # shielded: a say() cancelling this task must not cut an unpublish in half
            await asyncio.shield(self._unpublish())

    async def _unpublish(self) -> None:
        publication, self._publication = self._publication, None
        if publication is not None:
            with contextlib.suppress(Exception):  # the room may be gone at shutdown
                await self._room.local_participant.unpublish_track(publication.sid)

    async def aclose(self) -> None:
        if self._unpublish_later is not None:
            self._unpublish_later.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._unpublish_later
        await self._unpublish()
        await self._source.aclose()
