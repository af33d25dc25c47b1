"""The data-channel messages: validation, size bound, round trips, record merging."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.anomaly import (
    MAX_MESSAGE_BYTES,
    TRUNCATED_KEY,
    AnomalyEvent,
    AnomalyRecord,
    AnomalyState,
    AnomalyType,
    InvalidMessageError,
    JudgedTracks,
    Severity,
    SignalState,
    StatusHeartbeat,
)
from proctoring.scorecard import DEDUCTION_TABLE
from proctoring.sensitivity import PRESETS

T0 = 1_700_000_000.0
ID = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"


def started(**changes: object) -> AnomalyEvent:
    fields: dict[str, object] = {
        "id": ID,
        "interview_id": "int-42",
        "type": AnomalyType.FACE_MISMATCH,
        "state": AnomalyState.STARTED,
        "severity": Severity.HIGH,
        "confidence": 0.91,
        "started_at": T0,
        "confirmed_at": T0 + 3.5,
        "evidence": {"snapshot_url": "https://cdn.example/s/1.jpg", "distance": 0.71},
    }
    fields.update(changes)
    return AnomalyEvent.model_validate(fields)


def ended(**changes: object) -> AnomalyEvent:
    fields: dict[str, object] = {"state": AnomalyState.ENDED, "ended_at": T0 + 60}
    fields.update(changes)
    return started(**fields)


def test_round_trip_and_wire_format() -> None:
    event = started()
    data = event.to_message()
    assert AnomalyEvent.from_message(data) == event
    wire = json.loads(data)
    assert wire["v"] == 1
    assert wire["type"] == "face_mismatch"
    assert wire["state"] == "started"
    assert wire["ended_at"] is None
    assert set(wire) >= {"id", "interview_id", "severity", "confidence", "started_at", "evidence"}


def test_start_and_end_share_the_id_but_not_the_idempotency_key() -> None:
    start, end = started(), ended()
    assert start.id == end.id
    assert start.idempotency_key == f"{ID}:started"
    assert end.idempotency_key == f"{ID}:ended"


@pytest.mark.parametrize(
    "bad",
    [
        {"state": "ended"},  # ended without ended_at
        {"ended_at": T0 + 1},  # started with ended_at
        {"state": "ended", "ended_at": T0 - 1},  # ends before it starts
        {"confidence": 1.2},
        {"id": "../../etc"},  # not an id a storage key or URL can carry
        {"type": "telepathy"},
        {"v": 2},
        {"started_at": -5.0},
        {"interview_id": ""},
        {"unexpected": True},
    ],
)
def test_invalid_messages_are_refused(bad: dict[str, object]) -> None:
    wire = json.loads(started().to_message())
    wire.update(bad)
    with pytest.raises(InvalidMessageError):
        AnomalyEvent.from_message(json.dumps(wire).encode())


def test_garbage_and_oversized_input_is_refused() -> None:
    with pytest.raises(InvalidMessageError):
        AnomalyEvent.from_message(b"{not json")
    with pytest.raises(InvalidMessageError):
        AnomalyEvent.from_message(b" " * (MAX_MESSAGE_BYTES + 1))


def test_bulky_evidence_is_trimmed_under_the_bound() -> None:
    event = started(
        evidence={
            "snapshot_url": "https://cdn.example/s/1.jpg",
            "distances": [0.123456789] * 3000,
            "landmarks": ["x" * 100] * 100,
            "count": 2,
        }
    )
    assert len(event.model_dump_json()) > MAX_MESSAGE_BYTES
    data = event.to_message()
    assert len(data) <= MAX_MESSAGE_BYTES
    back = AnomalyEvent.from_message(data)
    assert back.evidence[TRUNCATED_KEY] == ["distances"]
    assert back.evidence["snapshot_url"] == "https://cdn.example/s/1.jpg"
    assert back.evidence["count"] == 2
    assert back.id == event.id


def test_small_evidence_is_left_alone() -> None:
    event = started()
    assert AnomalyEvent.from_message(event.to_message()).evidence == event.evidence


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=20),
        st.one_of(
            st.text(max_size=4000),
            st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=800),
            st.integers(),
        ),
        max_size=12,
    )
)
def test_any_evidence_fits_the_bound_and_round_trips(evidence: dict[str, object]) -> None:
    event = started(evidence=evidence)
    data = event.to_message()
    assert len(data) <= MAX_MESSAGE_BYTES
    back = AnomalyEvent.from_message(data)
    kept = {k: v for k, v in back.evidence.items() if k != TRUNCATED_KEY}
    assert all(evidence[k] == v for k, v in kept.items() if k in evidence)


def test_heartbeat_round_trip() -> None:
    beat = StatusHeartbeat(
        interview_id="int-42",
        sent_at=T0,
        signals={t: SignalState.UNKNOWN for t in AnomalyType}
        | {AnomalyType.FACE_MISMATCH: SignalState.ANOMALOUS},
        active=[ID],
    )
    data = beat.to_message()
    assert len(data) < 1024
    back = StatusHeartbeat.from_message(data)
    assert back == beat
    assert json.loads(data)["signals"]["face_mismatch"] == "anomalous"
    with pytest.raises(InvalidMessageError):
        StatusHeartbeat.from_message(data.replace(b"anomalous", b"on fire"))


def test_heartbeat_names_the_judged_tracks() -> None:
    beat = StatusHeartbeat(
        interview_id="int-42",
        sent_at=T0,
        signals={t: SignalState.CLEAN for t in AnomalyType},
        judged=JudgedTracks(camera="TR_cam", microphone="TR_mic"),
    )
    data = beat.to_message()
    assert json.loads(data)["judged"] == {"camera": "TR_cam", "microphone": "TR_mic"}
    assert StatusHeartbeat.from_message(data) == beat
    # a heartbeat from before the field (or of an absent candidate) names no track
    old = json.loads(data)
    del old["judged"]
    assert StatusHeartbeat.from_message(json.dumps(old)).judged == JudgedTracks()


def test_record_merge_prefers_the_ended_version_in_any_order() -> None:
    start = AnomalyRecord.from_event(started())
    end = AnomalyRecord.from_event(ended(confidence=0.8, severity=Severity.MEDIUM))
    assert start.is_open and not end.is_open
    assert start.merged(end) == end
    assert end.merged(start) == end
    assert end.merged(started()) == end
    with pytest.raises(ValueError):
        start.merged(started(id=str(uuid.uuid4())))


@settings(max_examples=50, deadline=None)
@given(st.permutations(range(4)))
def test_record_merge_is_order_independent(order: list[int]) -> None:
    versions = [
        AnomalyRecord.from_event(started()),
        AnomalyRecord.from_event(ended()),
        AnomalyRecord.from_event(ended(ended_at=T0 + 90)),
        AnomalyRecord.from_event(ended(ended_at=T0 + 90, confidence=0.5)),
    ]
    shuffled = [versions[i] for i in order]
    result = shuffled[0]
    for version in shuffled[1:]:
        result = result.merged(version)
    reference = versions[0]
    for version in versions[1:]:
        reference = reference.merged(version)
    assert result == reference
    assert result.ended_at == T0 + 90


def test_severity_rank_orders_levels() -> None:
    assert Severity.LOW.rank < Severity.MEDIUM.rank < Severity.HIGH.rank


def test_every_anomaly_type_is_scored_preset_and_worded_for_the_proctor() -> None:
    """One spelling everywhere: a new type missing from any of these lists is a bug."""
    dashboard = Path(__file__).parents[1] / "control_api" / "dashboard"
    words = (dashboard / "js" / "anomaly-words.js").read_text()
    for kind in AnomalyType:
        assert kind in DEDUCTION_TABLE, kind
        for preset in PRESETS.values():
            assert kind in preset.smoothing or kind in preset.conditions, (kind, preset.name)
        # a title in ANOMALY_WORDS and a signal name in SIGNAL_WORDS
        assert words.count(f"  {kind.value}: ") == 2, kind
