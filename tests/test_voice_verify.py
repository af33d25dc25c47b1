"""Per-segment verdicts on real speech: same, different, uncertain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from proctoring.voice.audio_io import SAMPLE_RATE, load_audio
from proctoring.voice.enroll import VoiceEnrollment, enroll_voice
from proctoring.voice.ge2e import GE2EEncoder
from proctoring.voice.verify import Verdict, VoiceVerifyConfig, judge_similarity, verify_segment

DATA = Path(__file__).parent / "data" / "voices" / "librispeech"


@pytest.fixture(scope="module")
def encoder() -> GE2EEncoder:
    return GE2EEncoder.load()


@pytest.fixture(scope="module")
def enrollment(encoder: GE2EEncoder) -> VoiceEnrollment:
    return enroll_voice(load_audio(DATA / "1688-142285-0000.flac"), encoder)


def test_same_speaker_other_utterance_is_same(
    encoder: GE2EEncoder, enrollment: VoiceEnrollment
) -> None:
    other_take = load_audio(DATA / "1688-142285-0001.flac")
    for start in (0, 3, 6):  # three 3 s segments of a different recording
        segment = other_take[start * SAMPLE_RATE : (start + 3) * SAMPLE_RATE]
        result = verify_segment(segment, enrollment.vector, encoder)
        assert result.verdict is Verdict.SAME, result
        assert result.similarity is not None and result.similarity >= 0.74


def test_other_speaker_is_different(encoder: GE2EEncoder, enrollment: VoiceEnrollment) -> None:
    stranger = load_audio(DATA / "2609-156975-0000.flac")[: 3 * SAMPLE_RATE]
    result = verify_segment(stranger, enrollment.vector, encoder)
    assert result.verdict is Verdict.DIFFERENT, result
    assert result.similarity is not None and result.similarity < 0.60


def test_quiet_segment_is_uncertain(encoder: GE2EEncoder, enrollment: VoiceEnrollment) -> None:
    same_voice = load_audio(DATA / "1688-142285-0001.flac")[: 3 * SAMPLE_RATE]
    whisper = same_voice * np.float32(10 ** (-40 / 20))
    result = verify_segment(whisper, enrollment.vector, encoder, speech_seconds=3.0)
    assert result.verdict is Verdict.UNCERTAIN
    assert result.similarity is None
    assert "quiet" in result.reason


def test_short_segment_is_uncertain(encoder: GE2EEncoder, enrollment: VoiceEnrollment) -> None:
    stranger = load_audio(DATA / "2609-156975-0000.flac")[:SAMPLE_RATE]  # 1 s
    result = verify_segment(stranger, enrollment.vector, encoder)
    assert result.verdict is Verdict.UNCERTAIN
    assert "too little speech" in result.reason


def test_similarity_band() -> None:
    config = VoiceVerifyConfig()
    assert judge_similarity(0.80, config)[0] is Verdict.SAME
    assert judge_similarity(0.74, config)[0] is Verdict.SAME
    assert judge_similarity(0.70, config)[0] is Verdict.UNCERTAIN
    assert judge_similarity(0.60, config)[0] is Verdict.UNCERTAIN
    assert judge_similarity(0.59, config)[0] is Verdict.DIFFERENT
    with pytest.raises(ValueError):
        VoiceVerifyConfig(different_below=0.8, same_from=0.7)
