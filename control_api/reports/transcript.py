"""The report's transcript with each proctoring event placed where it happened.

A recruiter judging a flag needs to see what was being said when it was raised, so the
HTML report interleaves the stored turns and the timeline by their offset from the
interview's start. A pure view of the document: it adds no fact to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from control_api.reports.schema import TimelineItem, TranscriptEntry


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """A turn (``turn`` set) or a proctoring event (``event`` set), at ``offset_seconds``."""

    kind: Literal["turn", "event"]
    offset_seconds: float
    turn: TranscriptEntry | None = None
    event: TimelineItem | None = None


def interleave(
    transcript: Sequence[TranscriptEntry], timeline: Sequence[TimelineItem]
) -> list[TranscriptLine]:
    """Turns and events in time order; an event starting with a turn comes just before it."""
    lines = [TranscriptLine("turn", t.offset_seconds, turn=t) for t in transcript]
    lines += [TranscriptLine("event", e.offset_start_seconds, event=e) for e in timeline]
    # stable sort: events (0) before turns (1) at the same second, otherwise stored order
    return sorted(lines, key=lambda line: (line.offset_seconds, line.kind == "turn"))
