"""``python -m proctoring.bench faces --pairs PAIRS.csv [--method ours|original] [--json]``.

For each pair of the CSV (header ``file_x,file_y,same``, paths relative to
the CSV's folder) the face in ``file_x`` is enrolled and the face in
``file_y`` is judged. Each image is processed once (enrolled, or detected and
encoded) and its result reused by every pair it appears in; ``ms_per_image``
is the mean CPU time of that processing.

Our method: enrollment with the enrollment quality gate (one frame), verdicts
match / mismatch / uncertain from ``proctoring.face``. The seeds' method:
``face_recognition`` on the full image and ``compare_faces`` at 0.6; a pair
where it finds no face in one image is counted as abstained, since it has
no verdict to give.

The last line printed is one JSON object: pairs, genuine, impostor,
false_flag_rate, false_accept_rate, abstain_rate, accuracy, ms_per_image.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proctoring.face.enroll import FaceEnrollment, enroll
from proctoring.face.inspect import FrameInspection, inspect_frame
from proctoring.face.original_method import original_encode, original_same_person
from proctoring.face.policy import FaceEnrollConfig, FaceVerifyConfig
from proctoring.face.verify import MAX_ENCODED_FACES, Verdict, judge_inspection
from proctoring.imaging import load_rgb

Judge = Callable[[str, str], Verdict]


@dataclass(frozen=True)
class Pair:
    file_x: str
    file_y: str
    same: bool


def read_pairs(path: Path) -> list[Pair]:
    with path.open(newline="") as handle:
        return [
            Pair(row["file_x"], row["file_y"], row["same"].strip() == "1")
            for row in csv.DictReader(handle)
        ]


class Timed:
    """Per-image cache that also adds up the CPU time spent filling it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seconds = 0.0
        self.images = 0
        self._cache: dict[tuple[str, str], Any] = {}

    def get(self, role: str, name: str, work: Callable[[Any], Any]) -> Any:
        key = (role, name)
        if key not in self._cache:
            frame = load_rgb(self.root / name)
            start = time.process_time()
            self._cache[key] = work(frame)
            self.seconds += time.process_time() - start
            self.images += 1
        return self._cache[key]


def ours(cache: Timed, verify_policy: FaceVerifyConfig | None = None) -> Judge:
    """Our judge; ``verify_policy`` (default: production's) lets ``faces-cv`` judge
    held-out pairs with thresholds chosen on other people, through this same code."""
    enroll_policy = FaceEnrollConfig(min_frames=1)
    verify_policy = verify_policy or FaceVerifyConfig()

    def enrolled(frame: Any) -> FaceEnrollment | None:
        return enroll([frame], policy=enroll_policy).enrollment

    def inspected(frame: Any) -> FrameInspection:
        return inspect_frame(frame, max_encoded=MAX_ENCODED_FACES, gate=verify_policy.gate)

    def judge(file_x: str, file_y: str) -> Verdict:
        enrollment = cache.get("x", file_x, enrolled)
        if enrollment is None:
            return Verdict.UNCERTAIN
        inspection = cache.get("y", file_y, inspected)
        return judge_inspection(enrollment, inspection, verify_policy).verdict

    return judge


def original(cache: Timed) -> Judge:
    def judge(file_x: str, file_y: str) -> Verdict:
        known = cache.get("any", file_x, original_encode)
        faces = cache.get("any", file_y, original_encode)
        if not known or not faces:
            return Verdict.UNCERTAIN
        same = any(original_same_person(known[0], face)[0] for face in faces)
        return Verdict.MATCH if same else Verdict.MISMATCH

    return judge


def summarise(results: list[tuple[Pair, Verdict]], ms_per_image: float) -> dict[str, Any]:
    genuine = [v for p, v in results if p.same]
    impostor = [v for p, v in results if not p.same]
    decided = [(p, v) for p, v in results if v is not Verdict.UNCERTAIN]
    correct = sum((v is Verdict.MATCH) == p.same for p, v in decided)
    return {
        "pairs": len(results),
        "genuine": len(genuine),
        "impostor": len(impostor),
        "false_flag_rate": round(genuine.count(Verdict.MISMATCH) / max(len(genuine), 1), 4),
        "false_accept_rate": round(impostor.count(Verdict.MATCH) / max(len(impostor), 1), 4),
        "abstain_rate": round(
            sum(v is Verdict.UNCERTAIN for _, v in results) / max(len(results), 1), 4
        ),
        "accuracy": round(correct / max(len(decided), 1), 4),
        "ms_per_image": round(ms_per_image, 1),
    }


def condition_of(pair: Pair) -> str:
    """Group pairs by the folder two levels above file_y (e.g. ``degraded/blur``)."""
    parent = Path(pair.file_y).parent.parent
    return parent.as_posix() if parent.parts else "."


def run(args: argparse.Namespace) -> int:
    pairs = read_pairs(args.pairs)
    cache = Timed(args.pairs.parent)
    judge = ours(cache) if args.method == "ours" else original(cache)
    results = [(pair, judge(pair.file_x, pair.file_y)) for pair in pairs]
    ms = 1000.0 * cache.seconds / max(cache.images, 1)
    summary = summarise(results, ms)
    if not args.json or args.verbose:
        groups: dict[str, list[tuple[Pair, Verdict]]] = defaultdict(list)
        for pair, verdict in results:
            groups[condition_of(pair)].append((pair, verdict))
        print(f"method={args.method} pairs={args.pairs}")
        for name, group in sorted(groups.items()):
            row = summarise(group, ms)
            print(
                f"{name:28s} pairs={row['pairs']:5d} false_flag={row['false_flag_rate']:.3f} "
                f"false_accept={row['false_accept_rate']:.3f} abstain={row['abstain_rate']:.3f} "
                f"accuracy={row['accuracy']:.4f}"
            )
    print(json.dumps({"method": args.method, **summary}) if args.json else summary)
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("faces", help="face verification accuracy on pairs")
    parser.add_argument("--pairs", type=Path, required=True, help="CSV file_x,file_y,same")
    parser.add_argument("--method", choices=("ours", "original"), default="ours")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--verbose", action="store_true", help="with --json, also per group")
    parser.set_defaults(run=run)
