"""Frame sampling: 2 per second normally, a bounded burst while an anomaly is confirmed."""

from __future__ import annotations

import itertools

import pytest

from agent.proctor.sampling import FrameSampler
from agent.proctor.stats import FrameStats


def analyzed_times(sampler: FrameSampler, until: float, camera_fps: float = 30.0) -> list[float]:
    """Offer frames at the camera's rate; return when frames were taken."""
    taken = []
    for k in range(int(until * camera_fps)):
        t = k / camera_fps
        if sampler.due(t):
            sampler.taken(t)
            taken.append(t)
    return taken


def test_normal_cadence_is_the_frame_rate() -> None:
    taken = analyzed_times(FrameSampler(frame_rate=2.0), until=10.0)
    assert 19 <= len(taken) <= 20  # newest frame every 0.5 s (to a camera frame)
    assert all(0.5 - 1e-9 <= b - a < 0.5 + 2 / 30 for a, b in itertools.pairwise(taken))


def test_a_burst_samples_faster_then_ends_by_itself() -> None:
    sampler = FrameSampler(frame_rate=2.0, burst_rate=5.0, burst_seconds=2.0)
    sampler.taken(0.0)
    sampler.burst(0.0)
    assert not sampler.due(0.1) and sampler.due(0.2)
    assert sampler.bursting(1.9) and not sampler.bursting(2.0)
    sampler.taken(2.0)
    assert not sampler.due(2.3)  # back to 2 per second once the burst has lapsed
    assert sampler.bursts == 1


def test_calm_ends_a_burst_at_once_and_bursts_are_counted_once() -> None:
    sampler = FrameSampler(frame_rate=2.0, burst_rate=5.0, burst_seconds=2.0)
    sampler.burst(0.0)
    sampler.burst(0.5)  # the same burst, extended
    assert sampler.bursts == 1
    sampler.calm()
    sampler.taken(1.0)
    assert not sampler.due(1.3)


def test_burst_cannot_be_slower_than_normal() -> None:
    with pytest.raises(ValueError):
        FrameSampler(frame_rate=5.0, burst_rate=2.0)


def test_stats_summary_gives_plain_numbers() -> None:
    stats = FrameStats()
    assert stats.summary()["lag_p50"] is None
    stats.lag_seconds.extend([0.1, 0.2, 0.3, 0.4])
    stats.analyzed = 4
    summary = stats.summary()
    assert summary["frames_analyzed"] == 4
    assert summary["lag_p50"] == pytest.approx(0.25)
    assert summary["lag_p95"] == pytest.approx(0.385)
