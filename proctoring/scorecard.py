"""The deterministic proctoring impact score, with an itemised explanation.

Each anomaly that overlaps the interview costs points::

    points = severity factor x (base points of its type + points per minute x minutes)

where minutes is the part of the anomaly inside the interview. The points of one type are
capped, so one long problem cannot erase the whole score on its own, and the score is 100
minus all points, never below 0. The table and the reasons for each number are in
``docs/scorecard.md`` (a test checks that the document and :data:`DEDUCTION_TABLE` agree).

Determinism: items are ordered by start time, type and id; arithmetic is decimal with
half-up rounding to 0.1 point; sentences use times relative to the interview's start. The
same records, in any order and with duplicates, give byte-identical JSON.

Proctor decisions: ``dismissed_ids`` lists anomalies the proctor dismissed. The scorecard
gives the score with every item and the score without the dismissed ones (caps are
recomputed, so a later item may count for more once an earlier one is dismissed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict

from contracts.anomaly import AnomalyEvent, AnomalyRecord, AnomalyType, Severity

SCORE_METHOD = "proctoring-impact-v2"
"""Name of this table; change it whenever a number below changes, so stored reports say
which rules produced them."""
MAX_SCORE = Decimal(100)
_TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class DeductionRule:
    """Points for one anomaly type at medium severity, and the most the type can cost."""

    base: Decimal
    per_minute: Decimal
    cap: Decimal


def _rule(base: str, per_minute: str, cap: str) -> DeductionRule:
    return DeductionRule(Decimal(base), Decimal(per_minute), Decimal(cap))


DEDUCTION_TABLE: Mapping[AnomalyType, DeductionRule] = MappingProxyType(
    {
        AnomalyType.FACE_MISMATCH: _rule("10", "4", "60"),
        AnomalyType.VOICE_MISMATCH: _rule("8", "3", "45"),
        AnomalyType.MULTIPLE_FACES: _rule("6", "2", "30"),
        AnomalyType.SECOND_SPEAKER: _rule("6", "2", "30"),
        AnomalyType.CAMERA_OFF: _rule("4", "2", "25"),
        AnomalyType.CANDIDATE_LEFT: _rule("3", "2", "20"),
        AnomalyType.NO_FACE: _rule("2", "1", "20"),
        AnomalyType.MIC_OFF: _rule("2", "1", "15"),
        AnomalyType.CONNECTION_LOST: _rule("0", "0.5", "5"),
        AnomalyType.EXTRA_CAMERA: _rule("4", "2", "25"),
        AnomalyType.EXTRA_MICROPHONE: _rule("2", "1", "15"),
    }
)
SEVERITY_FACTOR: Mapping[Severity, Decimal] = MappingProxyType(
    {Severity.LOW: Decimal("0.5"), Severity.MEDIUM: Decimal("1"), Severity.HIGH: Decimal("2")}
)


class Deduction(BaseModel):
    """One anomaly's line in the report."""

    model_config = ConfigDict(frozen=True)

    anomaly_id: str
    type: AnomalyType
    severity: Severity
    confidence: float
    started_at: float
    ended_at: float
    """The recorded end, or the interview's end for an anomaly still open then."""
    open_at_end: bool
    offset_start_seconds: float
    """Start of the counted part, in seconds after the interview started."""
    offset_end_seconds: float
    duration_seconds: float
    """Part of the anomaly inside the interview."""
    overlap_share: float
    """``duration_seconds`` over the interview's length (0..1)."""
    raw_points: float
    """Points before the per-type cap."""
    points: float
    """Points counted in the score with every item."""
    points_excluding_dismissed: float
    """Points counted in the score without dismissed items (0 when dismissed)."""
    dismissed: bool
    explanation: str


