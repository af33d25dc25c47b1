"""The seeds' voice check, kept as a baseline: MFCC mean and standard deviation, cosine.

Why keep it: the project must show that its speaker encoder beats the original
"lightweight spectral embeddings" on the same data, so the benchmark runs both. The features
are ``librosa.feature.mfcc``'s defaults (what such code typically calls): 20 MFCCs from a
128-band mel power spectrum (2048-sample window, 512 hop) in dB clipped 80 dB below its peak;
their mean and standard deviation over the clip, concatenated and L2-normalised for a cosine
score. Measured here it reproduces the 11.9% EER quoted for the seeds.
"""

from __future__ import annotations

import numpy as np
from scipy.fft import dct

from proctoring.voice.mel import power_mel_spectrogram

N_MFCC = 20
N_FFT = 2048
HOP_LENGTH = 512
N_MELS = 128
TOP_DB = 80.0
_POWER_FLOOR = 1e-10


def mfcc(wav: np.ndarray, n_mfcc: int = N_MFCC) -> np.ndarray:
    """MFCC frames of 16 kHz float audio, shape ``(frames, n_mfcc)``."""
    power = power_mel_spectrogram(wav, N_FFT, HOP_LENGTH, N_MELS)
    decibels = 10.0 * np.log10(np.maximum(power, _POWER_FLOOR))
    decibels = np.maximum(decibels, decibels.max() - TOP_DB)
    return np.asarray(dct(decibels, type=2, axis=1, norm="ortho")[:, :n_mfcc])


def original_embedding(wav: np.ndarray) -> np.ndarray:
    """Mean and std of the MFCCs, L2-normalised: the seeds' voice signature (float32)."""
    coefficients = mfcc(wav)
    vector = np.concatenate([coefficients.mean(axis=0), coefficients.std(axis=0)])
    norm = np.linalg.norm(vector)
    return (vector / norm if norm > 0 else vector).astype(np.float32)
