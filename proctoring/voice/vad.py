"""Speech segmentation with WebRTC's voice activity detector, batch or streaming.

Why a state machine on top of ``webrtcvad``: the detector answers per 30 ms frame and flickers
inside words and on clicks. Segments start only when most frames of a short window are voiced
(the window's frames become the segment's lead-in), and end only after a run of unvoiced
frames (the hangover), keeping a little trailing padding. Long stretches of talk are cut at
``max_segment_seconds`` so latency and memory stay bounded.
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from dataclasses import dataclass

import numpy as np

from proctoring.voice.audio_io import SAMPLE_RATE, to_float32, to_int16

with warnings.catch_warnings():
    # webrtcvad 2.0.10 imports the deprecated pkg_resources only to read its own version.
    warnings.simplefilter("ignore", UserWarning)
    import webrtcvad


@dataclass(frozen=True)
class VadConfig:
    """How speech is cut into segments (times in milliseconds unless named otherwise)."""

    aggressiveness: int = 2  # webrtcvad mode, 0 (lenient) .. 3 (strict about non-speech)
    frame_ms: int = 30
    start_window_ms: int = 150  # a segment starts when this window is mostly voiced ...
    start_ratio: float = 0.6  # ... i.e. at least this share of its frames
    hangover_ms: int = 450  # this much unvoiced audio ends a segment
    padding_ms: int = 150  # unvoiced audio kept after the last voiced frame
    max_segment_seconds: float = 6.0

    def __post_init__(self) -> None:
        if self.aggressiveness not in (0, 1, 2, 3):
            raise ValueError("aggressiveness must be 0, 1, 2 or 3")
        if self.frame_ms not in (10, 20, 30):
            raise ValueError("webrtcvad frames must be 10, 20 or 30 ms")
        if not 0 < self.start_ratio <= 1:
            raise ValueError("start_ratio must be in (0, 1]")

    def frames(self, milliseconds: float) -> int:
        """Number of whole frames (at least one) covering ``milliseconds``."""
        return max(1, math.ceil(milliseconds / self.frame_ms))

    @property
    def frame_samples(self) -> int:
        return SAMPLE_RATE * self.frame_ms // 1000


@dataclass(frozen=True)
class SpeechSegment:
    """A stretch of speech; ``start``/``end`` are sample offsets in the stream."""

    start: int
    end: int
    samples: np.ndarray  # float32, 16 kHz mono
    voiced_seconds: float

    @property
    def start_seconds(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def end_seconds(self) -> float:
        return self.end / SAMPLE_RATE


def voiced_flags(pcm: np.ndarray, aggressiveness: int = 2, frame_ms: int = 30) -> np.ndarray:
    """Per-frame webrtcvad decisions for a whole clip (a trailing partial frame is ignored)."""
    config = VadConfig(aggressiveness=aggressiveness, frame_ms=frame_ms)
    vad = webrtcvad.Vad(aggressiveness)
    samples = to_int16(to_float32(pcm))
    size = config.frame_samples
    count = len(samples) // size
    return np.array(
        [
            vad.is_speech(samples[k * size : (k + 1) * size].tobytes(), SAMPLE_RATE)
            for k in range(count)
        ],
        dtype=bool,
    )


class SpeechSegmenter:
    """Streaming segmenter: feed PCM with ``push``, get finished segments back.

    Holds at most one segment (``max_segment_seconds``) plus the start window in memory.
    Not thread-safe: use one per audio stream.
    """

    def __init__(self, config: VadConfig | None = None) -> None:
        self.config = config or VadConfig()
        self._vad = webrtcvad.Vad(self.config.aggressiveness)
        self._frame = self.config.frame_samples
        self._start_window = self.config.frames(self.config.start_window_ms)
        self._start_needed = math.ceil(self.config.start_ratio * self._start_window)
        self._hangover = self.config.frames(self.config.hangover_ms)
        self._padding = self.config.frames(self.config.padding_ms) if self.config.padding_ms else 0
        self._max_frames = self.config.frames(self.config.max_segment_seconds * 1000)
        self._pending = np.zeros(0, dtype=np.float32)
        self._next_frame_start = 0  # stream offset of the next complete frame
        self._lead_in: deque[tuple[np.ndarray, bool]] = deque(maxlen=self._start_window)
        self._in_speech = False
        self._frames: list[np.ndarray] = []
        self._flags: list[bool] = []
        self._segment_start = 0
        self._trailing_unvoiced = 0

    def push(self, pcm: np.ndarray) -> list[SpeechSegment]:
        """Add 16 kHz mono PCM (int16 or float); return the segments this completed."""
        samples = np.concatenate([self._pending, to_float32(pcm)])
        usable = len(samples) - len(samples) % self._frame
        self._pending = samples[usable:].copy()
        finished: list[SpeechSegment] = []
        for offset in range(0, usable, self._frame):
            frame = samples[offset : offset + self._frame]
            voiced = self._vad.is_speech(to_int16(frame).tobytes(), SAMPLE_RATE)
            segment = self._step(frame, voiced)
            if segment is not None:
                finished.append(segment)
            self._next_frame_start += self._frame
        return finished

    def flush(self) -> list[SpeechSegment]:
        """End of stream: close the open segment, if any (a partial last frame is dropped)."""
        self._pending = np.zeros(0, dtype=np.float32)
        self._lead_in.clear()
        if not self._in_speech:
            return []
        segment = self._close()
        return [segment] if segment is not None else []

    def _step(self, frame: np.ndarray, voiced: bool) -> SpeechSegment | None:
        if not self._in_speech:
            self._lead_in.append((frame.copy(), voiced))
            if sum(flag for _, flag in self._lead_in) >= self._start_needed:
                self._in_speech = True
                self._segment_start = self._next_frame_start - (len(self._lead_in) - 1) * (
                    self._frame
                )
                self._frames = [f for f, _ in self._lead_in]
                self._flags = [flag for _, flag in self._lead_in]
                self._trailing_unvoiced = 0
                self._lead_in.clear()
            return None
        self._frames.append(frame.copy())
        self._flags.append(voiced)
        self._trailing_unvoiced = 0 if voiced else self._trailing_unvoiced + 1
        if self._trailing_unvoiced >= self._hangover:
            return self._close()
        if len(self._frames) >= self._max_frames:
            segment = self._cut()
            self._segment_start = self._next_frame_start + self._frame
            return segment
        return None

    def _cut(self) -> SpeechSegment | None:
        """Emit the open segment without its surplus trailing silence; keep speech state."""
        keep = len(self._flags)
        voiced_positions = np.flatnonzero(self._flags)
        if len(voiced_positions) == 0:
            segment = None
        else:
            keep = min(len(self._flags), int(voiced_positions[-1]) + 1 + self._padding)
            samples = np.concatenate(self._frames[:keep])
            segment = SpeechSegment(
                start=self._segment_start,
                end=self._segment_start + len(samples),
                samples=samples,
                voiced_seconds=len(voiced_positions) * self.config.frame_ms / 1000,
            )
        self._frames = []
        self._flags = []
        self._trailing_unvoiced = 0
        return segment

    def _close(self) -> SpeechSegment | None:
        segment = self._cut()
        self._in_speech = False
        return segment


def detect_speech(pcm: np.ndarray, config: VadConfig | None = None) -> list[SpeechSegment]:
    """All speech segments of a whole clip (16 kHz mono, int16 or float)."""
    segmenter = SpeechSegmenter(config)
    return segmenter.push(pcm) + segmenter.flush()