class TypeTotal(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: AnomalyType
    count: int
    cap: float
    raw_points: float
    points: float
    points_excluding_dismissed: float


class Scorecard(BaseModel):
    """The proctoring section of the report: score, items, totals and a summary sentence."""

    model_config = ConfigDict(frozen=True)

    version: Literal[1] = 1
    method: str = SCORE_METHOD
    interview_started_at: float
    interview_ended_at: float
    interview_seconds: float
    score: float
    score_excluding_dismissed: float
    deducted: float
    deducted_excluding_dismissed: float
    deductions: list[Deduction]
    totals: list[TypeTotal]
    summary: str

    def to_json(self) -> str:
        """Canonical JSON (fields in declaration order, items in score order)."""
        return self.model_dump_json(indent=2)


def records_from_events(items: Iterable[AnomalyRecord | AnomalyEvent]) -> list[AnomalyRecord]:
    """One record per anomaly id from stored records and/or start and end messages.

    Duplicates and any delivery order are fine: :meth:`AnomalyRecord.merged` keeps the most
    complete version. Records come back sorted by start time, type and id.
    """
    merged: dict[str, AnomalyRecord] = {}
    for item in items:
        record = item if isinstance(item, AnomalyRecord) else AnomalyRecord.from_event(item)
        known = merged.get(record.id)
        merged[record.id] = record if known is None else known.merged(record)
    return sorted(merged.values(), key=lambda r: (r.started_at, r.type.value, r.id))


@dataclass(frozen=True, slots=True)
class _Span:
    """The part of an anomaly inside the interview, in epoch seconds and as offsets."""

    start: float
    end: float
    offset_start: float
    offset_end: float
    open_at_end: bool
    overlaps: bool

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


def _span(record: AnomalyRecord, started_at: float, ended_at: float) -> _Span:
    recorded_end = ended_at if record.ended_at is None else record.ended_at
    overlaps = record.started_at <= ended_at and recorded_end >= started_at
    start = min(max(record.started_at, started_at), ended_at)
    end = max(min(recorded_end, ended_at), start)
    return _Span(
        start=start,
        end=end,
        offset_start=start - started_at,
        offset_end=end - started_at,
        open_at_end=record.ended_at is None,
        overlaps=overlaps,
    )


def _tenths(value: Decimal) -> Decimal:
    return value.quantize(_TENTH, rounding=ROUND_HALF_UP)


def _seconds(value: float) -> Decimal:
    """Seconds as a decimal rounded to the millisecond, so float noise cannot move a tenth."""
    return Decimal(repr(round(value, 3)))


def _raw_points(record: AnomalyRecord, span: _Span) -> tuple[Decimal, Decimal]:
    """(points, minutes) before the cap."""
    if not span.overlaps:
        return Decimal(0), Decimal(0)
    rule = DEDUCTION_TABLE[record.type]
    minutes = _seconds(span.seconds) / 60
    return _tenths(SEVERITY_FACTOR[record.severity] * (rule.base + rule.per_minute * minutes)), (
        minutes
    )


def _apply_caps(
    records: list[AnomalyRecord], raw: list[Decimal], counted: list[bool]
) -> list[Decimal]:
    """Points after the per-type caps, spent in chronological order on counted items."""
    spent: dict[AnomalyType, Decimal] = {}
    points: list[Decimal] = []
    for record, value, is_counted in zip(records, raw, counted, strict=True):
        if not is_counted:
            points.append(Decimal(0))
            continue
        used = spent.get(record.type, Decimal(0))
        granted = min(value, max(Decimal(0), DEDUCTION_TABLE[record.type].cap - used))
        spent[record.type] = used + granted
        points.append(granted)
    return points


def _pts(points: Decimal) -> str:
    """Points with one decimal, always (``Decimal(0)`` would print as ``0``)."""
    return f"{points:.1f}"


def _clock(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss`` after the interview's start."""
    whole = int(_seconds(seconds).to_integral_value(rounding=ROUND_HALF_UP))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _duration(seconds: float) -> str:
    whole = int(_seconds(seconds).to_integral_value(rounding=ROUND_HALF_UP))
    minutes, secs = divmod(whole, 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _label(kind: AnomalyType) -> str:
    return kind.value.replace("_", " ").capitalize()


def _explain(
    record: AnomalyRecord,
    span: _Span,
    share: Decimal,
    raw: Decimal,
    minutes: Decimal,
    points: Decimal,
    points_excluding: Decimal,
    dismissed: bool,
) -> str:
    """One plain sentence: what, how severe, when, how long, and the arithmetic."""
    label = _label(record.type)
    head = f"{label}, {record.severity.value} severity (confidence {record.confidence:.2f})"
    if not span.overlaps:
        sentence = f"{head}, outside the interview: 0 points."
    else:
        until = "the end (still open)" if span.open_at_end else _clock(span.offset_end)
        rule = DEDUCTION_TABLE[record.type]
        factor = SEVERITY_FACTOR[record.severity]
        shown_minutes = minutes.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        sentence = (
            f"{head}, from {_clock(span.offset_start)} to {until} into the interview "
            f"({_duration(span.end - span.start)}, {share * 100:.1f}% of the interview): "
            f"{factor} x ({rule.base} + {rule.per_minute} per minute x {shown_minutes} min)"
            f" = {_pts(raw)} points"
        )
        if points != raw:
            sentence += (
                f"; {_pts(points)} counted under the {rule.cap}-point cap for {label.lower()}"
            )
        sentence += "."
    if dismissed:
        sentence += " Dismissed by the proctor: not counted in the score without dismissed items."
    elif points_excluding != points:
        sentence += f" Without dismissed items it counts {_pts(points_excluding)} points."
    return sentence


def _summary(score: Decimal, score_excluding: Decimal, items: int, dismissed: int) -> str:
    deducted = MAX_SCORE - score
    noun = "anomaly" if items == 1 else "anomalies"
    sentence = (
        f"Proctoring impact score {_pts(score)} of 100 ({_pts(deducted)} points for {items} {noun})"
    )
    if dismissed:
        noun = "item" if dismissed == 1 else "items"
        sentence += f"; {_pts(score_excluding)} without the {dismissed} dismissed {noun}"
    return sentence + "."


def compute_scorecard(
    events: Iterable[AnomalyRecord | AnomalyEvent],
    interview_started_at: float,
    interview_ended_at: float,
    dismissed_ids: Iterable[str] = frozenset(),
) -> Scorecard:
    """Score one interview's anomalies; see the module docstring and docs/scorecard.md.

    ``events`` may mix stored records and start/end messages of one interview; an anomaly
    still open is counted until ``interview_ended_at``. Times are epoch seconds.
    """
    if not interview_ended_at >= interview_started_at:
        raise ValueError("the interview must end after it starts")
    records = records_from_events(events)
    if len({r.interview_id for r in records}) > 1:
        raise ValueError("anomalies of several interviews given to one scorecard")
    dismissed_set = frozenset(dismissed_ids)
    interview = _seconds(interview_ended_at - interview_started_at)
    spans = [_span(r, interview_started_at, interview_ended_at) for r in records]
    raw_and_minutes = [_raw_points(r, s) for r, s in zip(records, spans, strict=True)]
    raw = [points for points, _ in raw_and_minutes]
    dismissed = [r.id in dismissed_set for r in records]
    points = _apply_caps(records, raw, [True] * len(records))
    points_excluding = _apply_caps(records, raw, [not d for d in dismissed])

    deductions: list[Deduction] = []
    for i, (record, span) in enumerate(zip(records, spans, strict=True)):
        share = _seconds(span.end - span.start) / interview if interview else Decimal(0)
        share = share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        deductions.append(
            Deduction(
                anomaly_id=record.id,
                type=record.type,
                severity=record.severity,
                confidence=record.confidence,
                started_at=record.started_at,
                ended_at=interview_ended_at if record.ended_at is None else record.ended_at,
                open_at_end=span.open_at_end,
                offset_start_seconds=round(span.offset_start, 3),
                offset_end_seconds=round(span.offset_end, 3),
                duration_seconds=round(span.end - span.start, 3),
                overlap_share=float(share),
                raw_points=float(raw[i]),
                points=float(points[i]),
                points_excluding_dismissed=float(points_excluding[i]),
                dismissed=dismissed[i],
                explanation=_explain(
                    record,
                    span,
                    share,
                    raw[i],
                    raw_and_minutes[i][1],
                    points[i],
                    points_excluding[i],
                    dismissed[i],
                ),
            )
        )

    totals = []
    for kind in AnomalyType:
        idx = [i for i, r in enumerate(records) if r.type is kind]
        if idx:
            totals.append(
                TypeTotal(
                    type=kind,
                    count=len(idx),
                    cap=float(DEDUCTION_TABLE[kind].cap),
                    raw_points=float(sum((raw[i] for i in idx), Decimal(0))),
                    points=float(sum((points[i] for i in idx), Decimal(0))),
                    points_excluding_dismissed=float(
                        sum((points_excluding[i] for i in idx), Decimal(0))
                    ),
                )
            )

    deducted = sum(points, Decimal(0))
    deducted_excluding = sum(points_excluding, Decimal(0))
    score = max(Decimal(0), MAX_SCORE - deducted)
    score_excluding = max(Decimal(0), MAX_SCORE - deducted_excluding)
    return Scorecard(
        interview_started_at=interview_started_at,
        interview_ended_at=interview_ended_at,
        interview_seconds=round(interview_ended_at - interview_started_at, 3),
        score=float(score),
        score_excluding_dismissed=float(score_excluding),
        deducted=float(deducted),
        deducted_excluding_dismissed=float(deducted_excluding),
        deductions=deductions,
        totals=totals,
        summary=_summary(score, score_excluding, len(records), sum(dismissed)),
    )
