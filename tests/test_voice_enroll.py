"""Voice enrolment from a baseline recording: acceptance, rejections, storage as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from proctoring.voice.audio_io import SAMPLE_RATE, load_audio, to_int16
from proctoring.voice.enroll import EnrollmentRejected, VoiceEnrollment, enroll_voice
from proctoring.voice.ge2e import MODEL_NAME, GE2EEncoder

DATA = Path(__file__).parent / "data" / "voices" / "librispeech"


@pytest.fixture(scope="module")
def encoder() -> GE2EEncoder:
    return GE2EEncoder.load()


@pytest.fixture(scope="module")
def baseline() -> np.ndarray:
    return load_audio(DATA / "1688-142285-0000.flac")  # 15 s of one speaker


def test_a_15_second_reading_is_enrolled(encoder: GE2EEncoder, baseline: np.ndarray) -> None:
    enrollment = enroll_voice(to_int16(baseline), encoder)
    assert enrollment.model == MODEL_NAME
    assert 10.0 < enrollment.speech_seconds <= 15.0
    assert abs(float(np.linalg.norm(enrollment.vector)) - 1.0) < 1e-4
    # Same speaker's whole-file embedding (PyTorch-checked port) is very close.
    assert float(enrollment.vector @ encoder.embed_utterance(baseline)) > 0.95


def test_enrollment_survives_json(encoder: GE2EEncoder, baseline: np.ndarray) -> None:
    enrollment = enroll_voice(baseline, encoder)
    text = enrollment.to_json()
    assert isinstance(json.loads(text)["embedding"], list)
    restored = VoiceEnrollment.from_json(text)
    assert restored == enrollment
    assert np.array_equal(restored.vector, enrollment.vector)


def test_too_short_is_rejected(encoder: GE2EEncoder) -> None:
    short = load_audio(DATA / "1688-142285-0002.flac")  # 2.8 s
    with pytest.raises(EnrollmentRejected) as caught:
        enroll_voice(short, encoder)
    assert caught.value.code == "too_short"
    assert "at least 8 s" in caught.value.reason


def test_silence_is_rejected(encoder: GE2EEncoder) -> None:
    with pytest.raises(EnrollmentRejected) as caught:
        enroll_voice(np.zeros(15 * SAMPLE_RATE, dtype=np.int16), encoder)
    assert caught.value.code == "no_speech"


def test_faint_speech_is_rejected(encoder: GE2EEncoder, baseline: np.ndarray) -> None:
    faint = baseline * np.float32(10 ** (-30 / 20))  # 30 dB down: about -52 dBFS
    with pytest.raises(EnrollmentRejected) as caught:
        enroll_voice(faint, encoder)
    assert caught.value.code == "too_quiet"


def test_clipped_recording_is_rejected(encoder: GE2EEncoder, baseline: np.ndarray) -> None:
    overdriven = np.clip(baseline * 30.0, -1.0, 1.0)
    with pytest.raises(EnrollmentRejected) as caught:
        enroll_voice(overdriven, encoder)
    assert caught.value.code == "clipped"


def test_embedding_length_is_checked() -> None:
    with pytest.raises(ValueError):
        VoiceEnrollment(
            embedding=[0.0] * 10, model=MODEL_NAME, speech_seconds=9.0, level_dbfs=-25.0
        )
