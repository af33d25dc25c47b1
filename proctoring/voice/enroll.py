"""Voice enrolment: the candidate's reference voice from a 10-20 s baseline recording.

Why the checks: everything later is compared with this one embedding, so a baseline that is
silent, too quiet, clipped or too short is refused with a plain reason the candidate can act
on, instead of producing a reference that would flag them all interview long. The result is
plain data (a list of floats and a few figures) because the control API stores it as JSON.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from proctoring.voice.audio_io import to_float32
from proctoring.voice.ge2e import ANALYSIS_RATE, EMBEDDING_SIZE, MODEL_NAME, GE2EEncoder
from proctoring.voice.levels import clipped_fraction, normalise_volume, rms_dbfs
from proctoring.voice.vad import VadConfig, detect_speech


@dataclass(frozen=True)
class VoiceEnrollConfig:
    """Acceptance rules for a baseline recording."""

    min_speech_seconds: float = 8.0  # voiced audio needed (a 10 s reading gives about 8-9 s)
    min_detected_speech_seconds: float = 0.5  # below this the recording holds no speech
    min_level_dbfs: float = -45.0  # speech quieter than this is too far from the microphone
    max_clipped_fraction: float = 0.002  # more clipped samples than this distorts the voice
    vad: VadConfig = field(default_factory=lambda: VadConfig(max_segment_seconds=30.0))


class EnrollmentRejected(ValueError):
    """The baseline cannot be used; ``code`` is stable, ``reason`` is for the candidate."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class VoiceEnrollment:
    """A candidate's enrolled voice: unit-length embedding plus how it was obtained."""

    embedding: list[float]
    model: str
    speech_seconds: float
    level_dbfs: float

    def __post_init__(self) -> None:
        if len(self.embedding) != EMBEDDING_SIZE:
            raise ValueError(f"embedding must have {EMBEDDING_SIZE} values")

    @property
    def vector(self) -> np.ndarray:
        """The embedding as a float32 array, for scoring."""
        return np.asarray(self.embedding, dtype=np.float32)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VoiceEnrollment:
        return cls(
            embedding=[float(v) for v in data["embedding"]],
            model=str(data["model"]),
            speech_seconds=float(data["speech_seconds"]),
            level_dbfs=float(data["level_dbfs"]),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> VoiceEnrollment:
        return cls.from_dict(json.loads(text))


def enroll_voice(
    pcm: np.ndarray, encoder: GE2EEncoder, config: VoiceEnrollConfig | None = None
) -> VoiceEnrollment:
    """Enrol from a baseline recording (16 kHz mono, int16 or float).

    Raises ``EnrollmentRejected`` with code ``no_speech``, ``too_quiet``, ``clipped`` or
    ``too_short``.
    """
    config = config or VoiceEnrollConfig()
    audio = to_float32(pcm)
    segments = detect_speech(audio, config.vad)
    speech_seconds = sum(s.voiced_seconds for s in segments)
    if speech_seconds < config.min_detected_speech_seconds:
        raise EnrollmentRejected(
            "no_speech", "No speech was heard. Check that the microphone is on and read aloud."
        )
    speech = np.concatenate([s.samples for s in segments])
    level = rms_dbfs(speech)
    if level < config.min_level_dbfs:
        raise EnrollmentRejected(
            "too_quiet",
            "The voice is too quiet. Move closer to the microphone or raise its volume.",
        )
    if clipped_fraction(audio) > config.max_clipped_fraction:
        raise EnrollmentRejected(
            "clipped", "The recording is distorted (too loud). Lower the microphone volume."
        )
    if speech_seconds < config.min_speech_seconds:
        raise EnrollmentRejected(
            "too_short",
            f"Only {speech_seconds:.1f} s of speech was heard; please speak for at least "
            f"{config.min_speech_seconds:.0f} s.",
        )
    embedding = encoder.embed_utterances([normalise_volume(speech)], rate=ANALYSIS_RATE)[0]
    return VoiceEnrollment(
        embedding=[float(v) for v in embedding.embedding],
        model=MODEL_NAME,
        speech_seconds=round(speech_seconds, 2),
        level_dbfs=round(level, 1),
    )
