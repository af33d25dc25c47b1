"""Temporal smoothing: turn a stream of noisy per-frame verdicts into anomaly starts and ends.

One :class:`SignalSmoother` per signal (face mismatch, voice mismatch, ...). Readings arrive
at irregular times (about 2 per second for faces, one per speech segment for voice), each
``ANOMALOUS``, ``CLEAN`` or ``UNCERTAIN`` (too dark, too small, too short to judge).

The state machine has two states with hysteresis:

* **idle → active**: on an anomalous reading, look at the readings of the last
  ``window_seconds``. If at least ``min_decided`` of them are decided (not uncertain) and
  at least ``raise_share`` of those decided readings are anomalous, the anomaly starts.
  Optionally a faster rule starts it sooner (``confirm_readings``/``confirm_seconds``):
  an unbroken run of at least ``confirm_readings`` anomalous readings (uncertain ones in
  between are skipped, a clean one breaks the run) spanning at least ``confirm_seconds``.
  A sustained swap is then confirmed within about a second, while a single stray frame,
  or a run shorter than ``confirm_seconds``, still raises nothing. The window rule stays
  in force beside it for intermittent anomalies that never make an unbroken run.
  Its start time is when it actually began, not when it was confirmed: the earliest
  anomalous reading in the window that the end rule would not have separated from the
  confirming reading (see :func:`_onset_index`).
* **active → idle**: the anomaly ends once clean readings have covered ``clean_seconds``
  with no anomalous reading in between. "Covered" counts only the time between two
  consecutive clean readings that are at most ``max_gap_seconds`` apart: an uncertain
  reading or a silence (camera off, candidate not speaking) pauses the clean timer without
  resetting it, and an anomalous reading resets it. The anomaly's end time is its last
  anomalous reading, so the trailing stretch needed to confirm the end is not charged.

Uncertain readings therefore neither raise nor clear, and the passage of time alone never
changes anything: a gap in the readings keeps an open anomaly open and starts nothing.
After an anomaly ends, the readings before its end are forgotten, so its tail cannot
re-raise it on the next stray reading.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import JsonValue

from contracts.anomaly import SignalState

log = logging.getLogger(__name__)


class Reading(StrEnum):
    """One engine verdict about one signal at one instant."""

    ANOMALOUS = "anomalous"
    CLEAN = "clean"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True, slots=True)
class Observation:
    """A reading with its time (epoch seconds), confidence (0..1) and evidence."""

    t: float
    reading: Reading
    confidence: float = 1.0
    evidence: Mapping[str, JsonValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not math.isfinite(self.t):
            raise ValueError("observation time must be finite")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError("confidence must be within 0..1")


@dataclass(frozen=True, slots=True)
class SmoothingConfig:
    """How much evidence starts an anomaly and how much clean time ends it."""

    window_seconds: float
    """Span of recent readings judged together when deciding to start."""
    raise_share: float
    """Share of the window's decided readings that must be anomalous to start (0..1]."""
    min_decided: int
    """Fewest decided readings in the window before a start is possible."""
    clean_seconds: float
    """Clean time needed to end an open anomaly."""
    max_gap_seconds: float
    """Readings further apart than this are not joined into clean time; with no reading
    for this long the signal's state is unknown."""
    confirm_readings: int | None = None
    """Fast rule: this many anomalous readings in an unbroken run start the anomaly
    (with ``confirm_seconds``); ``None`` disables the fast rule."""
    confirm_seconds: float = 0.0
    """Fast rule: the shortest span, first to last reading, of such a run."""

    def __post_init__(self) -> None:
        if self.window_seconds <= 0 or self.max_gap_seconds <= 0 or self.clean_seconds < 0:
            raise ValueError("durations must be positive")
        if not 0.0 < self.raise_share <= 1.0:
            raise ValueError("raise_share must be within (0, 1]")
        if self.min_decided < 1:
            raise ValueError("min_decided must be at least 1")
        if self.confirm_readings is not None and (
            self.confirm_readings < 2 or not 0.0 < self.confirm_seconds <= self.window_seconds
        ):
            raise ValueError("the fast rule needs at least 2 readings spanning (0, window_seconds]")


