"""The sequence plans of the face-sequences benchmark: deterministic, the right people."""

from __future__ import annotations

import numpy as np

from proctoring.bench.sequence_plan import (
    FAMILIES,
    degraded,
    plan_sequences,
    shot_at,
    split_count,
)

CAST = [("ann", 3, True), ("bob", 1, True), ("cy", 1, False), ("dee", 2, True)]


def test_same_seed_same_plans_other_seed_other_draws() -> None:
    assert plan_sequences(CAST, 120.0, seed=3) == plan_sequences(CAST, 120.0, seed=3)
    assert plan_sequences(CAST, 120.0, seed=3) != plan_sequences(CAST, 120.0, seed=4)


def test_genuine_sequences_show_only_the_enrolled_person_for_every_family() -> None:
    plans = [p for p in plan_sequences(CAST, 120.0, seed=0) if p.kind == "genuine"]
    assert {(p.target, p.family) for p in plans} == {
        (name, family) for name in ("ann", "bob", "dee") for family in FAMILIES
    }
    photos = dict((name, count) for name, count, _ in CAST)
    for plan in plans:
        assert {s.person for s in plan.shots} == {plan.target}
        assert all(0 <= s.photo < photos[plan.target] for s in plan.shots)
        assert plan.duration == 120.0 / len(FAMILIES)
        assert sum(s.seconds for s in plan.shots) == np.float64(plan.duration)


def test_impostor_trials_swap_once_to_someone_else() -> None:
    plans = [p for p in plan_sequences(CAST, 60.0, seed=1, bound=10.0) if p.kind == "impostor"]
    assert len(plans) == 3 * 3  # every enrollable person, against each of the 3 others
    for plan in plans:
        assert plan.swap_at is not None and 8.0 <= plan.swap_at <= 12.0
        assert plan.impostor != plan.target
        assert shot_at(plan.shots, plan.swap_at - 1e-6).person == plan.target
        assert shot_at(plan.shots, plan.swap_at).person == plan.impostor
        assert shot_at(plan.shots, plan.duration - 1e-6).person == plan.impostor
        assert plan.duration == plan.swap_at + 11.0
    assert "cy" not in {p.target for p in plans}  # one photo, not enrollable: impostor only
    assert "cy" in {p.impostor for p in plans}


def test_impostors_per_person_draws_a_subset() -> None:
    plans = plan_sequences(CAST, 60.0, seed=1, impostors_per_person=1)
    assert sum(p.kind == "impostor" for p in plans) == 3


def test_split_count_keeps_photos_to_show() -> None:
    assert [split_count(n) for n in (1, 2, 3, 5, 8)] == [1, 1, 1, 2, 3]


def test_degraded_frames_are_deterministic_and_keep_their_size() -> None:
    frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    for family in FAMILIES:
        a = degraded(frame, family, 0.7, np.random.default_rng(5))
        b = degraded(frame, family, 0.7, np.random.default_rng(5))
        assert a.shape == frame.shape and a.dtype == np.uint8
        assert np.array_equal(a, b)
    assert np.array_equal(degraded(frame, "clean", 1.0, np.random.default_rng(0)), frame)
    assert not np.array_equal(degraded(frame, "180p", 0.0, np.random.default_rng(0)), frame)
