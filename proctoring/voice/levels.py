"""Signal level measures: loudness, clipping, and the encoder's volume normalisation.

Why: a segment too quiet to carry a voice, or a baseline distorted by clipping, must be
recognised before anyone trusts an embedding of it; and the encoder was trained on audio
normalised to -30 dBFS (raised only, never lowered), so the same is done before embedding.
"""

from __future__ import annotations

import numpy as np

TRAINING_LEVEL_DBFS = -30.0  # Resemblyzer's audio_norm_target_dBFS
CLIP_LEVEL = 0.999  # |sample| at or above this counts as clipped
SILENCE_DBFS = -120.0  # reported for all-zero audio instead of -inf


def rms_dbfs(samples: np.ndarray) -> float:
    """Root-mean-square level of float samples in dB relative to full scale."""
    if len(samples) == 0:
        return SILENCE_DBFS
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    if rms <= 0.0:
        return SILENCE_DBFS
    return max(SILENCE_DBFS, 20.0 * np.log10(rms))


def clipped_fraction(samples: np.ndarray) -> float:
    """Share of samples at (or beyond) full scale."""
    if len(samples) == 0:
        return 0.0
    return float(np.mean(np.abs(samples) >= CLIP_LEVEL))


def normalise_volume(samples: np.ndarray, target_dbfs: float = TRAINING_LEVEL_DBFS) -> np.ndarray:
    """Raise quiet audio to ``target_dbfs`` (never lower loud audio), as the encoder expects."""
    level = rms_dbfs(samples)
    if level >= target_dbfs or level <= SILENCE_DBFS:
        return samples.astype(np.float32, copy=False)
    gain = 10.0 ** ((target_dbfs - level) / 20.0)
    return (samples * gain).astype(np.float32)
