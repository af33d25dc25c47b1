"""Hysteresis smoothing on synthetic reading streams (pure logic, no media)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.anomaly import SMOOTHED_TYPES, AnomalyType, SignalState
from proctoring.sensitivity import PRESETS, Sensitivity, preset
from proctoring.smoothing import (
    Ended,
    Observation,
    Reading,
    SignalSmoother,
    SmoothingConfig,
    Started,
    Transition,
)

A, C, U = Reading.ANOMALOUS, Reading.CLEAN, Reading.UNCERTAIN
FACE_STEP = 0.5  # about 2 frames per second
T0 = 1_700_000_000.0


def face_smoother(sensitivity: Sensitivity = Sensitivity.STANDARD) -> SignalSmoother:
    return SignalSmoother(preset(sensitivity).smoothing[AnomalyType.FACE_MISMATCH])


def feed(
    smoother: SignalSmoother, start: float, pattern: Iterable[tuple[Reading, int]]
) -> tuple[list[Transition], float]:
    """Feed runs of (reading, count) every FACE_STEP seconds; return transitions, next t."""
    t = start
    out: list[Transition] = []
    for reading, count in pattern:
        for _ in range(count):
            result = smoother.add(Observation(t=t, reading=reading, confidence=0.9))
            if result is not None:
                out.append(result)
            t += FACE_STEP
    return out, t


def test_brief_glitch_raises_nothing() -> None:
    smoother = face_smoother()
    # One minute clean, two mismatching frames (half a second), one minute clean.
    transitions, _ = feed(smoother, T0, [(C, 120), (A, 2), (C, 120)])
    assert transitions == []
    assert not smoother.active


def test_turned_head_gives_uncertain_frames_that_neither_raise_nor_clear() -> None:
    smoother = face_smoother()
    # Mismatching frames broken up by clean ones never make the fast rule's run...
    transitions, _ = feed(smoother, T0, [(C, 120), (A, 2), (C, 1), (A, 2), (C, 120)])
    assert transitions == []
    # ...but uncertain frames (a turned head) between them do not break the run.
    transitions, _ = feed(smoother, T0 + 1000, [(C, 120), (A, 2), (U, 4), (A, 1)])
    assert [type(x) for x in transitions] == [Started]


def test_fast_rule_needs_its_span_not_just_its_count() -> None:
    smoother = face_smoother()
    params = smoother.params
    assert params.confirm_readings is not None
    # A burst of readings 0.1 s apart: enough readings, but too short a span until 0.8 s.
    t, confirmed_at = T0, None
    for _ in range(120):
        smoother.add(Observation(t=t, reading=C))
        t += FACE_STEP
    swap = t
    while confirmed_at is None:
        result = smoother.add(Observation(t=t, reading=A, confidence=0.9))
        if isinstance(result, Started):
            confirmed_at = result.confirmed_at
        t += 0.1
    assert confirmed_at - swap == pytest.approx(params.confirm_seconds, abs=0.1)
    assert confirmed_at - swap >= params.confirm_seconds


def test_fast_rule_parameters_are_checked() -> None:
    with pytest.raises(ValueError):
        SmoothingConfig(
            window_seconds=5,
            raise_share=0.5,
            min_decided=3,
            clean_seconds=2,
            max_gap_seconds=5,
            confirm_readings=1,
            confirm_seconds=1.0,
        )
    with pytest.raises(ValueError):
        SmoothingConfig(
            window_seconds=5,
            raise_share=0.5,
            min_decided=3,
            clean_seconds=2,
            max_gap_seconds=5,
            confirm_readings=3,
            confirm_seconds=6.0,
        )


def test_scattered_false_flags_raise_nothing() -> None:
    smoother = face_smoother()
    # Every fourth frame wrongly flagged for five minutes: 25% never reaches 60%.
    transitions, _ = feed(smoother, T0, [(C, 3), (A, 1)] * 150)
    assert transitions == []


def test_sustained_swap_raises_one_event_with_its_real_start() -> None:
    smoother = face_smoother()
    swap_at = T0 + 120 * FACE_STEP
    transitions, _ = feed(smoother, T0, [(C, 120), (A, 240)])
    assert len(transitions) == 1
    started = transitions[0]
    assert isinstance(started, Started)
    assert started.started_at == swap_at
    assert swap_at < started.confirmed_at <= swap_at + 5.0
    assert started.confidence == pytest.approx(0.9)
    assert started.counts.anomalous == started.counts.decided
    assert smoother.active


def test_swap_ends_after_clean_readings_at_its_last_anomalous_frame() -> None:
    smoother = face_smoother()
    clean_seconds = smoother.params.clean_seconds
    transitions, t = feed(smoother, T0, [(C, 20), (A, 60)])
    last_anomalous = t - FACE_STEP
    more, _ = feed(smoother, t, [(C, 60)])
    assert [type(x) for x in transitions + more] == [Started, Ended]
    ended = more[0]
    assert isinstance(ended, Ended)
    assert ended.ended_at == last_anomalous
    assert ended.started_at == transitions[0].started_at
    assert ended.confirmed_at == pytest.approx(t + clean_seconds)
    assert not ended.forced
    assert not smoother.active


def test_short_clean_interruption_does_not_end_an_anomaly() -> None:
    smoother = face_smoother()
    # The impostor is briefly judged a match (2 s) in the middle: still one anomaly.
    transitions, _ = feed(smoother, T0, [(C, 20), (A, 40), (C, 4), (A, 40)])
    assert [type(x) for x in transitions] == [Started]


def test_poor_light_for_a_minute_raises_nothing() -> None:
    smoother = face_smoother()
    transitions, t = feed(smoother, T0, [(C, 20), (U, 120), (C, 20)])
    assert transitions == []
    assert smoother.state(t) is SignalState.CLEAN


def test_uncertain_frames_mixed_with_a_few_flags_raise_nothing() -> None:
    smoother = face_smoother()
    # Dim light: most frames uncertain, an occasional mismatch, the rest matches.
    transitions, _ = feed(smoother, T0, [(U, 6), (A, 1), (C, 3)] * 30)
    assert transitions == []


def test_uncertain_stretch_inside_an_anomaly_does_not_end_it() -> None:
    smoother = face_smoother()
    transitions, t = feed(smoother, T0, [(C, 20), (A, 30), (U, 240), (A, 10)])
    assert [type(x) for x in transitions] == [Started]
    assert smoother.active
    assert smoother.state(t) is SignalState.ANOMALOUS


def test_uncertain_frames_pause_the_clean_timer_without_resetting_it() -> None:
    smoother = face_smoother()
    steps = int(smoother.params.clean_seconds / FACE_STEP)
    # Clean frames covering half a step less than the clean time, then a long uncertain
    # stretch: still open. The timer resumes afterwards: half a step more ends it.
    transitions, t = feed(smoother, T0, [(C, 20), (A, 30), (C, steps), (U, 100)])
    assert [type(x) for x in transitions] == [Started]
    first, t = feed(smoother, t, [(C, 1)])
    assert first == [] and smoother.active
    second, _ = feed(smoother, t, [(C, 1)])
    assert [type(x) for x in second] == [Ended]


def test_a_gap_in_readings_neither_raises_nor_clears() -> None:
    smoother = face_smoother()
    transitions, t = feed(smoother, T0, [(C, 20), (A, 30)])
    assert smoother.state(t + 60) is SignalState.ANOMALOUS  # camera off for a minute
    # Two clean frames 10 minutes apart are not 10 minutes of clean time.
    more, _ = feed(smoother, t + 600, [(C, 1)])
    more += feed(smoother, t + 1200, [(C, 1)])[0]
    assert transitions and not more
    assert smoother.active


def test_gap_makes_an_idle_signal_unknown() -> None:
    smoother = face_smoother()
    assert smoother.state(T0) is SignalState.UNKNOWN
    _, t = feed(smoother, T0, [(C, 10)])
    assert smoother.state(t) is SignalState.CLEAN
    assert smoother.state(t + smoother.params.max_gap_seconds + 1) is SignalState.UNKNOWN


def test_force_end_closes_an_open_anomaly() -> None:
    smoother = face_smoother()
    assert smoother.force_end(T0) is None
    _, t = feed(smoother, T0, [(C, 10), (A, 30)])
    ended = smoother.force_end(t + 30)
    assert isinstance(ended, Ended)
    assert ended.forced
    assert ended.ended_at == t - FACE_STEP
    assert ended.confirmed_at == t + 30
    assert smoother.force_end(t + 31) is None


def test_tail_of_an_ended_anomaly_does_not_reraise_it() -> None:
    # A clean time much shorter than the window: when the anomaly ends, its anomalous
    # readings still fill most of the window, and must not count towards a new start.
    params = SmoothingConfig(
        window_seconds=10.0, raise_share=0.5, min_decided=4, clean_seconds=2.0, max_gap_seconds=5.0
    )
    smoother = SignalSmoother(params)
    transitions, _ = feed(smoother, T0, [(C, 10), (A, 30), (C, 5), (A, 1), (C, 40)])
    assert [type(x) for x in transitions] == [Started, Ended]


def test_onset_skips_an_earlier_episode_separated_by_a_clean_stretch() -> None:
    params = SmoothingConfig(
        window_seconds=20.0, raise_share=0.5, min_decided=4, clean_seconds=3.0, max_gap_seconds=5.0
    )
    smoother = SignalSmoother(params)
    # A 1 s glitch, 4 s clean (longer than clean_seconds), then a sustained run.
    transitions, _ = feed(smoother, T0, [(A, 2), (C, 8), (A, 20)])
    assert len(transitions) == 1
    assert transitions[0].started_at == T0 + 10 * FACE_STEP


def test_out_of_order_reading_is_ignored() -> None:
    smoother = face_smoother()
    feed(smoother, T0, [(C, 10)])
    assert smoother.add(Observation(t=T0, reading=A)) is None
    assert smoother.last_reading_at == T0 + 9 * FACE_STEP


def test_invalid_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        Observation(t=T0, reading=A, confidence=1.5)
    with pytest.raises(ValueError):
        SmoothingConfig(
            window_seconds=5, raise_share=0.0, min_decided=3, clean_seconds=2, max_gap_seconds=5
        )


def _latency(signal: AnomalyType, sensitivity: Sensitivity) -> float:
    """Seconds from a swap to its confirmation after a minute of clean readings."""
    step = FACE_STEP if signal in (SMOOTHED_TYPES[:3]) else 3.0
    smoother = SignalSmoother(preset(sensitivity).smoothing[signal])
    t = T0
    while t < T0 + 60:
        smoother.add(Observation(t=t, reading=C))
        t += step
    swap = t
    while True:
        result = smoother.add(Observation(t=t, reading=A, confidence=0.9))
        if result is not None:
            assert isinstance(result, Started)
            assert result.started_at == swap
            return result.confirmed_at - swap
        t += step


@pytest.mark.parametrize("signal", SMOOTHED_TYPES)
def test_strict_raises_sooner_than_standard_than_lenient(signal: AnomalyType) -> None:
    strict = _latency(signal, Sensitivity.STRICT)
    standard = _latency(signal, Sensitivity.STANDARD)
    lenient = _latency(signal, Sensitivity.LENIENT)
    assert strict < standard < lenient


def test_documented_face_latencies_hold() -> None:
    """The latencies in sensitivity.py's docstring are what the smoother does."""
    documented = {
        (AnomalyType.FACE_MISMATCH, Sensitivity.STANDARD): 1.0,
        (AnomalyType.FACE_MISMATCH, Sensitivity.STRICT): 0.5,
        (AnomalyType.FACE_MISMATCH, Sensitivity.LENIENT): 7.0,
        (AnomalyType.MULTIPLE_FACES, Sensitivity.STANDARD): 1.5,
        (AnomalyType.MULTIPLE_FACES, Sensitivity.STRICT): 1.0,
        (AnomalyType.NO_FACE, Sensitivity.STANDARD): 7.5,
        (AnomalyType.VOICE_MISMATCH, Sensitivity.STANDARD): 12.0,
        (AnomalyType.SECOND_SPEAKER, Sensitivity.STANDARD): 9.0,
    }
    for (signal, sensitivity), seconds in documented.items():
        assert _latency(signal, sensitivity) == seconds, signal


