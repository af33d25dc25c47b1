"""The demo's check: received anomalies against the scripted steps (pure logic)."""

from __future__ import annotations

from contracts.anomaly import AnomalyType
from proctorai.demo.matching import GRACE_SECONDS, Received, match
from proctorai.demo.script import DEMO_SCRIPT, Face, PlayedStep, Step, Voice

IMPOSTOR = Step("impostor face", Face.IMPOSTOR, Voice.ANSWERS, 8.0, AnomalyType.FACE_MISMATCH)
GENUINE = Step("genuine", Face.GENUINE, Voice.ANSWERS, 8.0)
OTHER_VOICE = Step(
    "another person's voice",
    Face.GENUINE,
    Voice.OTHER,
    20.0,
    AnomalyType.VOICE_MISMATCH,
    tolerate=frozenset({AnomalyType.SECOND_SPEAKER}),
)
PLAYED = [
    PlayedStep(GENUINE, 0.0, 6.0),
    PlayedStep(IMPOSTOR, 6.0, 14.0),
    PlayedStep(GENUINE, 14.0, 40.0),
    PlayedStep(OTHER_VOICE, 40.0, 60.0),
    PlayedStep(GENUINE, 60.0, 84.0),
]


def test_each_expected_anomaly_in_its_window_is_detected_with_its_latency() -> None:
    outcome = match(
        PLAYED,
        [Received(AnomalyType.FACE_MISMATCH, 7.5), Received(AnomalyType.VOICE_MISMATCH, 52.0)],
    )
    assert [(d.step.step.name, round(d.latency, 2)) for d in outcome.detected] == [
        ("impostor face", 1.5),
        ("another person's voice", 12.0),
    ]
    assert outcome.missed == [] and outcome.false == [] and outcome.passed


def test_a_detection_may_arrive_within_the_grace_after_its_step() -> None:
    late = Received(AnomalyType.FACE_MISMATCH, 14.0 + GRACE_SECONDS - 0.1)
    outcome = match(PLAYED, [late, Received(AnomalyType.VOICE_MISMATCH, 45.0)])
    assert len(outcome.detected) == 2 and outcome.passed


def test_too_late_or_too_early_or_wrong_type_is_false_and_the_step_missed() -> None:
    outcome = match(
        PLAYED,
        [
            Received(AnomalyType.FACE_MISMATCH, 14.0 + GRACE_SECONDS + 0.5),  # too late
            Received(AnomalyType.VOICE_MISMATCH, 39.0),  # before its step began
            Received(AnomalyType.NO_FACE, 8.0),  # nothing expects it
            Received(AnomalyType.VOICE_MISMATCH, 41.0),
        ],
    )
    assert [p.step.name for p in outcome.missed] == ["impostor face"]
    assert sorted((a.type.value, a.at) for a in outcome.false) == [
        ("face_mismatch", 24.5),
        ("no_face", 8.0),
        ("voice_mismatch", 39.0),
    ]
    assert not outcome.passed


def test_tolerated_types_are_neither_false_nor_a_detection() -> None:
    second = Received(AnomalyType.SECOND_SPEAKER, 48.0)
    outcome = match(PLAYED, [second, Received(AnomalyType.FACE_MISMATCH, 8.0)])
    assert [d.anomaly for d in outcome.tolerated] == [second]
    assert outcome.false == []
    assert [p.step.name for p in outcome.missed] == ["another person's voice"]


def test_a_second_start_of_the_same_anomaly_type_is_not_false() -> None:
    outcome = match(
        PLAYED,
        [
            Received(AnomalyType.FACE_MISMATCH, 8.0),
            Received(AnomalyType.FACE_MISMATCH, 12.0),  # it ended and came back
            Received(AnomalyType.VOICE_MISMATCH, 50.0),
        ],
    )
    assert outcome.false == [] and len(outcome.detected) == 2


def test_the_demo_script_runs_the_events_of_issue_6_in_order() -> None:
    names = [step.name for step in DEMO_SCRIPT]
    assert names == [
        "genuine",
        "impostor face",
        "genuine",
        "second person in view",
        "genuine",
        "face gone",
        "genuine",
        "another person's voice",
        "genuine",
    ]
    expected = [step.expect for step in DEMO_SCRIPT if step.expect is not None]
    assert expected == [
        AnomalyType.FACE_MISMATCH,
        AnomalyType.MULTIPLE_FACES,
        AnomalyType.NO_FACE,
        AnomalyType.VOICE_MISMATCH,
    ]
    assert 90 <= sum(step.seconds for step in DEMO_SCRIPT) <= 150