@dataclass(frozen=True, slots=True)
class Counts:
    """Readings behind a decision, kept as evidence for the proctor."""

    anomalous: int
    decided: int
    uncertain: int

    @property
    def share(self) -> float:
        return self.anomalous / self.decided if self.decided else 0.0


@dataclass(frozen=True, slots=True)
class Started:
    """The smoother confirmed an anomaly."""

    started_at: float
    """First anomalous reading of the run."""
    confirmed_at: float
    """The reading that confirmed it (``confirmed_at - started_at`` is the latency)."""
    confidence: float
    counts: Counts
    evidence: Mapping[str, JsonValue]
    """Evidence of the confirming reading: the frame the caller holds right now."""


@dataclass(frozen=True, slots=True)
class Ended:
    """The smoother closed an anomaly."""

    started_at: float
    ended_at: float
    """Last anomalous reading of the anomaly."""
    confirmed_at: float
    """When the end was decided (a clean reading, or the forced end)."""
    confidence: float
    counts: Counts
    forced: bool


Transition = Started | Ended


def _confidence(anomalous_confidence_sum: float, counts: Counts) -> float:
    """Mean confidence of the anomalous readings, scaled by their share of decided ones.

    A run where every decided reading is anomalous at 0.9 scores 0.9; the same run with a
    third of the readings clean scores 0.6: disagreement lowers belief.
    """
    if counts.anomalous == 0:
        return 0.0
    mean = anomalous_confidence_sum / counts.anomalous
    return min(1.0, max(0.0, mean * counts.share))


def _onset_index(window: list[Observation], params: SmoothingConfig) -> int:
    """Index of the anomaly's first reading, walking back from the confirming (last) one.

    The walk keeps moving the onset to earlier anomalous readings until it meets a clean
    stretch long enough (``clean_seconds``, measured as the end rule measures it) to have
    ended an anomaly: readings before such a stretch belong to an earlier episode.
    """
    onset = len(window) - 1
    clean_time = 0.0
    for i in range(len(window) - 2, -1, -1):
        current, later = window[i], window[i + 1]
        if current.reading is Reading.ANOMALOUS:
            if clean_time >= params.clean_seconds:
                break
            onset, clean_time = i, 0.0
        elif (
            current.reading is Reading.CLEAN
            and later.reading is Reading.CLEAN
            and later.t - current.t <= params.max_gap_seconds
        ):
            clean_time += later.t - current.t
    return onset


