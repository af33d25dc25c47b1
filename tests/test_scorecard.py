"""The proctoring impact score: arithmetic, caps, dismissals, determinism, documentation."""

from __future__ import annotations

import random
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.anomaly import AnomalyEvent, AnomalyRecord, AnomalyState, AnomalyType, Severity
from proctoring.monitor import ProctoringMonitor
from proctoring.scorecard import (
    DEDUCTION_TABLE,
    SEVERITY_FACTOR,
    compute_scorecard,
    records_from_events,
)
from proctoring.smoothing import Reading

START = 1_700_000_000.0
END = START + 30 * 60  # a 30-minute interview
DOC = Path(__file__).resolve().parents[1] / "docs" / "scorecard.md"


def record(
    kind: AnomalyType,
    severity: Severity,
    start_offset: float,
    seconds: float | None,
    n: int,
    confidence: float = 0.9,
) -> AnomalyRecord:
    return AnomalyRecord(
        id=str(uuid.UUID(int=n)),
        interview_id="int-9",
        type=kind,
        severity=severity,
        confidence=confidence,
        started_at=START + start_offset,
        ended_at=None if seconds is None else START + start_offset + seconds,
        confirmed_at=START + start_offset + 2,
    )


def sample() -> list[AnomalyRecord]:
    return [
        record(AnomalyType.FACE_MISMATCH, Severity.HIGH, 300, 90, 1),
        record(AnomalyType.NO_FACE, Severity.LOW, 60, 12, 2),
        record(AnomalyType.SECOND_SPEAKER, Severity.MEDIUM, 900, 45.5, 3),
        record(AnomalyType.CAMERA_OFF, Severity.MEDIUM, 1500, None, 4),
        record(AnomalyType.FACE_MISMATCH, Severity.MEDIUM, 1200, 30, 5),
    ]


def test_points_follow_the_table() -> None:
    card = compute_scorecard(sample(), START, END)
    by_id = {d.anomaly_id: d for d in card.deductions}
    face = by_id[str(uuid.UUID(int=1))]
    assert face.points == 2 * (10 + 4 * 1.5) == 32.0
    assert face.duration_seconds == 90
    assert face.overlap_share == 0.05
    assert "from 5:00 to 6:30 into the interview (1 min 30 s, 5.0% of the interview)" in (
        face.explanation
    )
    assert "2 x (10 + 4 per minute x 1.50 min) = 32.0 points." in face.explanation
    assert by_id[str(uuid.UUID(int=2))].points == 1.1  # 0.5 x (2 + 1 x 0.2)
    assert by_id[str(uuid.UUID(int=3))].points == 7.5  # 6 + 2 x 0.7583 = 7.52
    camera = by_id[str(uuid.UUID(int=4))]
    assert camera.open_at_end and camera.ended_at == END
    assert camera.points == 4 + 2 * 5
    assert "to the end (still open)" in camera.explanation
    assert card.deducted == 32.0 + 1.1 + 7.5 + 14.0 + 12.0
    assert card.score == pytest.approx(100 - card.deducted)
    assert card.score == card.score_excluding_dismissed
    assert [d.anomaly_id for d in card.deductions] == [
        str(uuid.UUID(int=n)) for n in (2, 1, 3, 5, 4)
    ]


def test_longer_anomalies_cost_more() -> None:
    costs = [
        compute_scorecard(
            [record(AnomalyType.VOICE_MISMATCH, Severity.MEDIUM, 60, seconds, 1)], START, END
        ).deducted
        for seconds in (10, 60, 120, 300)
    ]
    assert costs == sorted(costs) and len(set(costs)) == 4
    assert costs[2] - costs[1] == pytest.approx(3.0)  # 3 points per extra minute


def test_severity_scales_points() -> None:
    def cost(severity: Severity) -> float:
        one = [record(AnomalyType.MULTIPLE_FACES, severity, 60, 60, 1)]
        return compute_scorecard(one, START, END).deducted

    assert cost(Severity.LOW) == 4.0
    assert cost(Severity.MEDIUM) == 8.0
    assert cost(Severity.HIGH) == 16.0


def test_caps_limit_each_type_in_chronological_order() -> None:
    records = [
        record(AnomalyType.FACE_MISMATCH, Severity.HIGH, 60 + 400 * i, 300, i + 1) for i in range(3)
    ]
    card = compute_scorecard(records, START, END)
    assert [d.raw_points for d in card.deductions] == [60.0, 60.0, 60.0]
    assert [d.points for d in card.deductions] == [60.0, 0.0, 0.0]
    assert "0.0 counted under the 60-point cap for face mismatch" in card.deductions[1].explanation
    assert card.score == 40.0
    (total,) = card.totals
    assert (total.count, total.cap, total.raw_points, total.points) == (3, 60.0, 180.0, 60.0)


def test_score_never_drops_below_zero() -> None:
    kinds = [AnomalyType.FACE_MISMATCH, AnomalyType.VOICE_MISMATCH, AnomalyType.MULTIPLE_FACES]
    records = [record(k, Severity.HIGH, 0, 1200, i + 1) for i, k in enumerate(kinds)]
    card = compute_scorecard(records, START, END)
    assert card.deducted == 60 + 45 + 30
    assert card.score == 0.0


