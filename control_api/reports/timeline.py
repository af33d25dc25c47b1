"""Geometry of the anomaly timeline chart, shared by the SVG (HTML) and the PDF drawing.

One lane per anomaly type, time on the x axis from the interview's start to its end, one
bar per anomaly coloured by severity; dismissed anomalies are grey with a dashed outline.
Computing the layout once keeps the two renderings identical.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.anomaly import AnomalyType
from control_api.reports.schema import DecisionKind, ProctoringSection

WIDTH = 760.0
LABEL_WIDTH = 130.0
RIGHT_MARGIN = 16.0
TOP_MARGIN = 10.0
LANE_HEIGHT = 26.0
BAR_HEIGHT = 16.0
AXIS_HEIGHT = 26.0
MIN_BAR_WIDTH = 3.0
SEVERITY_COLOURS = {"low": "#f6c85f", "medium": "#e8743b", "high": "#b2182b"}
UNKNOWN_COLOUR = "#6f4e7c"
DISMISSED_COLOUR = "#bdbdbd"
_TICK_STEPS = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
_TYPE_ORDER = {t.value: i for i, t in enumerate(AnomalyType)}


@dataclass(frozen=True, slots=True)
class Lane:
    label: str
    y: float
    """Top of the lane."""


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    dashed: bool
    title: str
    anomaly_id: str


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class TimelineLayout:
    width: float
    height: float
    plot_left: float
    plot_right: float
    axis_y: float
    lanes: list[Lane]
    bars: list[Bar]
    ticks: list[Tick]
    description: str


def clock(seconds: float) -> str:
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def type_label(kind: str) -> str:
    return kind.replace("_", " ").capitalize()


def _tick_step(duration: float) -> int:
    return next((s for s in _TICK_STEPS if duration / s <= 10), _TICK_STEPS[-1])


def layout_timeline(section: ProctoringSection) -> TimelineLayout:
    """Where every lane, bar and tick goes (origin top-left, y downwards, like SVG)."""
    duration = max(section.scorecard.interview_seconds, 1.0)
    kinds = sorted(
        {item.type for item in section.timeline}, key=lambda k: (_TYPE_ORDER.get(k, 99), k)
    )
    lanes = [Lane(type_label(k), TOP_MARGIN + i * LANE_HEIGHT) for i, k in enumerate(kinds)]
    lane_y = {k: lane.y for k, lane in zip(kinds, lanes, strict=True)}
    left, right = LABEL_WIDTH, WIDTH - RIGHT_MARGIN
    span = right - left

    def x_of(seconds: float) -> float:
        return left + span * min(max(seconds, 0.0), duration) / duration

    bars = []
    for item in section.timeline:
        x0, x1 = x_of(item.offset_start_seconds), x_of(item.offset_end_seconds)
        width = max(MIN_BAR_WIDTH, x1 - x0)
        x0 = min(x0, right - width)
        dismissed = item.decision is DecisionKind.DISMISS
        fill = (
            DISMISSED_COLOUR if dismissed else SEVERITY_COLOURS.get(item.severity, UNKNOWN_COLOUR)
        )
        state = " (dismissed)" if dismissed else ""
        bars.append(
            Bar(
                x=round(x0, 2),
                y=lane_y[item.type] + (LANE_HEIGHT - BAR_HEIGHT) / 2,
                width=round(width, 2),
                height=BAR_HEIGHT,
                fill=fill,
                dashed=dismissed,
                title=(
                    f"{type_label(item.type)}, {item.severity} severity, "
                    f"{clock(item.offset_start_seconds)}-{clock(item.offset_end_seconds)}, "
                    f"{item.points:.1f} points{state}"
                ),
                anomaly_id=item.anomaly_id,
            )
        )
    axis_y = TOP_MARGIN + max(1, len(lanes)) * LANE_HEIGHT
    step = _tick_step(duration)
    ticks = [Tick(round(x_of(t), 2), clock(t)) for t in range(0, int(duration) + 1, step)]
    count = len(section.timeline)
    description = (
        f"Timeline of {count} anomal{'y' if count == 1 else 'ies'} over the "
        f"{clock(duration)} interview, one row per type."
        if count
        else f"No anomalies were recorded during the {clock(duration)} interview."
    )
    return TimelineLayout(
        width=WIDTH,
        height=axis_y + AXIS_HEIGHT,
        plot_left=left,
        plot_right=right,
        axis_y=axis_y,
        lanes=lanes,
        bars=bars,
        ticks=ticks,
        description=description,
    )
