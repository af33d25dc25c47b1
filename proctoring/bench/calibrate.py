"""``proctorai bench faces-cv --images DIR/images.csv [--json]``: leave-people-out thresholds.

Why: the published face figures were measured on the people and the generator their
thresholds were chosen on. Here the three verdict distances of
:class:`~proctoring.face.policy.FaceVerifyConfig` are chosen on some people and
reported on others, over every condition family of ``degrade --conditions wide``.

Protocol:

* Images: ``images.csv`` (``file,person,photo,family``) written by
  ``proctorai bench degrade --conditions wide``. Enrollment is always a clean frame
  ``x``; the judged frame ``y`` is any image (clean or degraded) of another photo.
  A pair is genuine when both show the same person.
* Folds: PEOPLE are split into ``--folds`` groups (every image of a person in one
  group, balanced by image count). For each fold, the calibration pairs are those
  whose two people are both outside it, the held-out pairs those whose two people
  are both inside it; pairs across folds are in neither, so no person is on both
  sides. A person with one photo has no genuine pair but is still an impostor.
* Search: on the calibration pairs, every grid point ``match <= mismatch <=
  unclear_mismatch`` is scored; the chosen one minimises
  ``false_flag_weight * false_flag_rate + (genuine abstain + impostor abstain) / 2``
  subject to ``false_accept_rate <= max_false_accept`` (ties: larger mismatch
  distances, then the smaller match distance). The search uses a vectorised copy of
  the verdict rule; the figures do not: held-out pairs are judged by
  ``proctoring.bench.faces`` (``judge_inspection``), and any disagreement between
  the two is printed.
* Report: held-out verdicts of all folds pooled, overall and per family, with
  Wilson 95% intervals, next to the same pairs judged with today's fixed thresholds
  and with the seeds' method.

Each image is enrolled or inspected once; the results are kept in ``--cache``
(a pickle next to the images by default) so a second run costs seconds.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import pickle
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from proctoring.bench.faces import Timed, ours
from proctoring.bench.faces import original as original_judge
from proctoring.bench.stats import wilson
from proctoring.face.enroll import FaceEnrollment
from proctoring.face.inspect import FrameInspection
from proctoring.face.policy import FaceVerifyConfig
from proctoring.face.verify import Verdict

MATCH_GRID = tuple(round(0.40 + 0.01 * i, 2) for i in range(31))  # 0.40 .. 0.70
MISMATCH_GRID = tuple(round(0.45 + 0.01 * i, 2) for i in range(51))  # 0.45 .. 0.95


@dataclass(frozen=True)
class ImageRow:
    file: str
    person: str
    photo: str
    family: str


@dataclass(frozen=True)
class CvPair:
    x: ImageRow
    y: ImageRow

    @property
    def same(self) -> bool:
        return self.x.person == self.y.person


def read_images(path: Path) -> list[ImageRow]:
    with path.open(newline="") as handle:
        return [
            ImageRow(row["file"], row["person"], row["photo"], row["family"])
            for row in csv.DictReader(handle)
        ]


def make_pairs(images: Sequence[ImageRow]) -> list[CvPair]:
    """Every clean enrollment against every image of another photo."""
    clean = [image for image in images if image.family == "clean"]
    return [CvPair(x, y) for x in clean for y in images if y.photo != x.photo]


def split_people(counts: dict[str, int], folds: int, seed: int = 0) -> list[frozenset[str]]:
    """Split people (with their image counts) into ``folds`` groups of similar size.

    Largest first, each to the group with the fewest images so far; people of equal
    count are shuffled with ``seed`` so another seed gives another split.
    """
    if not 2 <= folds <= len(counts):
        raise ValueError("need at least two folds and no more folds than people")
    people = sorted(counts)
    random.Random(seed).shuffle(people)
    people.sort(key=lambda person: -counts[person])
    groups: list[set[str]] = [set() for _ in range(folds)]
    sizes = [0] * folds
    for person in people:
        index = min(range(folds), key=lambda i: (sizes[i], len(groups[i]), i))
        groups[index].add(person)
        sizes[index] += counts[person]
    return [frozenset(group) for group in groups]


def fold_pairs(pairs: Sequence[CvPair], fold: frozenset[str]) -> tuple[list[CvPair], list[CvPair]]:
    """(calibration, held-out): both people outside the fold, both inside it."""
    calibration = [p for p in pairs if p.x.person not in fold and p.y.person not in fold]
    held_out = [p for p in pairs if p.x.person in fold and p.y.person in fold]
    return calibration, held_out


# --- The search: the verdict rule of ``verify.judge_inspection``, vectorised. ---


@dataclass(frozen=True)
class PairFeatures:
    """What the verdict of each pair depends on, thresholds aside (arrays, one per pair).

    ``distance``: closest encoded face (inf when none or no enrollment); ``gated``: a
    face in view was under the quality gate (so a non-match is uncertain); ``clear``:
    the closest face passes the clear gate (mismatch over ``mismatch_distance``, else
    over ``unclear_mismatch_distance``); ``same``: genuine pair.
    """

    distance: NDArray[np.float64]
    gated: NDArray[np.bool_]
    clear: NDArray[np.bool_]
    same: NDArray[np.bool_]


def features_of(
    enrollment: FaceEnrollment | None, inspection: FrameInspection, policy: FaceVerifyConfig
) -> tuple[float, bool, bool]:
    """(distance, gated, clear) of one pair, as ``judge_inspection`` would see them."""
    if enrollment is None or not inspection.encoded:
        return math.inf, True, False
    best, clear, gated = math.inf, False, False
    for encoded in inspection.encoded:
        if encoded.embedding is None or policy.gate.problem(encoded.face.quality):
            gated = True
            continue
        distance = enrollment.distance(encoded.embedding)
        if distance < best:
            best = distance
            clear = policy.clear.problem(encoded.face.quality) is None
    return best, gated, clear


def fast_verdicts(
    features: PairFeatures, match: float, mismatch: float, unclear: float
) -> list[Verdict]:
    """The verdicts ``judge_inspection`` gives at these thresholds (for checking)."""
    verdicts = []
    for d, gated, clear in zip(features.distance, features.gated, features.clear, strict=True):
        if d <= match:
            verdicts.append(Verdict.MATCH)
        elif not gated and d > (mismatch if clear else unclear):
            verdicts.append(Verdict.MISMATCH)
        else:
            verdicts.append(Verdict.UNCERTAIN)
    return verdicts


@dataclass(frozen=True)
class Choice:
    match_distance: float
    mismatch_distance: float
    unclear_mismatch_distance: float
    cost: float
    false_flag_rate: float
    false_accept_rate: float
    abstain_rate: float

    def policy(self) -> FaceVerifyConfig:
        return FaceVerifyConfig(
            match_distance=self.match_distance,
            mismatch_distance=self.mismatch_distance,
            unclear_mismatch_distance=self.unclear_mismatch_distance,
        )


def _over(values: NDArray[np.float64], grid: NDArray[np.float64]) -> NDArray[np.int64]:
    """How many of ``values`` are over each grid point."""
    ordered = np.sort(values)
    return len(ordered) - np.searchsorted(ordered, grid, side="right")


def search_thresholds(
    features: PairFeatures,
    max_false_accept: float = 0.005,
    false_flag_weight: float = 5.0,
    match_grid: Sequence[float] = MATCH_GRID,
    mismatch_grid: Sequence[float] = MISMATCH_GRID,
) -> Choice:
    """The grid point with the lowest cost whose false accept rate is within bound.

    Exact on the grid: the match count depends on ``match`` only, the mismatch count on
    ``mismatch`` (clear faces) plus ``unclear`` (unclear faces), so each is a sorted
    count and every (match, mismatch, unclear) is scored at once.
    """
    d, gated, clear, same = features.distance, features.gated, features.clear, features.same
    genuine, impostor = max(int(same.sum()), 1), max(int((~same).sum()), 1)
    t = np.asarray(match_grid, dtype=np.float64)
    m = np.asarray(mismatch_grid, dtype=np.float64)
    judged = ~gated & np.isfinite(d)

    def counts(mask: NDArray[np.bool_]) -> tuple[Any, Any, Any]:
        matched = np.searchsorted(np.sort(d[mask]), t, side="right")
        over_clear = _over(d[mask & judged & clear], m)
        over_unclear = _over(d[mask & judged & ~clear], m)
        return (
            matched[:, None, None],
            over_clear[None, :, None],
            over_unclear[None, None, :],
        )

    g_match, g_clear, g_unclear = counts(same)
    i_match, i_clear, i_unclear = counts(~same)
    shape = (len(t), len(m), len(m))
    false_flag = np.broadcast_to((g_clear + g_unclear) / genuine, shape)
    false_accept = np.broadcast_to(i_match / impostor, shape)
    abstain_g = 1.0 - g_match / genuine - false_flag
    abstain_i = 1.0 - false_accept - (i_clear + i_unclear) / impostor
    cost = false_flag_weight * false_flag + (abstain_g + abstain_i) / 2
    valid = (
        (t[:, None, None] <= m[None, :, None])
        & (m[None, :, None] <= m[None, None, :])
        & (false_accept <= max_false_accept)
    )
    cost = np.where(valid, cost, np.inf)
    if not np.isfinite(cost).any():
        raise ValueError("no threshold meets the false accept bound")
    # Ties: larger mismatch distances first, then the smaller match distance.
    best = min(
        zip(*np.nonzero(cost == cost.min()), strict=True),
        key=lambda ijk: (-ijk[1], -ijk[2], ijk[0]),
    )
    i, j, k = (int(v) for v in best)
    abstained = abstain_g[i, j, k] * genuine + abstain_i[i, j, k] * impostor
    return Choice(
        match_distance=float(t[i]),
        mismatch_distance=float(m[j]),
        unclear_mismatch_distance=float(m[k]),
        cost=float(cost[i, j, k]),
        false_flag_rate=float(false_flag[i, j, k]),
        false_accept_rate=float(false_accept[i, 0, 0]),
        abstain_rate=float(abstained / (genuine + impostor)),
    )


# --- Reporting. ---


def rate(successes: int, trials: int) -> dict[str, Any]:
    low, high = wilson(successes, trials)
    return {
        "k": successes,
        "n": trials,
        "rate": round(successes / trials, 4) if trials else None,
        "ci95": [round(low, 4), round(high, 4)],
    }


def summarise(results: Iterable[tuple[bool, Verdict]]) -> dict[str, Any]:
    """False flag (genuine judged mismatch), false accept (impostor judged match),
    abstain (uncertain, all pairs and genuine only), accuracy (of decided pairs)."""
    rows = list(results)
    genuine = [v for same, v in rows if same]
    impostor = [v for same, v in rows if not same]
    decided = [(same, v) for same, v in rows if v is not Verdict.UNCERTAIN]
    return {
        "pairs": len(rows),
        "false_flag": rate(genuine.count(Verdict.MISMATCH), len(genuine)),
        "false_accept": rate(impostor.count(Verdict.MATCH), len(impostor)),
        "abstain": rate(sum(v is Verdict.UNCERTAIN for _, v in rows), len(rows)),
        "genuine_abstain": rate(genuine.count(Verdict.UNCERTAIN), len(genuine)),
        "accuracy": rate(sum((v is Verdict.MATCH) == same for same, v in decided), len(decided)),
    }


def by_family(
    pairs: Sequence[CvPair], verdicts: Sequence[Verdict]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    groups: dict[str, list[tuple[bool, Verdict]]] = defaultdict(list)
    for pair, verdict in zip(pairs, verdicts, strict=True):
        groups[pair.y.family].append((pair.same, verdict))
    overall = summarise((p.same, v) for p, v in zip(pairs, verdicts, strict=True))
    return overall, {name: summarise(rows) for name, rows in sorted(groups.items())}


def _pct(entry: dict[str, Any]) -> str:
    if not entry["n"]:
        return "-"
    low, high = entry["ci95"]
    return (
        f"{100 * entry['rate']:.1f}% [{100 * low:.1f}-{100 * high:.1f}] ({entry['k']}/{entry['n']})"
    )


def print_table(title: str, overall: dict[str, Any], families: dict[str, dict[str, Any]]) -> None:
    print(f"\n== {title} (held-out pairs, pooled over folds; 95% Wilson intervals)")
    print(f"{'family':34s} {'false flag':28s} {'false accept':28s} {'abstain':28s} accuracy")
    for name, row in [("ALL", overall), *families.items()]:
        print(
            f"{name:34s} {_pct(row['false_flag']):28s} {_pct(row['false_accept']):28s} "
            f"{_pct(row['abstain']):28s} {_pct(row['accuracy'])}"
        )


# --- Running it. ---


def load_cache(path: Path, root: Path) -> Timed:
    if path.exists():
        with path.open("rb") as handle:
            cached: Timed = pickle.load(handle)  # our own file, written by save_cache
        cached.root = root
        return cached
    return Timed(root)


def save_cache(cache: Timed, path: Path) -> None:
    with path.open("wb") as handle:
        pickle.dump(cache, handle)


def pair_features(pairs: Sequence[CvPair], cache: Timed) -> PairFeatures:
    """Features of every pair from the cached enrollments and inspections (filled by
    running our judge once on each pair)."""
    policy = FaceVerifyConfig()
    judge = ours(cache, policy)
    rows = []
    for pair in pairs:
        judge(pair.x.file, pair.y.file)  # fills the cache through the benchmark's own code
        enrollment = cache.get("x", pair.x.file, _missing)
        inspection = (
            cache.get("y", pair.y.file, _missing)
            if enrollment is not None
            else FrameInspection((), ())
        )
        rows.append(features_of(enrollment, inspection, policy))
    distance, gated, clear = (np.array(column) for column in zip(*rows, strict=True))
    return PairFeatures(
        distance=distance.astype(np.float64),
        gated=gated.astype(bool),
        clear=clear.astype(bool),
        same=np.array([p.same for p in pairs], dtype=bool),
    )


def _missing(frame: Any) -> Any:
    raise KeyError("image not in the cache")


def subset(features: PairFeatures, index: NDArray[np.int64]) -> PairFeatures:
    return PairFeatures(
        features.distance[index], features.gated[index], features.clear[index], features.same[index]
    )


def run(args: argparse.Namespace) -> int:
    root = args.images.parent
    images = read_images(args.images)
    if args.families:
        wanted = set(args.families.split(",")) | {"clean"}
        images = [image for image in images if image.family in wanted]
    pairs = make_pairs(images)
    cache_path = args.cache or root / "faces-cv-cache.pkl"
    cache = load_cache(cache_path, root)
    features = pair_features(pairs, cache)
    save_cache(cache, cache_path)

    counts: dict[str, int] = defaultdict(int)
    for image in images:
        counts[image.person] += 1
    folds = split_people(counts, args.folds, args.seed)
    index_of = {id(pair): i for i, pair in enumerate(pairs)}
    held: list[CvPair] = []
    verdicts: dict[str, list[Verdict]] = {"cv": [], "fixed": [], "original": []}
    fold_reports = []
    disagreements = 0
    fixed = ours(cache)
    for number, fold in enumerate(folds):
        calibration, held_out = fold_pairs(pairs, fold)
        calibration_index = np.array([index_of[id(p)] for p in calibration], dtype=np.int64)
        choice = search_thresholds(
            subset(features, calibration_index), args.max_false_accept, args.false_flag_weight
        )
        judge = ours(cache, choice.policy())
        cv_verdicts = [judge(p.x.file, p.y.file) for p in held_out]
        held_index = np.array([index_of[id(p)] for p in held_out], dtype=np.int64)
        fast = fast_verdicts(
            subset(features, held_index),
            choice.match_distance,
            choice.mismatch_distance,
            choice.unclear_mismatch_distance,
        )
        disagreements += sum(a is not b for a, b in zip(fast, cv_verdicts, strict=True))
        held.extend(held_out)
        verdicts["cv"].extend(cv_verdicts)
        verdicts["fixed"].extend(fixed(p.x.file, p.y.file) for p in held_out)
        fold_reports.append(
            {
                "fold": number,
                "held_out_people": sorted(fold),
                "calibration_pairs": len(calibration),
                "held_out_pairs": len(held_out),
                "match_distance": choice.match_distance,
                "mismatch_distance": choice.mismatch_distance,
                "unclear_mismatch_distance": choice.unclear_mismatch_distance,
                "calibration_false_flag_rate": round(choice.false_flag_rate, 4),
                "calibration_false_accept_rate": round(choice.false_accept_rate, 4),
                "calibration_abstain_rate": round(choice.abstain_rate, 4),
            }
        )
        print(json.dumps(fold_reports[-1]) if args.json else fold_reports[-1], flush=True)
    methods = ["cv", "fixed"]
    if not args.no_original:
        seeds = original_judge(cache)
        verdicts["original"] = [seeds(p.x.file, p.y.file) for p in held]
        save_cache(cache, cache_path)
        methods.append("original")
    titles = {
        "cv": "ours, thresholds chosen on the other folds' people",
        "fixed": "ours, today's fixed thresholds (FaceVerifyConfig defaults)",
        "original": "seeds' method (face_recognition compare_faces 0.6)",
    }
    report: dict[str, Any] = {
        "benchmark": "faces-cv",
        "images": len(images),
        "people": len(counts),
        "folds": fold_reports,
        "objective": (
            f"min {args.false_flag_weight} * false_flag + mean(genuine, impostor abstain) "
            f"s.t. calibration false_accept <= {args.max_false_accept}"
        ),
        "search_vs_judge_disagreements": disagreements,
        "methods": {},
    }
    for method in methods:
        overall, families = by_family(held, verdicts[method])
        report["methods"][method] = {"overall": overall, "families": families}
        if not args.json or args.verbose:
            print_table(titles[method], overall, families)
    print(f"search/judge disagreements on held-out pairs: {disagreements}")
    if args.json:
        print(json.dumps(report))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "faces-cv", help="face thresholds by leave-people-out cross-validation, per family"
    )
    parser.add_argument(
        "--images", type=Path, required=True, help="images.csv of `degrade --conditions wide`"
    )
    parser.add_argument("--folds", type=int, default=3, help="groups of people (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split of people")
    parser.add_argument("--max-false-accept", type=float, default=0.005)
    parser.add_argument("--false-flag-weight", type=float, default=5.0)
    parser.add_argument("--families", help="comma-separated subset of families (and clean)")
    parser.add_argument("--cache", type=Path, help="pickle of per-image results")
    parser.add_argument("--no-original", action="store_true", help="skip the seeds' method")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--verbose", action="store_true", help="with --json, also the tables")
    parser.set_defaults(run=run)
