"""Leave-people-out calibration: fold split, threshold search, Wilson interval, and the
vectorised verdict rule against ``judge_inspection`` (no images, no models)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from proctoring.bench.calibrate import (
    CvPair,
    ImageRow,
    PairFeatures,
    fast_verdicts,
    features_of,
    fold_pairs,
    make_pairs,
    search_thresholds,
    split_people,
)
from proctoring.bench.stats import wilson
from proctoring.face.detect import FaceBox
from proctoring.face.encode import AlignedFace
from proctoring.face.enroll import FaceEnrollment
from proctoring.face.inspect import EncodedFace, FrameInspection
from proctoring.face.policy import FaceVerifyConfig
from proctoring.face.quality import FaceQuality
from proctoring.face.verify import Verdict, judge_inspection


def _images() -> list[ImageRow]:
    rows = []
    for p, photos in {"ann": 3, "bob": 2, "cy": 1, "dee": 4, "eve": 1, "fay": 2}.items():
        for n in range(photos):
            photo = f"{p}{n}"
            rows.append(ImageRow(f"clean/{p}/{photo}.png", p, photo, "clean"))
            rows.append(ImageRow(f"degraded/blur/{p}/{photo}.png", p, photo, "blur"))
    return rows


def test_split_puts_every_person_in_exactly_one_fold() -> None:
    counts = {"ann": 6, "bob": 4, "cy": 2, "dee": 8, "eve": 2, "fay": 4}
    folds = split_people(counts, 3, seed=1)
    assert len(folds) == 3
    assert sorted(p for fold in folds for p in fold) == sorted(counts)
    sizes = [sum(counts[p] for p in fold) for fold in folds]
    assert max(sizes) - min(sizes) <= 2


def test_no_person_on_both_sides_of_a_fold() -> None:
    images = _images()
    pairs = make_pairs(images)
    counts = {image.person: 0 for image in images}
    for fold in split_people(counts, 3):
        calibration, held_out = fold_pairs(pairs, fold)
        calibrated = {p.x.person for p in calibration} | {p.y.person for p in calibration}
        held = {p.x.person for p in held_out} | {p.y.person for p in held_out}
        assert held and calibrated
        assert not calibrated & held
        assert held <= fold
        assert any(not p.same for p in held_out)


def test_pairs_never_judge_the_enrollment_photo_itself() -> None:
    pairs = make_pairs(_images())
    assert all(p.x.family == "clean" and p.x.photo != p.y.photo for p in pairs)
    # a person with one photo is only ever an impostor
    assert all(not p.same for p in pairs if p.x.person in ("cy", "eve"))


def test_split_refuses_impossible_fold_counts() -> None:
    with pytest.raises(ValueError):
        split_people({"a": 1, "b": 1}, 3)


def _synthetic(seed: int = 0) -> PairFeatures:
    """Genuine: clear faces at 0.30-0.55, poor (unclear) frames at 0.62-0.75.
    Impostors: clear at 0.80-1.00, and 10% on poor frames at 0.60-0.78."""
    rng = np.random.default_rng(seed)
    distance = np.concatenate(
        [
            rng.uniform(0.30, 0.55, 400),
            rng.uniform(0.62, 0.75, 100),
            rng.uniform(0.80, 1.00, 450),
            rng.uniform(0.60, 0.78, 50),
        ]
    )
    clear = np.concatenate([np.ones(400), np.zeros(100), np.ones(450), np.zeros(50)]) > 0
    same = np.arange(1000) < 500
    return PairFeatures(distance, np.zeros(1000, bool), clear, same)


def test_search_finds_the_separating_thresholds() -> None:
    features = _synthetic()
    poor_genuine_max = float(features.distance[400:500].max())
    choice = search_thresholds(features, max_false_accept=0.005, false_flag_weight=5.0)
    assert choice.false_accept_rate <= 0.005
    assert choice.false_flag_rate == 0.0
    # every good genuine pair matched, no poor impostor (from 0.60) reached
    assert 0.55 <= choice.match_distance < 0.62
    # clear impostors (>= 0.80) are mismatches
    assert choice.mismatch_distance < 0.80
    # the unclear cut-off sits just over the farthest poor genuine frame
    assert poor_genuine_max < choice.unclear_mismatch_distance <= poor_genuine_max + 0.01
    assert choice.match_distance <= choice.mismatch_distance <= choice.unclear_mismatch_distance


def test_search_respects_the_false_accept_bound() -> None:
    features = _synthetic()
    # move 5% of impostors close: matching them would break a 1% bound
    distance = features.distance.copy()
    distance[500:525] = 0.50
    moved = PairFeatures(distance, features.gated, features.clear, features.same)
    choice = search_thresholds(moved, max_false_accept=0.01)
    assert choice.false_accept_rate <= 0.01
    assert choice.match_distance < 0.50


def test_search_agrees_with_brute_force_on_random_data() -> None:
    rng = np.random.default_rng(3)
    n = 300
    features = PairFeatures(
        rng.uniform(0.3, 1.0, n),
        rng.random(n) < 0.1,
        rng.random(n) < 0.6,
        rng.random(n) < 0.4,
    )
    grid_t = (0.3, 0.35, 0.4, 0.45, 0.5)
    grid_m = (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8)
    choice = search_thresholds(features, 0.15, 3.0, grid_t, grid_m)
    same = features.same
    best = None
    for t in grid_t:
        for m in grid_m:
            for u in grid_m:
                if not t <= m <= u:
                    continue
                v = np.array(fast_verdicts(features, t, m, u))
                fa = float(np.mean(v[~same] == Verdict.MATCH))
                if fa > 0.15:
                    continue
                ff = float(np.mean(v[same] == Verdict.MISMATCH))
                ag = float(np.mean(v[same] == Verdict.UNCERTAIN))
                ai = float(np.mean(v[~same] == Verdict.UNCERTAIN))
                cost = 3.0 * ff + (ag + ai) / 2
                if best is None or cost < best - 1e-12:
                    best = cost
    assert best is not None
    assert choice.cost == pytest.approx(best)


def test_wilson_interval_known_values() -> None:
    low, high = wilson(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    low, high = wilson(2, 760)
    assert low < 2 / 760 < high
    assert wilson(0, 0) == (0.0, 1.0)


def _face(px: int, luminance: float, rng: random.Random) -> tuple[EncodedFace, np.ndarray]:
    quality = FaceQuality(
        face_px=px, luminance=luminance, contrast=30.0, sharpness=60.0, detector_score=1.0
    )
    box = FaceBox(top=0, right=px, bottom=px, left=0, score=1.0)
    face = AlignedFace(box=box, chip=np.zeros((150, 150, 3), np.uint8), quality=quality)
    direction = np.array([rng.gauss(0, 1) for _ in range(128)])
    vector = direction / np.linalg.norm(direction) * rng.uniform(0.3, 1.0)
    gate = FaceVerifyConfig().gate
    embedding = None if gate.problem(quality) else vector
    return EncodedFace(face=face, embedding=embedding), vector


@pytest.mark.parametrize(
    ("match", "mismatch", "unclear"), [(0.6, 0.66, 0.68), (0.5, 0.55, 0.9), (0.7, 0.7, 0.7)]
)
def test_fast_verdicts_equal_judge_inspection(
    match: float, mismatch: float, unclear: float
) -> None:
    rng = random.Random(5)
    policy = FaceVerifyConfig(
        match_distance=match, mismatch_distance=mismatch, unclear_mismatch_distance=unclear
    )
    enrollment = FaceEnrollment((np.zeros(128),))
    rows, expected = [], []
    for _ in range(300):
        faces = [
            _face(rng.choice((20, 60, 120)), rng.choice((8.0, 50.0, 100.0)), rng)[0]
            for _ in range(rng.choice((0, 1, 1, 1, 2, 3)))
        ]
        inspection = FrameInspection(boxes=(), encoded=tuple(faces))
        expected.append(judge_inspection(enrollment, inspection, policy).verdict)
        rows.append(features_of(enrollment, inspection, policy))
    d, g, c = (np.array(col) for col in zip(*rows, strict=True))
    features = PairFeatures(d.astype(float), g.astype(bool), c.astype(bool), np.ones(300, bool))
    assert fast_verdicts(features, match, mismatch, unclear) == expected
    assert len(set(expected)) == 3


def test_pair_is_genuine_only_for_the_same_person() -> None:
    a = ImageRow("a.png", "ann", "a0", "clean")
    b = ImageRow("b.png", "ann", "a1", "blur")
    c = ImageRow("c.png", "bob", "b0", "blur")
    assert CvPair(a, b).same and not CvPair(a, c).same
