"""Adaptive symmetric score normalisation (AS-norm) of cosine scores against a cohort.

Why: some voices score high against everybody ("hubs") and some low, so one global
threshold is too strict for some speakers and too lenient for others. AS-norm expresses a
trial's score in units of how each side scores against its K most similar cohort voices
(people who are certainly not the candidate), which puts every trial on a common scale.
The cohort must hold no speaker of the trial: the caller chooses which cohort rows are
allowed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MIN_STD = 1e-6  # a degenerate cohort (all scores equal) must not divide by zero


def top_k_stats(cohort_scores: np.ndarray, ks: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each row's K highest scores, for every K in ``ks``.

    ``cohort_scores`` is (probes, cohort). Returns two (probes, len(ks)) arrays; a K larger
    than the cohort uses the whole cohort.
    """
    if cohort_scores.ndim != 2 or cohort_scores.shape[1] == 0:
        raise ValueError("need a non-empty cohort for every probe")
    top = -np.sort(-cohort_scores, axis=1)
    means = np.empty((top.shape[0], len(ks)))
    stds = np.empty_like(means)
    for column, k in enumerate(ks):
        if k < 1:
            raise ValueError("K must be at least 1")
        best = top[:, : min(k, top.shape[1])]
        means[:, column] = best.mean(axis=1)
        stds[:, column] = np.maximum(best.std(axis=1), MIN_STD)
    return means, stds


def as_norm(
    scores: np.ndarray,
    mean_left: np.ndarray,
    std_left: np.ndarray,
    mean_right: np.ndarray,
    std_right: np.ndarray,
) -> np.ndarray:
    """Symmetric normalised score: the mean of the two sides' z-scores."""
    return 0.5 * ((scores - mean_left) / std_left + (scores - mean_right) / std_right)
