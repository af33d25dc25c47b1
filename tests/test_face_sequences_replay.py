"""Latency and false-anomaly accounting of the face-sequences replay, on a fake verifier
whose answer is known: the real smoother and monitor, no images."""

from __future__ import annotations

import pytest

from contracts.anomaly import AnomalyType
from proctoring.bench.sequence_replay import (
    SteadySampler,
    false_starts,
    impostor_outcome,
    replay,
)
from proctoring.face.verify import FaceObservation, Verdict
from proctoring.monitor import ProctoringMonitor

INTERVIEW = "00000000-0000-4000-8000-000000000001"


def fake_analyze(label: str) -> FaceObservation:
    """'me' matches, 'other' mismatches, 'dark' is uncertain, 'none' shows no face."""
    if label == "none":
        return FaceObservation(0, (), Verdict.UNCERTAIN, "no face")
    verdict = {"me": Verdict.MATCH, "other": Verdict.MISMATCH, "dark": Verdict.UNCERTAIN}[label]
    return FaceObservation(1, (), verdict, label)


def swap_scene(swap_at: float, after: str = "other"):  # type: ignore[no-untyped-def]
    return lambda t: "me" if t < swap_at else after


def run(scene, duration: float, stop=None):  # type: ignore[no-untyped-def]
    return replay(
        fake_analyze,
        scene,
        duration,
        ProctoringMonitor(INTERVIEW, "standard"),
        SteadySampler(2.0),
        camera_fps=10.0,
        stop=stop,
    )


def test_known_swap_gives_known_latency() -> None:
    # frames judged every 0.5 s; the first one showing the other person is at 10.5 s;
    # standard's fast rule (3 anomalous readings spanning 0.8 s) confirms at 11.5 s
    result = run(swap_scene(10.2), 25.0)
    outcome = impostor_outcome(result.timeline, swap_at=10.2, bound=10.0)
    assert outcome.latency == pytest.approx(1.3)
    assert outcome.detected and not outcome.open_at_swap and outcome.false_before == 0
    assert false_starts(result.events, before=10.2) == {}


def test_uncertain_impostor_is_a_miss() -> None:
    result = run(swap_scene(10.0, after="dark"), 25.0)
    outcome = impostor_outcome(result.timeline, swap_at=10.0, bound=10.0)
    assert outcome.latency is None and not outcome.detected


def test_detection_after_the_bound_is_a_miss() -> None:
    result = run(swap_scene(10.2), 25.0)
    assert impostor_outcome(result.timeline, swap_at=10.2, bound=1.0).latency is None


def test_glitch_raises_nothing_sustained_mismatch_counts_once() -> None:
    def glitch(t: float) -> str:
        return "other" if 20.0 <= t < 20.6 else "me"  # two judged frames of someone else

    assert false_starts(run(glitch, 60.0).events) == {}

    def sustained(t: float) -> str:
        return "other" if 20.0 <= t < 25.0 else "me"

    assert false_starts(run(sustained, 60.0).events) == {"face_mismatch": 1}


def test_missing_face_counts_as_no_face() -> None:
    def away(t: float) -> str:
        return "none" if 10.0 <= t < 25.0 else "me"

    assert false_starts(run(away, 40.0).events) == {"no_face": 1}


def test_mismatch_open_at_the_swap_is_reported_apart() -> None:
    def early(t: float) -> str:
        return "other" if t >= 5.0 else "me"  # the "swap" is declared later, at 10 s

    result = run(early, 25.0)
    outcome = impostor_outcome(result.timeline, swap_at=10.0, bound=10.0)
    assert outcome.open_at_swap and outcome.latency is None and outcome.false_before == 1


def test_stop_ends_the_replay_early_and_closes_the_monitor() -> None:
    def stop(timeline) -> bool:  # type: ignore[no-untyped-def]
        return any(e.type is AnomalyType.FACE_MISMATCH for _, e in timeline)

    result = run(swap_scene(10.2), 60.0, stop=stop)
    assert result.duration == pytest.approx(11.5)
    assert [e.state.value for e in result.events if e.type is AnomalyType.FACE_MISMATCH] == [
        "started",
        "ended",
    ]
