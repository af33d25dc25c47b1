"""``proctorai bench face-sequences [--json]``: face anomalies as the proctor would see them.

Frame verdicts (``bench faces``) say how often one frame is wrong; a proctor sees
anomalies, after the smoother. This replays frame sequences offline through the same
path as the live agent (:mod:`proctoring.bench.sequence_replay`) and counts:

* false ``face_mismatch`` anomalies per hour of genuine, degraded video (and false
  ``multiple_faces`` / ``no_face`` when they occur), with exact 95% Poisson intervals;
* for impostor trials (a genuine stretch, then another person takes the seat), the
  latency from the swap to the confirmed ``face_mismatch`` (``confirmed_at``), p50, p95
  and max, and the share missed within ``--bound`` seconds (Wilson 95%);

overall and per degradation family (:mod:`proctoring.bench.sequence_plan`). The people,
photos, families and draws are fixed by ``--seed``. Nothing here chooses a threshold: the
product's thresholds and the chosen sensitivity preset are measured as they are.

``python -m proctoring.bench face-sequences`` samples at a steady 2 frames per second;
``proctorai bench face-sequences`` passes the agent's own FrameSampler and burst rule.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.anomaly import AnomalyType
from proctoring.bench.sequence_plan import (
    FAMILIES,
    Person,
    SequencePlan,
    load_people,
    placed,
    plan_sequences,
    scene_of,
)
from proctoring.bench.sequence_replay import (
    Replay,
    Sampler,
    SteadySampler,
    Steer,
    Timeline,
    false_starts,
    impostor_outcome,
    no_steer,
    replay,
)
from proctoring.bench.stats import percentile, rate_per_hour, wilson
from proctoring.face.enroll import FaceEnrollment, enroll
from proctoring.face.policy import FaceEnrollConfig
from proctoring.face.verify import FaceVerifier
from proctoring.monitor import ProctoringMonitor

INTERVIEW_ID = "00000000-0000-4000-8000-00000000be9c"
SIGNALS = ("face_mismatch", "multiple_faces", "no_face")
SamplingFactory = Callable[[], tuple[Sampler, Steer]]


def steady() -> tuple[Sampler, Steer]:
    return SteadySampler(2.0), no_steer


@dataclass
class Tally:
    """Genuine time and false anomalies, impostor outcomes, for one group of sequences."""

    seconds: float = 0.0
    frames: int = 0
    false: dict[str, int] | None = None
    latencies: list[float] | None = None
    trials: int = 0
    missed: int = 0
    open_at_swap: int = 0

    def __post_init__(self) -> None:
        self.false = self.false or {}
        self.latencies = self.latencies or []

    def count_false(self, counts: dict[str, int]) -> None:
        assert self.false is not None
        for signal, count in counts.items():
            self.false[signal] = self.false.get(signal, 0) + count

    def summary(self) -> dict[str, Any]:
        assert self.false is not None and self.latencies is not None
        hours = self.seconds / 3600.0
        judged = self.trials - self.open_at_swap
        low, high = wilson(self.missed, judged)
        row: dict[str, Any] = {
            "genuine_hours": round(hours, 4),
            "frames_judged": self.frames,
            **{f"false_{s}": rate_per_hour(self.false.get(s, 0), hours) for s in SIGNALS},
            "impostor_trials": self.trials,
            "impostor_open_at_swap": self.open_at_swap,
            "impostor_missed": self.missed,
            "miss_rate": round(self.missed / judged, 4) if judged else None,
            "miss_rate_ci95": [round(low, 4), round(high, 4)],
        }
        for name, q in (("p50", 50), ("p95", 95), ("max", 100)):
            value = percentile(self.latencies, q)
            row[f"latency_{name}"] = None if value is None else round(value, 2)
        return row


def enrollment_of(person: Person) -> FaceEnrollment | None:
    """The person's clean photos as a baseline, in webcam frames (``enroll`` as the
    baseline page calls it; fewer than its 3 frames only when fewer photos exist)."""
    frames = [placed(picture, _still()) for picture in person.enroll]
    policy = FaceEnrollConfig(min_frames=min(len(frames), FaceEnrollConfig().min_frames))
    return enroll(frames, policy=policy).enrollment


def _still() -> Any:
    """A generator whose draws leave the photo centred at its own size (no jitter)."""

    class Still:
        def uniform(self, low: float, high: float) -> float:
            return 1.0

        def integers(self, low: int, high: int, size: int) -> list[int]:
            return [0] * size

    return Still()


def _stop_after(swap_at: float) -> Callable[[Timeline], bool]:
    def stop(timeline: Timeline) -> bool:
        return any(
            t >= swap_at and e.type is AnomalyType.FACE_MISMATCH and e.state.value == "started"
            for t, e in timeline[-3:]
        )

    return stop


def run_plan(
    plan: SequencePlan,
    enrollment: FaceEnrollment,
    pictures: dict[str, tuple[Any, ...]],
    seed: int,
    sensitivity: str,
    sampling: SamplingFactory,
) -> Replay:
    """One sequence through a fresh verifier and monitor (one interview each)."""
    sampler, steer = sampling()
    return replay(
        FaceVerifier(enrollment).analyze,
        scene_of(plan, pictures, seed),
        plan.duration,
        ProctoringMonitor(INTERVIEW_ID, sensitivity),
        sampler,
        steer,
        stop=None if plan.swap_at is None else _stop_after(plan.swap_at),
    )


def measure(args: argparse.Namespace, sampling: SamplingFactory) -> dict[str, Any]:
    started = time.process_time()
    people = load_people(args.faces, with_clip=not args.no_clip)
    enrollments = {p.name: enrollment_of(p) for p in people if len(p.sources) > 1}
    refused = sorted(name for name, e in enrollments.items() if e is None)
    cast = [(p.name, len(p.show), enrollments.get(p.name) is not None) for p in people]
    families = tuple(args.families.split(",")) if args.families else FAMILIES
    plans = plan_sequences(
        cast,
        args.minutes_per_person * 60.0,
        args.seed,
        families,
        args.bound,
        args.impostors_per_person,
    )
    pictures = {p.name: p.show for p in people}
    overall: Tally = Tally()
    by_family: defaultdict[str, Tally] = defaultdict(Tally)
    for plan in plans:
        enrollment = enrollments[plan.target]
        assert enrollment is not None
        result = run_plan(plan, enrollment, pictures, args.seed, args.sensitivity, sampling)
        for tally in (overall, by_family[plan.family]):
            tally.frames += result.analyzed
            if plan.swap_at is None:
                tally.seconds += result.duration
                tally.count_false(false_starts(result.events))
                continue
            outcome = impostor_outcome(result.timeline, plan.swap_at, args.bound)
            tally.seconds += plan.swap_at
            tally.count_false(false_starts(result.events, before=plan.swap_at))
            tally.trials += 1
            tally.open_at_swap += outcome.open_at_swap
            if not outcome.open_at_swap:
                if outcome.latency is None:
                    tally.missed += 1
                else:
                    assert tally.latencies is not None
                    tally.latencies.append(outcome.latency)
    return {
        "benchmark": "face-sequences",
        "seed": args.seed,
        "sensitivity": args.sensitivity,
        "sampling": getattr(sampling, "label", "steady 2 fps"),
        "bound_seconds": args.bound,
        "people": {p.name: {"enroll": len(p.enroll), "show": len(p.show)} for p in people},
        "enrollment_refused": refused,
        "sequences": len(plans),
        **overall.summary(),
        "by_family": {family: by_family[family].summary() for family in families},
        "cpu_seconds": round(time.process_time() - started, 1),
    }


def _line(name: str, row: dict[str, Any]) -> str:
    mismatch = row["false_face_mismatch"]
    others = " ".join(
        f"{s}={row[f'false_{s}']['count']}" for s in SIGNALS[1:] if row[f"false_{s}"]["count"]
    )
    low, high = mismatch["per_hour_ci95"]
    miss = "-" if row["miss_rate"] is None else f"{row['miss_rate']:.3f}"
    return (
        f"{name:8s} hours={row['genuine_hours']:.3f} false_mismatch={mismatch['count']} "
        f"({mismatch['per_hour']:.2f}/h, 95% {low:.2f}-{high:.2f}) {others} | "
        f"trials={row['impostor_trials']} miss={miss} "
        f"[{row['miss_rate_ci95'][0]:.3f}-{row['miss_rate_ci95'][1]:.3f}] "
        f"p50={row['latency_p50']} p95={row['latency_p95']} max={row['latency_max']}"
    )


def run(args: argparse.Namespace, sampling: SamplingFactory = steady) -> int:
    report = measure(args, sampling)
    if not args.json or args.verbose:
        print(
            f"sensitivity={report['sensitivity']} sampling={report['sampling']} "
            f"seed={report['seed']} sequences={report['sequences']} "
            f"refused={report['enrollment_refused']}"
        )
        for family, row in report["by_family"].items():
            print(_line(family, row))
        print(_line("all", report))
    print(json.dumps(report) if args.json else "")
    return 0


def register(subparsers: Any, sampling: SamplingFactory = steady) -> None:
    parser = subparsers.add_parser(
        "face-sequences", help="false face anomalies per hour and impostor latency, replayed"
    )
    parser.add_argument("--faces", type=Path, default=Path("../shared/data/faces"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sensitivity", choices=("lenient", "standard", "strict"), default="standard"
    )
    parser.add_argument(
        "--minutes-per-person", type=float, default=12.0, help="genuine video per person"
    )
    parser.add_argument("--impostors-per-person", type=int, default=None)
    parser.add_argument("--bound", type=float, default=10.0, help="seconds to detect a swap")
    parser.add_argument("--families", default="", help="comma-separated subset of families")
    parser.add_argument("--no-clip", action="store_true", help="leave out the Hamilton clip")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--verbose", action="store_true", help="with --json, also the table")
    parser.set_defaults(run=lambda args: run(args, sampling))
