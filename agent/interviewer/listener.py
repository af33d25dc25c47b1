"""Turn-taking for the offline interviewer: when has the candidate finished answering?

The live pipeline hands every 30 ms frame of the candidate's microphone (16 kHz mono)
to :meth:`TurnListener.feed`; WebRTC's voice activity detector classifies it. An answer
starts at the first run of speech (a few voiced frames in a row, so a cough does not
count) and ends after a stretch of silence; if no speech comes within a timeout the
question counts as unanswered. The answer's timing is what the transcript records when
no recogniser is available.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import webrtcvad

RATE = 16000
FRAME_MS = 30
FRAME_BYTES = RATE * FRAME_MS // 1000 * 2


@dataclass(frozen=True)
class AnswerTiming:
    """When the candidate spoke, and for how long in total."""

    started_at: float
    ended_at: float
    speech_seconds: float


class TurnListener:
    """Follows the candidate's voice activity, frame by frame."""

    def __init__(self, aggressiveness: int = 2, onset_frames: int = 4) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self._onset_frames = onset_frames
        self._voiced_run = 0
        self.last_voice_at = 0.0  # epoch seconds of the last voiced frame
        self.speech_started_at: float | None = None
        self.speech_seconds = 0.0

    def feed(self, pcm: bytes, t: float) -> None:
        """One 30 ms frame of 16-bit mono PCM at 16 kHz, captured at ``t`` (epoch)."""
        if len(pcm) != FRAME_BYTES:
            return
        if self._vad.is_speech(pcm, RATE):
            self._voiced_run += 1
            self.last_voice_at = t
            if self._voiced_run >= self._onset_frames:
                if self.speech_started_at is None:
                    self.speech_started_at = t - self._voiced_run * FRAME_MS / 1000
                self.speech_seconds += FRAME_MS / 1000
        else:
            self._voiced_run = 0

    def reset(self) -> None:
        """Forget the previous answer before asking the next question."""
        self.speech_started_at = None
        self.speech_seconds = 0.0
        self._voiced_run = 0

    async def wait_for_answer(
        self,
        *,
        max_seconds: float,
        no_speech_timeout: float,
        end_silence: float,
        gone: asyncio.Event | None = None,
    ) -> AnswerTiming | None:
        """Wait until the answer ends; None when the candidate never spoke (or left)."""
        self.reset()
        begin = time.monotonic()
        while True:
            await asyncio.sleep(0.1)
            elapsed = time.monotonic() - begin
            if gone is not None and gone.is_set():
                break
            if self.speech_started_at is None:
                if elapsed >= min(no_speech_timeout, max_seconds):
                    return None
                continue
            if time.time() - self.last_voice_at >= end_silence or elapsed >= max_seconds:
                break
        if self.speech_started_at is None:
            return None
        return AnswerTiming(
            started_at=self.speech_started_at,
            ended_at=max(self.last_voice_at, self.speech_started_at),
            speech_seconds=round(self.speech_seconds, 2),
        )