def test_longest_ignored_glitch_grows_from_strict_to_lenient() -> None:
    def longest_ignored(sensitivity: Sensitivity) -> int:
        frames = 0
        while True:
            transitions, _ = feed(face_smoother(sensitivity), T0, [(C, 60), (A, frames + 1)])
            if transitions:
                return frames
            frames += 1

    strict, standard, lenient = (
        longest_ignored(s) for s in (Sensitivity.STRICT, Sensitivity.STANDARD, Sensitivity.LENIENT)
    )
    assert 0 < strict < standard < lenient


def test_every_preset_covers_every_smoothed_signal() -> None:
    for p in PRESETS.values():
        assert set(p.smoothing) == set(SMOOTHED_TYPES)
        assert set(p.severity) == set(SMOOTHED_TYPES)


readings = st.lists(
    st.tuples(st.sampled_from(list(Reading)), st.floats(min_value=0.05, max_value=8.0)),
    max_size=300,
)


@settings(max_examples=150, deadline=None)
@given(readings)
def test_transitions_alternate_and_stay_ordered(stream: list[tuple[Reading, float]]) -> None:
    smoother = face_smoother()
    t = T0
    transitions: list[Transition] = []
    for reading, step in stream:
        result = smoother.add(Observation(t=t, reading=reading, confidence=0.8))
        if result is not None:
            transitions.append(result)
        t += step
    forced = smoother.force_end(t)
    if forced is not None:
        transitions.append(forced)
    assert [type(x) for x in transitions] == [Started, Ended] * (len(transitions) // 2)
    previous_end = float("-inf")
    for started, ended in zip(transitions[::2], transitions[1::2], strict=True):
        assert isinstance(started, Started) and isinstance(ended, Ended)
        assert previous_end < started.started_at <= started.confirmed_at
        assert started.started_at == ended.started_at <= ended.ended_at <= ended.confirmed_at
        assert 0.0 <= ended.confidence <= 1.0
        previous_end = ended.ended_at