def test_dismissed_items_are_excluded_from_the_second_score_only() -> None:
    records = [
        record(AnomalyType.FACE_MISMATCH, Severity.HIGH, 60, 300, 1),
        record(AnomalyType.FACE_MISMATCH, Severity.HIGH, 600, 120, 2),
        record(AnomalyType.NO_FACE, Severity.MEDIUM, 900, 30, 3),
    ]
    dismissed = {str(uuid.UUID(int=1))}
    card = compute_scorecard(records, START, END, dismissed_ids=dismissed)
    first, second, third = card.deductions
    assert first.dismissed and first.points == 60.0 and first.points_excluding_dismissed == 0.0
    assert "Dismissed by the proctor" in first.explanation
    # The cap freed by the dismissal lets the second mismatch count in full.
    assert second.points == 0.0 and second.points_excluding_dismissed == 36.0
    assert "Without dismissed items it counts 36.0 points." in second.explanation
    assert third.points == third.points_excluding_dismissed == 2.5
    assert card.score == 100 - 60 - 2.5
    assert card.score_excluding_dismissed == 100 - 36 - 2.5
    assert "without the 1 dismissed item" in card.summary
    undismissed = compute_scorecard(records, START, END)
    assert undismissed.score == card.score
    assert undismissed.score_excluding_dismissed == card.score


def test_anomalies_are_clipped_to_the_interview() -> None:
    records = [
        record(AnomalyType.NO_FACE, Severity.MEDIUM, -600, 60, 1),  # during the baseline
        record(AnomalyType.CAMERA_OFF, Severity.MEDIUM, -30, 90, 2),  # straddles the start
        record(AnomalyType.MIC_OFF, Severity.MEDIUM, 1790, 600, 3),  # straddles the end
    ]
    card = compute_scorecard(records, START, END)
    before, straddle, after = card.deductions
    assert before.points == 0.0 and "outside the interview: 0 points." in before.explanation
    assert straddle.duration_seconds == 60 and straddle.offset_start_seconds == 0
    assert straddle.points == 4 + 2 * 1
    assert after.duration_seconds == 10 and after.offset_end_seconds == 1800


def test_events_and_records_give_the_same_card() -> None:
    monitor = ProctoringMonitor("int-9", "standard", clock=lambda: START)
    events: list[AnomalyEvent] = []
    t = START
    for reading, count in [(Reading.CLEAN, 120), (Reading.ANOMALOUS, 240), (Reading.CLEAN, 60)]:
        for _ in range(count):
            events += monitor.observe(AnomalyType.FACE_MISMATCH, t, reading, 0.9)
            t += 0.5
    events += monitor.set_condition(AnomalyType.CAMERA_OFF, True, t)
    events += monitor.close(t + 60)
    assert [e.state for e in events] == [AnomalyState.STARTED, AnomalyState.ENDED] * 2
    from_events = compute_scorecard(events, START, t + 60)
    from_records = compute_scorecard(records_from_events(events), START, t + 60)
    assert from_events.to_json() == from_records.to_json()
    assert len(from_events.deductions) == 2
    assert from_events.deductions[0].duration_seconds == 119.5


def test_invalid_input_is_refused() -> None:
    with pytest.raises(ValueError):
        compute_scorecard([], END, START)
    other = record(AnomalyType.NO_FACE, Severity.LOW, 0, 5, 9).model_copy(
        update={"interview_id": "int-10"}
    )
    with pytest.raises(ValueError):
        compute_scorecard([*sample(), other], START, END)


def test_empty_interview_scores_100() -> None:
    card = compute_scorecard([], START, END)
    assert card.score == card.score_excluding_dismissed == 100.0
    assert card.deductions == [] and card.totals == []
    assert card.summary == "Proctoring impact score 100.0 of 100 (0.0 points for 0 anomalies)."


def test_same_input_twice_gives_identical_json() -> None:
    first = compute_scorecard(sample(), START, END, dismissed_ids={str(uuid.UUID(int=5))})
    second = compute_scorecard(sample(), START, END, dismissed_ids=[str(uuid.UUID(int=5))])
    assert first.to_json() == second.to_json()


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=3))
def test_shuffled_and_duplicated_input_gives_identical_json(rng: random.Random, dups: int) -> None:
    records = sample()
    reference = compute_scorecard(records, START, END, frozenset({records[0].id})).to_json()
    # Mix stored records with the equivalent start and end messages, duplicated and shuffled.
    mixed: list[AnomalyRecord | AnomalyEvent] = list(records)
    for r in records:
        start = AnomalyEvent(
            id=r.id,
            interview_id=r.interview_id,
            type=r.type,
            state=AnomalyState.STARTED,
            severity=r.severity,
            confidence=r.confidence,
            started_at=r.started_at,
            confirmed_at=r.confirmed_at,
        )
        mixed.extend([start] * (dups + 1))
    rng.shuffle(mixed)
    assert compute_scorecard(mixed, START, END, frozenset({records[0].id})).to_json() == reference


def _doc_table(heading: str) -> list[list[str]]:
    text = DOC.read_text()
    section = text[text.index(heading) :]
    rows = []
    for line in section.splitlines()[1:]:
        if line.startswith("|") and not re.match(r"^\|[-:| ]+\|$", line):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows and not line.startswith("|"):
            break
    return rows[1:]  # without the header row


def test_documentation_matches_the_table() -> None:
    documented = {
        AnomalyType(kind): (Decimal(base), Decimal(per_minute), Decimal(cap))
        for kind, base, per_minute, cap in _doc_table("### Points by cause")
    }
    assert documented == {
        kind: (rule.base, rule.per_minute, rule.cap) for kind, rule in DEDUCTION_TABLE.items()
    }
    factors = {Severity(s): Decimal(f) for s, f in _doc_table("### Severity factor")}
    assert factors == dict(SEVERITY_FACTOR)
