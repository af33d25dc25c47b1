"""Leave-speakers-out evaluation of voice scores: thresholds and cohorts from other people.

Why: a threshold (or a normalisation cohort) chosen on the very speakers a figure is
reported on flatters the figure. Here every fold holds some speakers out; the decision
threshold, the AS-norm cohort and its K are chosen only from the other speakers' trials,
and the held-out speakers' trials are then judged with them. Results are pooled over folds.

A trial can be held out in several folds (with leave-two-out, a speaker's genuine trials are
held out with each of the nine other speakers); pooled rates weight each appearance by
1 / appearances so every distinct trial counts once, and the intervals use the number of
distinct trials. Trials share speakers, so they are not independent: the Wilson intervals
are a lower bound on the real uncertainty, and the per-fold spread is reported beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from proctoring.bench.stats import wilson
from proctoring.bench.voice_folds import SpeakerFold, leave_n_out
from proctoring.bench.voice_norm import as_norm, top_k_stats

COHORT_KS = (10, 25, 50, 100, 200, 400)


def weighted_equal_error_rate(
    scores: np.ndarray, genuine: np.ndarray, weights: np.ndarray | None = None
) -> tuple[float, float]:
    """EER and its threshold when trials carry weights (all 1: the plain EER).

    A trial is accepted when its score is at or above the threshold; every score is tried
    as a threshold and the mean of the two rates where they are closest is returned.
    """
    if genuine.all() or not genuine.any():
        raise ValueError("need both genuine and impostor trials")
    w = np.ones(len(scores)) if weights is None else np.asarray(weights, dtype=np.float64)
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    g = genuine[order]
    wg = np.where(g, w[order], 0.0)
    wi = np.where(g, 0.0, w[order])
    rejected_genuine = np.concatenate([[0.0], np.cumsum(wg)])
    rejected_impostor = np.concatenate([[0.0], np.cumsum(wi)])
    frr = rejected_genuine / wg.sum()
    far = (wi.sum() - rejected_impostor) / wi.sum()
    best = int(np.argmin(np.abs(far - frr)))
    threshold = float(sorted_scores[min(best, len(sorted_scores) - 1)])
    return float((far[best] + frr[best]) / 2), threshold


@dataclass(frozen=True)
class TrialSet:
    """Trials between a left side (enrolments) and a right side (test segments).

    Speakers are integer codes (indexes into the benchmark's speaker list). For
    segment-against-segment trials both sides are the same arrays.
    """

    left: np.ndarray
    left_speaker: np.ndarray
    right: np.ndarray
    right_speaker: np.ndarray
    left_index: np.ndarray
    right_index: np.ndarray
    scores: np.ndarray = field(init=False)
    genuine: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        scores = np.einsum("ij,ij->i", self.left[self.left_index], self.right[self.right_index])
        genuine = self.left_speaker[self.left_index] == self.right_speaker[self.right_index]
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "genuine", genuine)


@dataclass(frozen=True)
class Cohort:
    """Embeddings AS-norm may compare against, each with its speaker's code."""

    embeddings: np.ndarray
    speaker: np.ndarray


class _CohortStats:
    """Top-K statistics of both trial sides against the cohort minus some speakers.

    Keyed by a bit mask of excluded speakers: a fold excludes its held-out speakers, and a
    calibration trial additionally excludes its own two speakers.
    """

    def __init__(self, trials: TrialSet, cohort: Cohort, ks: Sequence[int]) -> None:
        self._trials = trials
        self._cohort = cohort
        self._ks = tuple(ks)
        self._bits = np.left_shift(np.int64(1), cohort.speaker.astype(np.int64))
        self._cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}

    def get(self, excluded: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if excluded not in self._cache:
            allowed = self._cohort.embeddings[(self._bits & excluded) == 0]
            mean_l, std_l = top_k_stats(self._trials.left @ allowed.T, self._ks)
            if self._trials.right is self._trials.left:
                mean_r, std_r = mean_l, std_l
            else:
                mean_r, std_r = top_k_stats(self._trials.right @ allowed.T, self._ks)
            self._cache[excluded] = (mean_l, std_l, mean_r, std_r)
        return self._cache[excluded]

    def normalise(self, index: np.ndarray, excluded: np.ndarray) -> np.ndarray:
        """AS-norm scores of trials ``index`` (one column per K), each with its exclusion."""
        out = np.empty((len(index), len(self._ks)))
        t = self._trials
        for mask in np.unique(excluded):
            sel = excluded == mask
            rows = index[sel]
            mean_l, std_l, mean_r, std_r = self.get(int(mask))
            li = t.left_index[rows]
            ri = t.right_index[rows]
            out[sel] = as_norm(
                t.scores[rows][:, None], mean_l[li], std_l[li], mean_r[ri], std_r[ri]
            )
        return out


def _rate(errors: float, n: int) -> dict[str, Any]:
    count = round(errors)
    low, high = wilson(count, n)
    return {
        "rate": round(errors / n, 5) if n else None,
        "ci95": [round(low, 5), round(high, 5)],
        "n": n,
    }


def _summary(
    scores: np.ndarray,
    genuine: np.ndarray,
    weights: np.ndarray,
    accepted: np.ndarray,
    trial_ids: np.ndarray,
    thresholds: list[float],
    fold_eers: list[tuple[float, str]],
) -> dict[str, Any]:
    """Pooled held-out figures of one scoring (raw or normalised)."""
    eer, _ = weighted_equal_error_rate(scores, genuine, weights)
    n_gen = len(np.unique(trial_ids[genuine]))
    n_imp = len(np.unique(trial_ids[~genuine]))
    false_reject = float((weights * (genuine & ~accepted)).sum())
    false_accept = float((weights * (~genuine & accepted)).sum())
    fold_values = sorted(fold_eers)
    return {
        "eer": round(eer, 5),
        "false_reject": _rate(false_reject, n_gen),
        "false_accept": _rate(false_accept, n_imp),
        "threshold_median": round(float(np.median(thresholds)), 4),
        "threshold_range": [round(min(thresholds), 4), round(max(thresholds), 4)],
        "fold_eer_median": round(float(np.median([e for e, _ in fold_values])), 5),
        "fold_eer_max": round(fold_values[-1][0], 5),
        "worst_fold": fold_values[-1][1],
    }


def _nested_calibration(
    trial_bits: np.ndarray,
    fold: SpeakerFold,
    code: dict[str, int],
    bit: np.ndarray,
    held_mask: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calibration trials for AS-norm, arranged exactly like the held-out ones.

    Inside the calibration speakers every pair is held out in turn and normalised against
    the remaining calibration speakers, so genuine and impostor trials see the same cohort
    (excluding only a trial's own speakers would give impostor trials a cohort without
    their closest voice and genuine ones a cohort with it, a bias that is large when the
    cohort has a handful of speakers). Returns trial indexes, exclusion masks, weights.
    """
    indexes: list[np.ndarray] = []
    masks: list[np.ndarray] = []
    for sub in leave_n_out(sorted(fold.calibration), 2) if len(fold.calibration) >= 4 else []:
        sub_mask = int(sum(int(bit[code[s]]) for s in sub.held_out))
        inside = np.flatnonzero((trial_bits & ~np.int64(sub_mask)) == 0)
        indexes.append(inside)
        masks.append(np.full(len(inside), sub_mask | held_mask, dtype=np.int64))
    if not indexes:
        raise ValueError("AS-norm calibration needs at least four calibration speakers")
    index = np.concatenate(indexes)
    counts = np.bincount(index, minlength=len(trial_bits))
    return index, np.concatenate(masks), 1.0 / counts[index]


def cross_validate(
    trials: TrialSet,
    cohort: Cohort,
    speakers: Sequence[str],
    folds: Sequence[SpeakerFold],
    ks: Sequence[int] = COHORT_KS,
) -> dict[str, Any]:
    """Raw and AS-norm scores judged on held-out speakers with everything chosen elsewhere.

    Per fold: the raw threshold is the EER threshold of the calibration speakers' trials;
    for AS-norm, the calibration speakers are themselves cross-validated (every pair of them
    normalised against the others, see ``_nested_calibration``), K is the one of ``ks`` with
    the lowest calibration EER, and the threshold is that EER's. Held-out trials are then
    normalised against the cohort without the held-out speakers (the calibration speakers).
    """
    code = {name: i for i, name in enumerate(speakers)}
    bit = np.left_shift(np.int64(1), np.arange(len(speakers), dtype=np.int64))
    trial_bits = (
        bit[trials.left_speaker[trials.left_index]] | bit[trials.right_speaker[trials.right_index]]
    )
    fold_masks = [int(sum(int(bit[code[s]]) for s in f.held_out)) for f in folds]
    appearances = np.zeros(len(trial_bits))
    for mask in fold_masks:
        appearances += (trial_bits & ~np.int64(mask)) == 0
    stats = _CohortStats(trials, cohort, ks)
    pieces: dict[str, list[np.ndarray]] = {
        "idx": [],
        "raw": [],
        "norm": [],
        "acc_r": [],
        "acc_n": [],
    }
    thr_raw: list[float] = []
    thr_norm: list[float] = []
    eer_raw: list[tuple[float, str]] = []
    eer_norm: list[tuple[float, str]] = []
    chosen_k: dict[int, int] = {}
    for fold, mask in zip(folds, fold_masks, strict=True):
        held = np.flatnonzero((trial_bits & ~np.int64(mask)) == 0)
        calib = np.flatnonzero((trial_bits & np.int64(mask)) == 0)
        g_cal = trials.genuine[calib]
        if len(held) == 0 or g_cal.all() or not g_cal.any():
            continue
        _, t_raw = weighted_equal_error_rate(trials.scores[calib], g_cal)
        cal_idx, cal_mask, cal_weight = _nested_calibration(trial_bits, fold, code, bit, mask)
        cal_norm = stats.normalise(cal_idx, cal_mask)
        g_nest = trials.genuine[cal_idx]
        per_k = [
            weighted_equal_error_rate(cal_norm[:, c], g_nest, cal_weight) for c in range(len(ks))
        ]
        best = int(np.argmin([e for e, _ in per_k]))
        t_norm = per_k[best][1]
        chosen_k[ks[best]] = chosen_k.get(ks[best], 0) + 1
        held_norm = stats.normalise(held, np.full(len(held), mask, dtype=np.int64))[:, best]
        held_raw = trials.scores[held]
        pieces["idx"].append(held)
        pieces["raw"].append(held_raw)
        pieces["norm"].append(held_norm)
        pieces["acc_r"].append(held_raw >= t_raw)
        pieces["acc_n"].append(held_norm >= t_norm)
        thr_raw.append(t_raw)
        thr_norm.append(t_norm)
        g_held = trials.genuine[held]
        if g_held.any() and not g_held.all():
            name = "+".join(sorted(fold.held_out))
            eer_raw.append((weighted_equal_error_rate(held_raw, g_held)[0], name))
            eer_norm.append((weighted_equal_error_rate(held_norm, g_held)[0], name))
    if not thr_raw:
        raise ValueError("no fold had both genuine and impostor calibration trials")
    idx = np.concatenate(pieces["idx"])
    genuine = trials.genuine[idx]
    weights = 1.0 / appearances[idx]
    raw = _summary(
        np.concatenate(pieces["raw"]),
        genuine,
        weights,
        np.concatenate(pieces["acc_r"]),
        idx,
        thr_raw,
        eer_raw,
    )
    norm = _summary(
        np.concatenate(pieces["norm"]),
        genuine,
        weights,
        np.concatenate(pieces["acc_n"]),
        idx,
        thr_norm,
        eer_norm,
    )
    norm["k_chosen"] = {str(k): v for k, v in sorted(chosen_k.items())}
    return {
        "folds": len(thr_raw),
        "genuine": len(np.unique(idx[genuine])),
        "impostor": len(np.unique(idx[~genuine])),
        "raw": raw,
        "as_norm": norm,
    }
