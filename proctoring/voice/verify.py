"""Per-segment speaker verdict: same voice as enrolled, a different one, or uncertain.

Why three answers: a segment that is too short or too quiet carries too little voice to judge,
and between clear acceptance and clear rejection lies a band where the encoder's scores for the
same and for different speakers overlap. Such segments are UNCERTAIN, so a candidate is never
flagged on evidence the model cannot give.

The band was chosen on LibriSpeech test-other (10 speakers, 100 files; enrolment on one whole
file, trials on segments of the speaker's other files and of all other speakers; see
docs/benchmarks-voices.md): below 0.60 a same-speaker segment of 1.5 s or more was judged
DIFFERENT at most 0.33% of the time (0% from 2 s on); at 0.74 and above a different speaker
was accepted at most 0.4% of the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from proctoring.voice.audio_io import SAMPLE_RATE, to_float32
from proctoring.voice.ge2e import ANALYSIS_RATE, GE2EEncoder, UtteranceEmbedding
from proctoring.voice.levels import normalise_volume, rms_dbfs
from proctoring.voice.vad import voiced_flags


class Verdict(StrEnum):
    SAME = "same"
    DIFFERENT = "different"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class VoiceVerifyConfig:
    """Thresholds of the per-segment verdict (similarities are cosine, in [-1, 1])."""

    min_speech_seconds: float = 1.5  # voiced audio needed to judge a segment
    min_level_dbfs: float = -50.0  # quieter segments are not judged
    different_below: float = 0.60  # similarity below this: a different speaker
    same_from: float = 0.74  # similarity at or above this: the enrolled speaker
    window_rate: float = ANALYSIS_RATE  # 1.6 s partial windows per second

    def __post_init__(self) -> None:
        if self.different_below > self.same_from:
            raise ValueError("different_below must not exceed same_from")


@dataclass(frozen=True)
class SegmentVerdict:
    """The verdict on one segment, with the figures that explain it."""

    verdict: Verdict
    similarity: float | None
    reason: str
    speech_seconds: float
    level_dbfs: float


@dataclass(frozen=True)
class SegmentAssessment:
    """A verdict plus the segment's partial-window embeddings (None when not embedded)."""

    verdict: SegmentVerdict
    windows: UtteranceEmbedding | None


def judge_similarity(similarity: float, config: VoiceVerifyConfig) -> tuple[Verdict, str]:
    """Map a similarity to a verdict and a plain-language reason."""
    if similarity >= config.same_from:
        return Verdict.SAME, "voice matches the enrolled voice"
    if similarity < config.different_below:
        return Verdict.DIFFERENT, "voice does not match the enrolled voice"
    return Verdict.UNCERTAIN, "voice similarity is in the uncertain band"


def assess_segment(
    samples: np.ndarray,
    reference: np.ndarray,
    encoder: GE2EEncoder,
    config: VoiceVerifyConfig,
    speech_seconds: float | None = None,
) -> SegmentAssessment:
    """Judge one speech segment (16 kHz mono) against an enrolled embedding.

    ``speech_seconds`` is the voiced duration from the caller's VAD; when omitted it is
    measured here with webrtcvad.
    """
    audio = to_float32(samples)
    if speech_seconds is None:
        speech_seconds = float(voiced_flags(audio).sum()) * 0.03
    level = rms_dbfs(audio)
    if level < config.min_level_dbfs:
        return SegmentAssessment(
            SegmentVerdict(Verdict.UNCERTAIN, None, "too quiet to judge", speech_seconds, level),
            None,
        )
    if speech_seconds < config.min_speech_seconds or len(audio) < SAMPLE_RATE:
        return SegmentAssessment(
            SegmentVerdict(
                Verdict.UNCERTAIN, None, "too little speech to judge", speech_seconds, level
            ),
            None,
        )
    windows = encoder.embed_utterances([normalise_volume(audio)], rate=config.window_rate)[0]
    similarity = float(np.dot(windows.embedding, reference))
    verdict, reason = judge_similarity(similarity, config)
    return SegmentAssessment(
        SegmentVerdict(verdict, similarity, reason, speech_seconds, level), windows
    )


def verify_segment(
    samples: np.ndarray,
    reference: np.ndarray,
    encoder: GE2EEncoder,
    config: VoiceVerifyConfig | None = None,
    speech_seconds: float | None = None,
) -> SegmentVerdict:
    """Verdict on one speech segment against an enrolled embedding (see ``assess_segment``)."""
    return assess_segment(
        samples, reference, encoder, config or VoiceVerifyConfig(), speech_seconds
    ).verdict
