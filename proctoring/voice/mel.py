"""The GE2E encoder's input features: a 40-channel mel power spectrogram, numpy only.

Why by hand: the published encoder was trained on ``librosa.feature.melspectrogram`` output
(25 ms Hann window, 10 ms hop, centred frames, Slaney mel scale and area normalisation, power
not log), and librosa (with its numba stack) is not part of this project. The few formulas
below reproduce those defaults so the weights see the features they were trained on.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.signal import get_window

from proctoring.voice.audio_io import SAMPLE_RATE

WINDOW_MS = 25
HOP_MS = 10
N_MELS = 40
N_FFT = SAMPLE_RATE * WINDOW_MS // 1000  # 400 samples
HOP_LENGTH = SAMPLE_RATE * HOP_MS // 1000  # 160 samples

# Slaney's auditory mel scale: linear below 1 kHz, logarithmic above.
_F_SP = 200.0 / 3.0
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = np.log(6.4) / 27.0


def hz_to_mel(freqs: np.ndarray) -> np.ndarray:
    """Slaney mel value of each frequency in Hz."""
    freqs = np.asarray(freqs, dtype=np.float64)
    mels = freqs / _F_SP
    log_part = freqs >= _MIN_LOG_HZ
    mels[log_part] = _MIN_LOG_MEL + np.log(freqs[log_part] / _MIN_LOG_HZ) / _LOG_STEP
    return mels


def mel_to_hz(mels: np.ndarray) -> np.ndarray:
    """Frequency in Hz of each Slaney mel value (inverse of ``hz_to_mel``)."""
    mels = np.asarray(mels, dtype=np.float64)
    freqs = mels * _F_SP
    log_part = mels >= _MIN_LOG_MEL
    freqs[log_part] = _MIN_LOG_HZ * np.exp(_LOG_STEP * (mels[log_part] - _MIN_LOG_MEL))
    return freqs


@lru_cache(maxsize=4)
def mel_filterbank(
    sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS
) -> np.ndarray:
    """Triangular Slaney-normalised filters, shape ``(n_mels, n_fft // 2 + 1)``, float32.

    Cached because it is a pure function of its arguments and is used for every frame;
    the returned array is read-only so the cache cannot be altered by a caller.
    """
    fft_freqs = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    edges = mel_to_hz(
        np.linspace(
            hz_to_mel(np.array([0.0]))[0], hz_to_mel(np.array([sample_rate / 2.0]))[0], n_mels + 2
        )
    )
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    filters = weights.astype(np.float32)
    filters.setflags(write=False)
    return filters


@lru_cache(maxsize=4)
def _analysis_window(n_fft: int) -> np.ndarray:
    window = get_window("hann", n_fft, fftbins=True).astype(np.float64)
    window.setflags(write=False)
    return window


def power_mel_spectrogram(wav: np.ndarray, n_fft: int, hop_length: int, n_mels: int) -> np.ndarray:
    """Mel power spectrogram with librosa's conventions, shape ``(frames, n_mels)``, float64.

    Frames are centred (the signal is zero-padded by half a window at each end), so there
    are ``1 + len(wav) // hop_length`` of them; Hann window of ``n_fft`` samples.
    """
    samples = np.asarray(wav, dtype=np.float64)
    padded = np.pad(samples, n_fft // 2, mode="constant")
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop_length]
    spectrum = np.fft.rfft(frames * _analysis_window(n_fft), axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    return np.asarray(power @ mel_filterbank(SAMPLE_RATE, n_fft, n_mels).T.astype(np.float64))


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """The encoder's input: 40-channel mel power frames (25 ms / 10 ms), float32."""
    return power_mel_spectrogram(wav, N_FFT, HOP_LENGTH, N_MELS).astype(np.float32)
