"""The per-interview monitor: smoothed signals, debounced conditions, heartbeat, close."""

from __future__ import annotations

import itertools
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.anomaly import (
    CONDITION_TYPES,
    SMOOTHED_TYPES,
    AnomalyEvent,
    AnomalyState,
    AnomalyType,
    Severity,
    SignalState,
    StatusHeartbeat,
)
from proctoring.monitor import CLOSED_BY_KEY, READINGS_KEY, ProctoringMonitor
from proctoring.smoothing import Reading

A, C, U = Reading.ANOMALOUS, Reading.CLEAN, Reading.UNCERTAIN
T0 = 1_700_000_000.0
FACE = AnomalyType.FACE_MISMATCH


def counter_ids() -> itertools.count[int]:
    return itertools.count(1)


def make_monitor(sensitivity: str = "standard") -> ProctoringMonitor:
    numbers = counter_ids()
    return ProctoringMonitor(
        "int-7",
        sensitivity,
        clock=lambda: T0,
        new_id=lambda: str(uuid.UUID(int=next(numbers))),
    )


def run(
    monitor: ProctoringMonitor,
    signal: AnomalyType,
    start: float,
    pattern: list[tuple[Reading, int]],
    step: float = 0.5,
    confidence: float = 0.9,
) -> tuple[list[AnomalyEvent], float]:
    t, events = start, []
    for reading, count in pattern:
        for _ in range(count):
            events += monitor.observe(signal, t, reading, confidence, {"distance": 0.7})
            t += step
    return events, t


def test_swap_emits_a_start_end_pair_sharing_an_id() -> None:
    monitor = make_monitor()
    events, _ = run(monitor, FACE, T0, [(C, 60), (A, 120), (C, 60)])
    assert [e.state for e in events] == [AnomalyState.STARTED, AnomalyState.ENDED]
    start, end = events
    assert start.id == end.id
    assert start.idempotency_key != end.idempotency_key
    assert start.interview_id == end.interview_id == "int-7"
    assert start.type is end.type is FACE
    assert start.started_at == end.started_at == T0 + 30
    assert start.confirmed_at > start.started_at
    assert end.ended_at == T0 + 30 + 119 * 0.5
    assert start.severity is Severity.HIGH  # confidence 0.9 >= 0.75
    assert start.evidence["distance"] == 0.7
    # confirmed by the fast rule: three mismatching frames spanning a second
    assert start.evidence[READINGS_KEY] == {"anomalous": 3, "decided": 3, "uncertain": 0}
    assert end.evidence[CLOSED_BY_KEY] == "clean"
    assert end.evidence[READINGS_KEY] == {"anomalous": 120, "decided": 120, "uncertain": 0}
    assert AnomalyEvent.from_message(end.to_message()) == end


def test_weak_confidence_lowers_severity_but_never_below_the_floor() -> None:
    monitor = make_monitor()
    events, _ = run(monitor, FACE, T0, [(A, 20)], confidence=0.3)
    assert events[0].severity is Severity.MEDIUM  # identity mismatch floor
    no_face, _ = run(monitor, AnomalyType.NO_FACE, T0, [(A, 40)], confidence=1.0)
    assert no_face[0].severity is Severity.MEDIUM  # missing face ceiling


def test_strict_preset_rates_the_same_evidence_as_more_severe() -> None:
    standard, _ = run(make_monitor("standard"), FACE, T0, [(A, 20)], confidence=0.7)
    strict, _ = run(make_monitor("strict"), FACE, T0, [(A, 20)], confidence=0.7)
    assert standard[0].severity is Severity.MEDIUM
    assert strict[0].severity is Severity.HIGH


def test_signals_are_independent() -> None:
    monitor = make_monitor()
    face, t = run(monitor, FACE, T0, [(A, 20)])
    voice, _ = run(monitor, AnomalyType.VOICE_MISMATCH, T0, [(C, 20)], step=3.0)
    assert len(face) == 1 and voice == []
    beat = monitor.status(t)
    assert beat.signals[FACE] is SignalState.ANOMALOUS
    assert beat.signals[AnomalyType.NO_FACE] is SignalState.UNKNOWN
    assert beat.active == [face[0].id]


