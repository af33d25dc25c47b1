"""Speech segmentation (webrtcvad) and audio loading on real recordings."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from proctoring.voice.audio_io import SAMPLE_RATE, load_audio, to_float32, to_int16
from proctoring.voice.vad import SpeechSegmenter, VadConfig, detect_speech, voiced_flags

DATA = Path(__file__).parent / "data" / "voices"


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return load_audio(DATA / "librispeech" / "1688-142285-0001.flac")


def test_real_speech_is_found_and_silence_is_not(speech: np.ndarray) -> None:
    silence = np.zeros(2 * SAMPLE_RATE, dtype=np.float32)
    clip = np.concatenate([silence, speech, silence])
    segments = detect_speech(clip)
    assert segments, "no speech found in a LibriSpeech utterance"
    voiced = sum(s.voiced_seconds for s in segments)
    assert voiced > 0.6 * len(speech) / SAMPLE_RATE
    # Nothing is reported inside the 2 s of leading silence, and segments are in order.
    assert segments[0].start_seconds >= 1.7
    assert all(a.end <= b.start for a, b in pairwise(segments))
    assert detect_speech(silence) == []
    assert not voiced_flags(silence).any()


def test_segments_respect_the_length_cap(speech: np.ndarray) -> None:
    segments = detect_speech(speech, VadConfig(max_segment_seconds=3.0))
    assert len(segments) >= 3
    assert max(len(s.samples) for s in segments) <= 3 * SAMPLE_RATE


def test_streaming_in_small_chunks_equals_batch(speech: np.ndarray) -> None:
    batch = detect_speech(speech)
    segmenter = SpeechSegmenter()
    pcm = to_int16(speech)
    streamed = []
    for start in range(0, len(pcm), 320):  # 20 ms chunks, not aligned to 30 ms VAD frames
        streamed += segmenter.push(pcm[start : start + 320])
    streamed += segmenter.flush()
    assert [(s.start, s.end) for s in streamed] == [(s.start, s.end) for s in batch]
    for a, b in zip(streamed, batch, strict=True):
        assert np.allclose(a.samples, b.samples, atol=1e-4)


def test_aggressiveness_is_validated() -> None:
    with pytest.raises(ValueError):
        VadConfig(aggressiveness=4)


def test_int16_and_float_conversions_round_trip(speech: np.ndarray) -> None:
    pcm = to_int16(speech)
    assert pcm.dtype == np.int16
    assert np.allclose(to_float32(pcm), speech, atol=1e-4)
    stereo = np.stack([pcm, pcm], axis=1)
    assert np.allclose(to_float32(stereo), to_float32(pcm))


def test_load_audio_resamples_any_rate_to_16k(speech: np.ndarray, tmp_path: Path) -> None:
    at_48k = resample_poly(speech, 3, 1).astype(np.float32)
    path = tmp_path / "stereo48k.wav"
    sf.write(path, np.stack([at_48k, at_48k], axis=1), 48000, subtype="FLOAT")
    loaded = load_audio(path)
    assert abs(len(loaded) - len(speech)) <= 1
    n = min(len(loaded), len(speech))
    correlation = np.corrcoef(loaded[:n], speech[:n])[0, 1]
    assert correlation > 0.99
