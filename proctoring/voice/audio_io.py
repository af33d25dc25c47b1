"""Audio in: files of any rate and PCM of either sample type become 16 kHz mono float32.

Why one place: every part of the voice pipeline (VAD, mel, encoder) expects 16 kHz mono
float32 in [-1, 1]; converting at the edge keeps the rest free of format checks.
"""

from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf

SAMPLE_RATE = 16000
INT16_SCALE = 32768.0


def to_float32(pcm: np.ndarray) -> np.ndarray:
    """Return mono float32 samples in [-1, 1] from int16 or floating-point PCM."""
    samples = np.asarray(pcm)
    if samples.ndim not in (1, 2):
        raise ValueError("PCM must be one-dimensional (mono) or (samples, channels)")
    if samples.dtype == np.int16:
        floats = samples.astype(np.float32) / np.float32(INT16_SCALE)
    elif np.issubdtype(samples.dtype, np.floating):
        floats = samples.astype(np.float32, copy=False)
    else:
        raise TypeError(f"unsupported PCM sample type {samples.dtype}")
    if floats.ndim == 2:
        floats = floats.mean(axis=1, dtype=np.float32)
    return floats


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Return int16 PCM (what webrtcvad reads) from float samples in [-1, 1] or int16."""
    array = np.asarray(samples)
    if array.dtype == np.int16:
        return array
    scaled = np.round(np.clip(array, -1.0, 1.0) * (INT16_SCALE - 1))
    return scaled.astype(np.int16)


def resample_to_16k(samples: np.ndarray, source_rate: int) -> np.ndarray:
    """Resample float samples to 16 kHz with a polyphase filter (exact rational ratio)."""
    if source_rate == SAMPLE_RATE:
        return samples.astype(np.float32, copy=False)
    if source_rate <= 0:
        raise ValueError("sample rate must be positive")
    from scipy.signal import resample_poly  # scipy.signal takes ~1-2 s to import

    common = gcd(SAMPLE_RATE, source_rate)
    resampled = resample_poly(samples, SAMPLE_RATE // common, source_rate // common)
    return np.asarray(resampled, dtype=np.float32)


def load_audio(path: str | Path) -> np.ndarray:
    """Read a WAV/FLAC (any rate, any channel count) as 16 kHz mono float32."""
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return resample_to_16k(to_float32(data), int(rate))
