"""The agent's sampler in the replay: a burst after the first mismatching frame brings the
confirmation sooner than the steady 2 frames per second."""

from __future__ import annotations

from proctorai.bench.face_sequences import agent_sampling
from proctoring.bench.sequence_replay import SteadySampler, impostor_outcome, replay
from proctoring.monitor import ProctoringMonitor
from tests.test_face_sequences_replay import INTERVIEW, fake_analyze, swap_scene


def latency(sampler, steer) -> float | None:  # type: ignore[no-untyped-def]
    result = replay(
        fake_analyze,
        swap_scene(10.2),
        25.0,
        ProctoringMonitor(INTERVIEW, "standard"),
        sampler,
        steer,
        camera_fps=10.0,
    )
    return impostor_outcome(result.timeline, 10.2, 10.0).latency


def test_burst_confirms_sooner_than_the_steady_cadence() -> None:
    steady = latency(SteadySampler(2.0), lambda *args: None)
    burst = latency(*agent_sampling())
    assert steady is not None and burst is not None
    assert 0.8 <= burst - 0.3 < steady - 0.3  # 0.3 s: the wait for the first judged frame
