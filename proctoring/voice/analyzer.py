"""Streaming voice analysis for one candidate's microphone: push PCM, get observations.

Why this shape: the agent receives audio in small frames on its event loop and hands them to a
worker thread; the analyzer buffers them, cuts speech segments with the VAD, and for each
segment returns one observation (verdict, similarity, second-speaker flag, plain reason) with
its start and end in stream time. Memory is bounded: at most one open segment, plus the
similarities of the last ``history_windows`` analysis windows for the second-speaker rule.
One analyzer per stream; it is not thread-safe, but the encoder it uses may be shared.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from proctoring.voice.enroll import VoiceEnrollment
from proctoring.voice.ge2e import MODEL_NAME, GE2EEncoder
from proctoring.voice.second_speaker import SecondSpeakerConfig, detect_second_speaker
from proctoring.voice.vad import SpeechSegment, SpeechSegmenter, VadConfig
from proctoring.voice.verify import Verdict, VoiceVerifyConfig, assess_segment


@dataclass(frozen=True)
class VoiceConfig:
    """Settings of the whole voice pipeline."""

    vad: VadConfig = field(default_factory=VadConfig)
    verify: VoiceVerifyConfig = field(default_factory=VoiceVerifyConfig)
    second_speaker: SecondSpeakerConfig = field(default_factory=SecondSpeakerConfig)
    history_windows: int = 30  # about the last 12 s of speech, at 2.5 windows per second


@dataclass(frozen=True)
class VoiceObservation:
    """What was heard in one speech segment (times in seconds from the stream's start)."""

    start: float
    end: float
    verdict: Verdict
    similarity: float | None
    second_speaker: bool
    reason: str
    speech_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "verdict": self.verdict.value,
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "second_speaker": self.second_speaker,
            "reason": self.reason,
            "speech_seconds": round(self.speech_seconds, 2),
        }


class VoiceAnalyzer:
    """Verifies the enrolled speaker and watches for a second voice, segment by segment."""

    def __init__(
        self,
        enrollment: VoiceEnrollment,
        config: VoiceConfig | None = None,
        encoder: GE2EEncoder | None = None,
    ) -> None:
        if enrollment.model != MODEL_NAME:
            raise ValueError("enrollment was made with a different voice model")
        self.config = config or VoiceConfig()
        self._reference = enrollment.vector
        self._encoder = encoder or GE2EEncoder.load()
        self._segmenter = SpeechSegmenter(self.config.vad)
        self._history: deque[float] = deque(maxlen=self.config.history_windows)
        # per history window: does it begin a new stretch of audio (a segment after a pause
        # or after lost audio, not one the VAD cut at its maximum length)?
        self._begins: deque[bool] = deque(maxlen=self.config.history_windows)
        self._last_end: float | None = None

    def push(self, pcm: np.ndarray) -> list[VoiceObservation]:
        """Add 16 kHz mono PCM (int16 or float32); return observations of finished segments."""
        return [self._observe(segment) for segment in self._segmenter.push(pcm)]

    def restart_stream(self) -> None:
        """Audio was lost: drop the open segment and count stream time afresh.

        Without this, the speech before and after the loss would be cut into one segment
        whose windows straddle the splice; their similarities dip like a second voice's.
        The second-speaker history is kept: each of its windows was contiguous audio.
        """
        self._segmenter = SpeechSegmenter(self.config.vad)
        self._last_end = None

    def flush(self) -> list[VoiceObservation]:
        """End of stream: analyze the segment still open, if any."""
        return [self._observe(segment) for segment in self._segmenter.flush()]

    def _observe(self, segment: SpeechSegment) -> VoiceObservation:
        assessment = assess_segment(
            segment.samples,
            self._reference,
            self._encoder,
            self.config.verify,
            speech_seconds=segment.voiced_seconds,
        )
        verdict = assessment.verdict
        second = False
        reason = verdict.reason
        if assessment.windows is not None:
            new_similarities = assessment.windows.partials @ self._reference
            self._history.extend(float(s) for s in new_similarities)
            resumed = self._last_end is None or segment.start_seconds - self._last_end > 0.05
            self._begins.extend(resumed and index == 0 for index in range(len(new_similarities)))
            recent_from = max(0, len(self._history) - len(new_similarities))
            result = detect_second_speaker(
                np.fromiter(self._history, dtype=np.float64),
                self.config.second_speaker,
                recent_from=recent_from,
                breaks=[index for index, begins in enumerate(self._begins) if begins],
            )
            if result.detected:
                second = True
                reason = f"{verdict.reason}; {result.reason}"
        # a segment too short to analyze leaves a hole in the windows: what follows resumes
        self._last_end = segment.end_seconds if assessment.windows is not None else None
        return VoiceObservation(
            start=segment.start_seconds,
            end=segment.end_seconds,
            verdict=verdict.verdict,
            similarity=verdict.similarity,
            second_speaker=second,
            reason=reason,
            speech_seconds=segment.voiced_seconds,
        )