def test_condition_is_debounced_and_starts_when_it_began() -> None:
    monitor = make_monitor()
    debounce = monitor.preset.conditions[AnomalyType.CAMERA_OFF].debounce_seconds
    assert monitor.set_condition(AnomalyType.CAMERA_OFF, True, T0, {"track": "TR_1"}) == []
    assert monitor.tick(T0 + debounce - 0.1) == []
    assert monitor.status(T0 + 1).signals[AnomalyType.CAMERA_OFF] is SignalState.CLEAN
    (start,) = monitor.tick(T0 + debounce + 1)
    assert start.type is AnomalyType.CAMERA_OFF
    assert start.started_at == T0
    assert start.confirmed_at == T0 + debounce + 1
    assert start.severity is Severity.MEDIUM
    assert start.evidence == {"track": "TR_1"}
    # Repeating the active state changes nothing; clearing ends it at that time.
    assert monitor.set_condition(AnomalyType.CAMERA_OFF, True, T0 + 20) == []
    (end,) = monitor.set_condition(AnomalyType.CAMERA_OFF, False, T0 + 30)
    assert (end.id, end.state, end.started_at, end.ended_at) == (
        start.id,
        AnomalyState.ENDED,
        T0,
        T0 + 30,
    )
    assert end.evidence[CLOSED_BY_KEY] == "condition_cleared"


def test_condition_cleared_within_debounce_raises_nothing() -> None:
    monitor = make_monitor()
    assert monitor.set_condition(AnomalyType.CANDIDATE_LEFT, True, T0) == []
    assert monitor.set_condition(AnomalyType.CANDIDATE_LEFT, False, T0 + 2) == []
    assert monitor.tick(T0 + 600) == []
    beat = monitor.status(T0 + 600)
    assert beat.signals[AnomalyType.CANDIDATE_LEFT] is SignalState.CLEAN
    assert beat.signals[AnomalyType.MIC_OFF] is SignalState.UNKNOWN


def test_observe_also_matures_conditions() -> None:
    monitor = make_monitor()
    monitor.set_condition(AnomalyType.MIC_OFF, True, T0)
    events, _ = run(monitor, FACE, T0 + 30, [(C, 1)])
    assert [(e.type, e.state) for e in events] == [(AnomalyType.MIC_OFF, AnomalyState.STARTED)]


def test_close_ends_everything_once() -> None:
    monitor = make_monitor()
    face, t = run(monitor, FACE, T0, [(A, 20)])
    assert monitor.set_condition(AnomalyType.CAMERA_OFF, True, t + 97) == []
    # Still debouncing when the interview ends: dropped.
    assert monitor.set_condition(AnomalyType.CONNECTION_LOST, True, t + 100) == []
    closing = monitor.close(t + 103)  # camera off has now lasted its 5 s debounce
    # Matured conditions start first, then everything ends in AnomalyType order.
    assert [(e.type, e.state) for e in closing] == [
        (AnomalyType.CAMERA_OFF, AnomalyState.STARTED),
        (FACE, AnomalyState.ENDED),
        (AnomalyType.CAMERA_OFF, AnomalyState.ENDED),
    ]
    assert closing[1].id == face[0].id
    assert closing[1].ended_at == t - 0.5
    assert closing[1].evidence[CLOSED_BY_KEY] == "interview_end"
    assert closing[0].started_at == t + 97
    assert closing[2].ended_at == t + 103
    assert monitor.closed and monitor.open_anomalies() == []
    assert monitor.close(t + 200) == []
    assert monitor.observe(FACE, t + 300, A) == []
    assert monitor.set_condition(AnomalyType.MIC_OFF, True, t + 300) == []
    assert monitor.status(t + 300).active == []


def test_wrong_entry_point_is_refused() -> None:
    monitor = make_monitor()
    with pytest.raises(ValueError):
        monitor.observe(AnomalyType.CAMERA_OFF, T0, A)
    with pytest.raises(ValueError):
        monitor.set_condition(FACE, True, T0)
    with pytest.raises(ValueError):
        ProctoringMonitor("int-7", "paranoid")


