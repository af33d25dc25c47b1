"""The voice-sequences benchmark's pure parts: the stream builder (deterministic, right
identities, never the enrolled utterances) and the latency accounting, on a fake voice
adapter whose readings are known, through the real monitor and smoother."""

from __future__ import annotations

from typing import Any

import numpy as np

from contracts.anomaly import AnomalyType
from proctoring.bench.voice_sequences import (
    StreamPlan,
    plan_streams,
    render,
    replay,
    split_enrollment,
    switch_outcome,
)
from proctoring.monitor import ProctoringMonitor
from proctoring.smoothing import Reading

INTERVIEW = "00000000-0000-4000-8000-000000000002"
LENGTHS = {s: [3.0 + i for i in range(6)] for s in ("a", "b", "c")}
NAMES = {s: [f"{s}-{i}" for i in range(6)] for s in LENGTHS}


def plans(seed: int) -> list[StreamPlan]:
    split = split_enrollment(LENGTHS, seed, seconds=8.0)
    return plan_streams(LENGTHS, NAMES, split, seed, genuine_seconds=(8.0, 12.0), bound=10.0)


def test_streams_are_deterministic_and_differ_by_seed() -> None:
    assert plans(1) == plans(1)
    assert plans(1) != plans(2)


def test_streams_have_the_right_identities_and_never_the_enrolled_utterances() -> None:
    split = split_enrollment(LENGTHS, 1, seconds=8.0)
    built = plans(1)
    assert len([p for p in built if p.switch_at is None]) == 3
    assert len([p for p in built if p.switch_at is not None]) == 6  # ordered pairs
    for plan in built:
        enrolled = {NAMES[plan.target][i] for i in split[plan.target][0]}
        assert sum(LENGTHS[plan.target][i] for i in split[plan.target][0]) >= 8.0
        for piece in plan.pieces:
            assert piece.file not in enrolled or piece.speaker != plan.target
            if plan.switch_at is None or piece.start < plan.switch_at:
                assert piece.speaker == plan.target
            else:
                assert piece.speaker == plan.impostor != plan.target
        if plan.switch_at is not None:
            first_other = min(p.start for p in plan.pieces if p.speaker == plan.impostor)
            assert first_other == plan.switch_at
            assert abs(plan.duration - (plan.switch_at + 15.0)) < 2e-3


def test_render_places_the_utterances_over_quiet_noise() -> None:
    plan = plans(1)[0]
    audio = {
        f"{s}-{i}": np.full(int(n * 16000), 0.5, np.float32)
        for s in LENGTHS
        for i, n in enumerate(LENGTHS[s])
    }
    pcm = render(plan, audio, 1)
    assert pcm.size == round(plan.duration * 16000)
    first = plan.pieces[0]
    assert abs(pcm[int((first.start + 1.0) * 16000)] - 0.5) < 0.01
    gap = int((first.start + first.seconds + 0.2) * 16000)
    assert abs(pcm[gap]) < 0.01
    assert np.array_equal(pcm, render(plan, audio, 1))


class FakeVoice:
    """One reading pair every 3 s of stream: the enrolled voice until ``switch``, then
    another (and a second speaker flag only if ``second``)."""

    def __init__(self, switch: float) -> None:
        self.switch, self.samples, self.next = switch, 0, 3.0
        self.pushes: list[tuple[int, float, bool]] = []

    def push(self, pcm: np.ndarray, t_end: float, gap_before: bool = False) -> list[Any]:
        self.pushes.append((pcm.size, t_end, gap_before))
        self.samples += pcm.size
        out = []
        while self.next <= self.samples / 16000:
            identity = Reading.ANOMALOUS if self.next > self.switch else Reading.CLEAN
            for signal in (AnomalyType.VOICE_MISMATCH, AnomalyType.SECOND_SPEAKER):
                reading = identity if signal is AnomalyType.VOICE_MISMATCH else Reading.CLEAN
                out.append(_Reading(signal, self.next, reading))
            self.next += 3.0
        return out


class _Reading:
    def __init__(self, signal: AnomalyType, t: float, reading: Reading) -> None:
        self.signal, self.t, self.reading, self.confidence = signal, t, reading, 1.0
        self.evidence: dict[str, Any] = {}


def test_chunks_are_agent_sized_and_latency_is_counted_from_the_switch() -> None:
    fake = FakeVoice(switch=30.0)
    result = replay(fake, np.zeros(60 * 16000, np.float32), ProctoringMonitor(INTERVIEW))
    sizes = [size for size, _, _ in fake.pushes]
    assert sizes[0] == 12 * 1440 and fake.pushes[0][2] and not fake.pushes[1][2]
    assert all(size == 12 * 1440 for size in sizes[:-1])
    outcome = switch_outcome(result.timeline, 30.0, bound=30.0)
    assert not outcome.open_at_switch
    assert outcome.latency is not None and outcome.confirmed_latency is not None
    # readings at 33, 36, ...: the standard window (20 s, 60%, 3) confirms at 45 s,
    # which reaches the proctor with the chunk that ends at 45.36 s
    assert outcome.confirmed_latency == 15.0
    assert abs(outcome.latency - 15.36) < 1e-6
    assert switch_outcome(result.timeline, 30.0, bound=10.0).latency is None  # a miss


def test_a_mismatch_open_at_the_switch_has_no_latency() -> None:
    fake = FakeVoice(switch=0.0)
    result = replay(fake, np.zeros(60 * 16000, np.float32), ProctoringMonitor(INTERVIEW))
    assert switch_outcome(result.timeline, 40.0, bound=30.0).open_at_switch


def test_a_subset_of_speakers_gets_the_same_streams_as_the_full_run() -> None:
    sub = {s: LENGTHS[s] for s in ("a", "c")}
    split = split_enrollment(sub, 1, seconds=8.0)
    subset = plan_streams(sub, NAMES, split, 1, genuine_seconds=(8.0, 12.0), bound=10.0)
    full = [p for p in plans(1) if p.target in sub and (p.impostor or "a") in sub]
    assert subset == full