class SignalSmoother:
    """Hysteresis over one signal's readings; :meth:`add` returns a transition or ``None``."""

    def __init__(self, params: SmoothingConfig) -> None:
        self.params = params
        self._window: deque[Observation] = deque()
        self._last: Observation | None = None
        # State of the open anomaly (meaningful only while active).
        self._active = False
        self._started_at = 0.0
        self._last_anomalous_at = 0.0
        self._anomalous = 0
        self._decided = 0
        self._uncertain = 0
        self._anomalous_confidence = 0.0
        self._pending_clean = 0  # clean readings since the last anomalous one
        self._pending_uncertain = 0
        self._clean_time = 0.0

    @property
    def active(self) -> bool:
        return self._active

    @property
    def last_reading_at(self) -> float | None:
        return None if self._last is None else self._last.t

    def add(self, obs: Observation) -> Transition | None:
        """Take one reading; readings older than the previous one are ignored."""
        previous = self._last
        if previous is not None and obs.t < previous.t:
            log.debug("smoothing: out-of-order reading ignored")
            return None
        self._last = obs
        if self._active:
            return self._add_active(obs, previous)
        return self._add_idle(obs)

    def force_end(self, t: float) -> Ended | None:
        """Close the open anomaly (end of the interview); ``None`` when nothing is open."""
        if not self._active:
            return None
        return self._end(confirmed_at=max(t, self._last_anomalous_at), forced=True)

    def state(self, t: float) -> SignalState:
        """The signal's present state, for the heartbeat."""
        if self._active:
            return SignalState.ANOMALOUS
        if self._last is None or t - self._last.t > self.params.max_gap_seconds:
            return SignalState.UNKNOWN
        horizon = t - self.params.window_seconds
        recent = [o for o in self._window if o.t > horizon] or [self._last]
        if all(o.reading is Reading.UNCERTAIN for o in recent):
            return SignalState.UNCERTAIN
        return SignalState.CLEAN

    def _add_idle(self, obs: Observation) -> Started | None:
        self._window.append(obs)
        horizon = obs.t - self.params.window_seconds
        while self._window and self._window[0].t <= horizon:
            self._window.popleft()
        if obs.reading is not Reading.ANOMALOUS:
            return None
        window = list(self._window)
        if self._run_confirms(window):
            return self._start(window, obs)
        decided = [o for o in window if o.reading is not Reading.UNCERTAIN]
        anomalous = sum(1 for o in decided if o.reading is Reading.ANOMALOUS)
        if len(decided) < self.params.min_decided:
            return None
        if anomalous < self.params.raise_share * len(decided):
            return None
        return self._start(window, obs)

    def _run_confirms(self, window: list[Observation]) -> bool:
        """The fast rule: the window ends in a long enough unbroken anomalous run."""
        needed = self.params.confirm_readings
        if needed is None:
            return False
        count, first = 0, window[-1]
        for o in reversed(window):
            if o.reading is Reading.CLEAN:
                break
            if o.reading is Reading.ANOMALOUS:
                count, first = count + 1, o
        return count >= needed and window[-1].t - first.t >= self.params.confirm_seconds

    def _start(self, window: list[Observation], obs: Observation) -> Started:
        run = window[_onset_index(window, self.params) :]
        self._active = True
        self._started_at = run[0].t
        self._last_anomalous_at = obs.t
        self._anomalous = sum(1 for o in run if o.reading is Reading.ANOMALOUS)
        self._uncertain = sum(1 for o in run if o.reading is Reading.UNCERTAIN)
        self._decided = len(run) - self._uncertain
        self._anomalous_confidence = math.fsum(
            o.confidence for o in run if o.reading is Reading.ANOMALOUS
        )
        self._pending_clean = self._pending_uncertain = 0
        self._clean_time = 0.0
        self._window.clear()
        counts = self._counts()
        return Started(
            started_at=self._started_at,
            confirmed_at=obs.t,
            confidence=_confidence(self._anomalous_confidence, counts),
            counts=counts,
            evidence=dict(obs.evidence),
        )

    def _add_active(self, obs: Observation, previous: Observation | None) -> Ended | None:
        if obs.reading is Reading.ANOMALOUS:
            self._anomalous += 1
            self._decided += self._pending_clean + 1
            self._uncertain += self._pending_uncertain
            self._anomalous_confidence += obs.confidence
            self._pending_clean = self._pending_uncertain = 0
            self._clean_time = 0.0
            self._last_anomalous_at = obs.t
            return None
        if obs.reading is Reading.UNCERTAIN:
            self._pending_uncertain += 1
            return None
        self._pending_clean += 1
        if (
            previous is not None
            and previous.reading is Reading.CLEAN
            and obs.t - previous.t <= self.params.max_gap_seconds
        ):
            self._clean_time += obs.t - previous.t
        if self._clean_time >= self.params.clean_seconds:
            ended = self._end(confirmed_at=obs.t, forced=False)
            self._window.append(obs)  # the first reading of the next idle period
            return ended
        return None

    def _end(self, confirmed_at: float, forced: bool) -> Ended:
        counts = self._counts()
        ended = Ended(
            started_at=self._started_at,
            ended_at=self._last_anomalous_at,
            confirmed_at=confirmed_at,
            confidence=_confidence(self._anomalous_confidence, counts),
            counts=counts,
            forced=forced,
        )
        self._active = False
        self._window.clear()
        return ended

    def _counts(self) -> Counts:
        return Counts(anomalous=self._anomalous, decided=self._decided, uncertain=self._uncertain)