def test_non_json_evidence_fails_on_the_reading_that_carries_it() -> None:
    monitor = make_monitor()
    with pytest.raises(ValueError):
        monitor.observe(FACE, T0, A, 0.9, {"embedding": object()})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        monitor.set_condition(AnomalyType.MIC_OFF, True, T0, {"x": {1, 2}})  # type: ignore[dict-item]
    beat = monitor.status(T0)
    assert beat.signals[FACE] is beat.signals[AnomalyType.MIC_OFF] is SignalState.UNKNOWN


def test_clock_supplies_missing_times() -> None:
    monitor = make_monitor()
    beat = monitor.status()
    assert beat.sent_at == T0
    assert StatusHeartbeat.from_message(beat.to_message()) == beat
    assert set(beat.signals) == set(AnomalyType)


def test_default_ids_are_uuid4() -> None:
    monitor = ProctoringMonitor("int-7")
    events, _ = run(monitor, FACE, T0, [(A, 20)])
    assert uuid.UUID(events[0].id).version == 4


step_kinds = st.one_of(
    st.tuples(st.sampled_from(SMOOTHED_TYPES), st.sampled_from(list(Reading))),
    st.tuples(st.sampled_from(CONDITION_TYPES), st.booleans()),
)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(step_kinds, st.floats(min_value=0.1, max_value=10.0)), max_size=250))
def test_every_start_gets_exactly_one_end(
    steps: list[tuple[tuple[AnomalyType, object], float]],
) -> None:
    monitor = make_monitor("strict")
    t, events = T0, []
    for (signal, value), dt in steps:
        if signal in SMOOTHED_TYPES:
            assert isinstance(value, Reading)
            events += monitor.observe(signal, t, value, 0.8)
        else:
            assert isinstance(value, bool)
            events += monitor.set_condition(signal, value, t)
        t += dt
    events += monitor.close(t)
    by_id: dict[str, list[AnomalyEvent]] = {}
    for event in events:
        by_id.setdefault(event.id, []).append(event)
    for pair in by_id.values():
        assert [e.state for e in pair] == [AnomalyState.STARTED, AnomalyState.ENDED]
        start, end = pair
        assert start.type is end.type
        assert start.started_at == end.started_at <= end.ended_at  # type: ignore[operator]
        assert len(end.to_message()) < 2048
    # Per signal, anomalies never overlap.
    for signal in AnomalyType:
        ends = [e for e in events if e.type is signal]
        for earlier, later in itertools.pairwise(ends):
            if earlier.state is AnomalyState.ENDED and later.state is AnomalyState.STARTED:
                assert earlier.ended_at is not None and earlier.ended_at <= later.started_at


@pytest.mark.parametrize("signal", [AnomalyType.EXTRA_CAMERA, AnomalyType.EXTRA_MICROPHONE])
def test_an_extra_track_is_flagged_while_it_exists(signal: AnomalyType) -> None:
    monitor = make_monitor()
    evidence = {"judged_track_sid": "TR_first", "extra_track_sids": ["TR_second"]}
    assert monitor.set_condition(signal, True, T0, evidence) == []
    assert monitor.status(T0 + 1).signals[signal] is SignalState.CLEAN  # still debouncing
    [started] = monitor.tick(T0 + 3)
    assert (started.type, started.state, started.severity) == (
        signal,
        AnomalyState.STARTED,
        Severity.MEDIUM,
    )
    assert started.started_at == T0 and started.evidence == evidence
    assert monitor.status(T0 + 4).signals[signal] is SignalState.ANOMALOUS
    [ended] = monitor.set_condition(signal, False, T0 + 9)
    assert ended.id == started.id and ended.ended_at == T0 + 9
    assert ended.evidence["extra_track_sids"] == ["TR_second"]
    # an extra track withdrawn within its debounce (a device switch) raises nothing
    assert monitor.set_condition(signal, True, T0 + 20, evidence) == []
    assert monitor.set_condition(signal, False, T0 + 21) == []
    assert monitor.tick(T0 + 30) == []
