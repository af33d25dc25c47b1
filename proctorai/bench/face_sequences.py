"""``proctorai bench face-sequences``: the replay of :mod:`proctoring.bench.sequences`
with the agent's own frame sampling (``FrameSampler`` at 2 frames per second, and its
burst of 5 per second while a face anomaly waits to be confirmed, steered as
``agent.proctor.sampling.steer`` steers it for the pipeline). The domain core may not
import the agent, so the composition root passes the sampler in."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from agent.proctor.sampling import FrameSampler
from agent.proctor.sampling import steer as agent_steer
from contracts.anomaly import AnomalyType
from proctoring.bench import sequences
from proctoring.bench.sequence_replay import Sampler, Steer
from proctoring.monitor import ProctoringMonitor
from proctoring.smoothing import Reading


def steer(
    sampler: Any, readings: dict[AnomalyType, Reading], monitor: ProctoringMonitor, t: float
) -> None:
    """The pipeline's own burst rule (:func:`agent.proctor.sampling.steer`) on the replay's
    simulated clock."""
    open_types = {e.type for e in monitor.open_anomalies()}
    agent_steer(sampler, readings.items(), open_types, t)


def agent_sampling() -> tuple[Sampler, Steer]:
    return FrameSampler(), steer


agent_sampling.label = "agent FrameSampler (2 fps, burst 5 fps)"  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="proctorai bench")
    subparsers = parser.add_subparsers(dest="benchmark", required=True)
    sequences.register(subparsers, agent_sampling)
    args = parser.parse_args(["face-sequences", *(argv or [])])
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
