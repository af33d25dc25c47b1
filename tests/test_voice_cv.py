"""Leave-speakers-out voice evaluation: fold split, AS-norm and EER arithmetic."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from proctoring.bench import voices
from proctoring.bench.voice_cv import (
    Cohort,
    TrialSet,
    _nested_calibration,
    cross_validate,
    weighted_equal_error_rate,
)
from proctoring.bench.voice_folds import SpeakerFold, leave_n_out
from proctoring.bench.voice_norm import as_norm, top_k_stats

NAMES = [f"s{i}" for i in range(10)]


def test_leave_two_out_holds_every_pair_out_once_and_never_on_both_sides() -> None:
    folds = leave_n_out([*reversed(NAMES), "s0"], 2)  # order and repeats do not matter
    assert len(folds) == 45
    held = [fold.held_out for fold in folds]
    assert set(held) == {frozenset(p) for p in combinations(NAMES, 2)}
    for fold in folds:
        assert len(fold.held_out) == 2 and len(fold.calibration) == 8
        assert not fold.held_out & fold.calibration
        assert fold.held_out | fold.calibration == set(NAMES)


def test_fold_rules_are_enforced() -> None:
    with pytest.raises(ValueError):
        SpeakerFold(frozenset({"a", "b"}), frozenset({"b", "c"}))
    with pytest.raises(ValueError):
        leave_n_out(["a", "b", "c"], 2)  # one calibration speaker: no impostor trials
    with pytest.raises(ValueError):
        leave_n_out(NAMES, 1)


def test_weighted_eer_matches_the_plain_one_and_counts_weights_as_copies() -> None:
    rng = np.random.default_rng(1)
    genuine = rng.random(400) < 0.2
    scores = rng.normal(size=400) + 1.5 * genuine
    assert weighted_equal_error_rate(scores, genuine) == pytest.approx(
        voices.equal_error_rate(scores, genuine)
    )
    assert weighted_equal_error_rate(scores, genuine, np.full(400, 3.0)) == pytest.approx(
        weighted_equal_error_rate(scores, genuine)
    )
    # Ascending: impostor 0.1, genuine 0.5 (weight 3), impostor 0.6, genuine 0.9. Rejecting
    # the heavy genuine trial costs 3/4 of the genuine weight: EER (3/4 + 1/2) / 2 at 0.6.
    four = np.array([0.9, 0.6, 0.5, 0.1])
    labels = np.array([True, False, True, False])
    assert weighted_equal_error_rate(four, labels) == pytest.approx((0.5, 0.6))
    eer, threshold = weighted_equal_error_rate(four, labels, np.array([1.0, 1.0, 3.0, 1.0]))
    assert (eer, threshold) == pytest.approx((0.625, 0.6))
    separated = np.array([0.9, 0.8, 0.3, 0.2])
    eer, threshold = weighted_equal_error_rate(separated, np.array([True, True, False, False]))
    assert eer == 0.0 and 0.3 < threshold <= 0.8
    with pytest.raises(ValueError):
        weighted_equal_error_rate(separated, np.zeros(4, dtype=bool))


def test_top_k_stats_and_as_norm_arithmetic() -> None:
    scores = np.array([[0.1, 0.9, 0.5, 0.7], [0.2, 0.2, 0.2, 0.2]])
    means, stds = top_k_stats(scores, [2, 10])
    assert means[0] == pytest.approx([0.8, 0.55])
    assert stds[0, 0] == pytest.approx(0.1)
    assert stds[1, 0] > 0  # a flat cohort must not divide by zero
    # A score one top-K standard deviation above both sides' means normalises to 1.
    assert as_norm(np.array([0.9]), means[0, :1], stds[0, :1], means[0, :1], stds[0, :1])[
        0
    ] == pytest.approx(1.0)


def _hub_embeddings(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Speakers pulled by different amounts towards one shared direction ("hubs").

    Hubs score high against everybody, which a single raw threshold cannot handle and
    AS-norm removes: a known, strong effect.
    """
    rng = np.random.default_rng(seed)
    dim, per = 32, 12
    shared = rng.normal(size=dim)
    shared /= np.linalg.norm(shared)
    rows, speakers = [], []
    for s in range(len(NAMES)):
        centre = rng.normal(size=dim)
        centre /= np.linalg.norm(centre)
        pull = 2.0 * s / (len(NAMES) - 1)
        for _ in range(per):
            v = centre + pull * shared + 0.24 * rng.normal(size=dim)
            rows.append(v / np.linalg.norm(v))
            speakers.append(s)
    return np.asarray(rows), np.asarray(speakers)


def test_as_norm_helps_on_hub_speakers_held_out() -> None:
    emb, spk = _hub_embeddings()
    rows, cols = np.triu_indices(len(emb), k=1)
    trials = TrialSet(emb, spk, emb, spk, rows, cols)
    result = cross_validate(trials, Cohort(emb, spk), NAMES, leave_n_out(NAMES, 2), ks=(10, 50))
    assert result["folds"] == 45
    # Every distinct trial is held out (impostors once, genuine ones in nine folds).
    assert result["genuine"] == int(trials.genuine.sum())
    assert result["impostor"] == int((~trials.genuine).sum())
    raw, norm = result["raw"], result["as_norm"]
    assert norm["eer"] < 0.8 * raw["eer"]
    assert norm["false_accept"]["rate"] < raw["false_accept"]["rate"]
    low, high = raw["false_reject"]["ci95"]
    assert low <= raw["false_reject"]["rate"] <= high


def test_calibration_never_touches_the_held_out_speakers() -> None:
    emb, spk = _hub_embeddings()
    rows, cols = np.triu_indices(len(emb), k=1)
    code = {name: i for i, name in enumerate(NAMES)}
    bit = np.left_shift(np.int64(1), np.arange(len(NAMES), dtype=np.int64))
    trial_bits = bit[spk[rows]] | bit[spk[cols]]
    fold = leave_n_out(NAMES, 2)[7]
    held_mask = int(sum(int(bit[code[s]]) for s in fold.held_out))
    index, masks, weights = _nested_calibration(trial_bits, fold, code, bit, held_mask)
    assert not (trial_bits[index] & held_mask).any()  # no held-out speaker in a trial
    assert ((masks & held_mask) == held_mask).all()  # nor in any trial's cohort
    assert ((masks & trial_bits[index]) == trial_bits[index]).all()  # nor the trial's own
    # Each distinct calibration trial weighs one in total.
    assert np.bincount(index, weights=weights)[np.unique(index)] == pytest.approx(1.0)
