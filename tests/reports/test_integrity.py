"""The integrity verdict: every state, its precedence, and its evidence."""

from __future__ import annotations

import pytest

from control_api.reports.integrity import integrity_verdict
from control_api.reports.schema import (
    DecisionKind,
    IntegrityLevel,
    IntegrityState,
    TimelineItem,
)
from tests.reports.conftest import at


def item(
    anomaly_id: str, kind: str, severity: str = "high", decision: DecisionKind | None = None
) -> TimelineItem:
    return TimelineItem(
        anomaly_id=anomaly_id,
        type=kind,
        severity=severity,
        confidence=0.9,
        started_at=at(10),
        ended_at=at(20),
        offset_start_seconds=10.0,
        offset_end_seconds=20.0,
        overlap_share=0.01,
        points=5.0,
        points_excluding_dismissed=5.0,
        scored=True,
        decision=decision,
        snapshots=[],
    )


CONFIRM, DISMISS = DecisionKind.CONFIRM, DecisionKind.DISMISS


@pytest.mark.parametrize(
    ("timeline", "state", "headline", "level", "evidence"),
    [
        (
            [item("a", "no_face", "low"), item("b", "face_mismatch", "medium", CONFIRM)],
            IntegrityState.IDENTITY_CONFIRMED,
            "Identity concern confirmed by proctor",
            IntegrityLevel.SERIOUS,
            ["b"],
        ),
        (
            [item("v", "voice_mismatch", "high", CONFIRM), item("m", "multiple_faces")],
            IntegrityState.IDENTITY_CONFIRMED,
            "Identity concern confirmed by proctor",
            IntegrityLevel.SERIOUS,
            ["v"],
        ),
        (
            [item("m", "multiple_faces", "high", CONFIRM), item("f", "face_mismatch")],
            IntegrityState.CONFIRMED,
            "Integrity concern confirmed by proctor",
            IntegrityLevel.SERIOUS,
            ["m"],
        ),
        (
            [item("m", "multiple_faces", "high"), item("n", "no_face", "low", DISMISS)],
            IntegrityState.UNREVIEWED,
            "Integrity flags raised, not reviewed",
            IntegrityLevel.SERIOUS,
            ["m"],
        ),
        (
            [item("f", "face_mismatch", "low")],  # identity flags count at any severity
            IntegrityState.UNREVIEWED,
            "Integrity flags raised, not reviewed",
            IntegrityLevel.SERIOUS,
            ["f"],
        ),
        (
            [item("n", "no_face", "low"), item("s", "second_speaker", "medium")],
            IntegrityState.MINOR_UNREVIEWED,
            "Minor flags raised, not reviewed",
            IntegrityLevel.CAUTION,
            ["n", "s"],
        ),
        (
            [item("f", "face_mismatch", "high", DISMISS), item("n", "no_face", "low", DISMISS)],
            IntegrityState.DISMISSED,
            "Flags dismissed by proctor",
            IntegrityLevel.CLEAR,
            ["f", "n"],
        ),
        ([], IntegrityState.CLEAN, "No integrity concern recorded", IntegrityLevel.CLEAR, []),
    ],
)
def test_every_state(
    timeline: list[TimelineItem],
    state: IntegrityState,
    headline: str,
    level: IntegrityLevel,
    evidence: list[str],
) -> None:
    verdict = integrity_verdict(timeline)
    assert (verdict.state, verdict.headline, verdict.level) == (state, headline, level)
    assert verdict.evidence == evidence
    assert verdict.detail


def test_the_detail_names_the_anomaly_types() -> None:
    verdict = integrity_verdict([item("b", "face_mismatch", "high", CONFIRM)])
    assert "face mismatch" in verdict.detail and "not the candidate" in verdict.detail


def test_an_unknown_type_still_counts_by_severity() -> None:
    verdict = integrity_verdict([item("x", "gaze_away", "high")])
    assert verdict.state is IntegrityState.UNREVIEWED
