"""The per-interview proctoring monitor: readings and conditions in, anomaly events out.

The agent owns one :class:`ProctoringMonitor` per interview. It feeds it

* engine verdicts for the smoothed signals (face mismatch, multiple faces, no face, voice
  mismatch, second speaker) through :meth:`ProctoringMonitor.observe`;
* LiveKit facts (camera off, microphone off, candidate left, connection lost, an extra
  camera or microphone published) through :meth:`ProctoringMonitor.set_condition`;
* the passage of time through :meth:`ProctoringMonitor.tick` (once per heartbeat), which
  confirms conditions that have outlasted their debounce;

and publishes whatever :class:`~contracts.anomaly.AnomalyEvent` these return, plus
:meth:`ProctoringMonitor.status` as the heartbeat. :meth:`ProctoringMonitor.close` ends every
open anomaly when the interview ends, so each ``started`` message gets its ``ended`` one.

The monitor is plain synchronous code with no I/O and no locks: call it from one thread
(the agent's event loop), and run the face and voice engines elsewhere.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pydantic import JsonValue, TypeAdapter, ValidationError

from contracts.anomaly import (
    CONDITION_TYPES,
    SMOOTHED_TYPES,
    AnomalyEvent,
    AnomalyState,
    AnomalyType,
    Severity,
    SignalState,
    StatusHeartbeat,
    new_anomaly_id,
)
from proctoring.sensitivity import Sensitivity, SensitivityPreset, preset
from proctoring.smoothing import Counts, Ended, Observation, Reading, SignalSmoother, Started

log = logging.getLogger(__name__)

READINGS_KEY = "readings"
"""Evidence key holding the counts of readings behind a smoothed anomaly."""
CLOSED_BY_KEY = "closed_by"
"""Evidence key on ``ended`` messages: why it ended (``"clean"``, ``"condition_cleared"``,
``"interview_end"``)."""


_EVIDENCE = TypeAdapter(dict[str, JsonValue])


def _checked_evidence(evidence: Mapping[str, JsonValue] | None) -> dict[str, JsonValue]:
    """Evidence validated as plain JSON now, so a bad value (a numpy float, say) fails on
    the call that passed it, not later when it would lose the anomaly's start message."""
    try:
        return _EVIDENCE.validate_python(dict(evidence or {}))
    except ValidationError as exc:
        raise ValueError("evidence must hold plain JSON values (convert numpy scalars)") from exc


def _counts_evidence(counts: Counts) -> dict[str, JsonValue]:
    return {
        "anomalous": counts.anomalous,
        "decided": counts.decided,
        "uncertain": counts.uncertain,
    }


@dataclass(slots=True)
class _Condition:
    """A LiveKit-reported condition: pending while debouncing, then an open anomaly."""

    since: float
    evidence: dict[str, JsonValue]
    event: AnomalyEvent | None = None


class ProctoringMonitor:
    """Turns one interview's readings and conditions into start and end events."""

    def __init__(
        self,
        interview_id: str,
        sensitivity: Sensitivity | str = Sensitivity.STANDARD,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = new_anomaly_id,
    ) -> None:
        """``clock`` gives the time when a method is called without one; ``new_id`` makes
        anomaly ids (uuid4 by default; tests pass a counter for readable ids)."""
        self.interview_id = interview_id
        self.preset: SensitivityPreset = preset(sensitivity)
        self._clock = clock
        self._new_id = new_id
        self._smoothers = {s: SignalSmoother(self.preset.smoothing[s]) for s in SMOOTHED_TYPES}
        self._open: dict[AnomalyType, AnomalyEvent] = {}
        self._conditions: dict[AnomalyType, _Condition] = {}
        self._reported: set[AnomalyType] = set()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def open_anomalies(self) -> list[AnomalyEvent]:
        """The ``started`` events of the anomalies open now, oldest first."""
        return sorted(self._open.values(), key=lambda e: (e.started_at, e.id))

    def observe(
        self,
        signal: AnomalyType,
        t: float,
        reading: Reading,
        confidence: float = 1.0,
        evidence: Mapping[str, JsonValue] | None = None,
    ) -> list[AnomalyEvent]:
        """Feed one engine verdict for a smoothed signal at time ``t`` (epoch seconds).

        ``confidence`` is the engine's confidence in this verdict; ``evidence`` (distances,
        counts, a snapshot URL) is attached to the event if this reading confirms a start.
        Returns the events to publish: debounced conditions that matured by ``t``, then
        this signal's start or end, if any. Raises ``ValueError`` for a condition type or
        for evidence that is not plain JSON.
        """
        if signal not in self._smoothers:
            raise ValueError(f"{signal} is a condition: use set_condition")
        if self._closed:
            log.debug("proctoring: reading after close ignored")
            return []
        events = self.tick(t)
        transition = self._smoothers[signal].add(
            Observation(
                t=t, reading=reading, confidence=confidence, evidence=_checked_evidence(evidence)
            )
        )
        if transition is not None:
            events.append(self._emit_smoothed(signal, transition))
        return events

    def set_condition(
        self,
        signal: AnomalyType,
        active: bool,
        t: float | None = None,
        evidence: Mapping[str, JsonValue] | None = None,
    ) -> list[AnomalyEvent]:
        """Report that a LiveKit condition became active or inactive at ``t``.

        An active condition starts an anomaly once it has lasted its debounce time (checked
        here and on :meth:`tick`); its start time is when it became active. Clearing it
        ends the anomaly at ``t``, or silently drops it if it had not yet matured.
        Repeating the current state changes nothing.
        """
        if signal not in CONDITION_TYPES:
            raise ValueError(f"{signal} is smoothed: use observe")
        checked = _checked_evidence(evidence)
        now = self._clock() if t is None else t
        if self._closed:
            log.debug("proctoring: condition after close ignored")
            return []
        self._reported.add(signal)
        condition = self._conditions.get(signal)
        if active and condition is None:
            self._conditions[signal] = _Condition(since=now, evidence=checked)
        events = self.tick(now)
        if not active and condition is not None:
            del self._conditions[signal]
            if condition.event is not None:
                events.append(self._end(signal, now, {CLOSED_BY_KEY: "condition_cleared"}))
        return events

    def tick(self, t: float | None = None) -> list[AnomalyEvent]:
        """Let time pass: start the conditions whose debounce has elapsed by ``t``."""
        now = self._clock() if t is None else t
        events: list[AnomalyEvent] = []
        if self._closed:
            return events
        for signal in CONDITION_TYPES:
            condition = self._conditions.get(signal)
            if condition is None or condition.event is not None:
                continue
            params = self.preset.conditions[signal]
            if now - condition.since >= params.debounce_seconds:
                condition.event = self._start(
                    signal,
                    started_at=condition.since,
                    confirmed_at=now,
                    confidence=1.0,
                    severity=params.severity,
                    evidence=condition.evidence,
                )
                events.append(condition.event)
        return events

    def status(self, t: float | None = None) -> StatusHeartbeat:
        """The heartbeat for ``proctoring.status``: every signal's state and the open ids.

        A condition still inside its debounce shows as clean (nothing is confirmed yet); a
        condition the agent never reported shows as unknown.
        """
        now = self._clock() if t is None else t
        signals: dict[AnomalyType, SignalState] = {}
        for signal in AnomalyType:
            if signal in self._open:
                signals[signal] = SignalState.ANOMALOUS
            elif signal in self._smoothers:
                signals[signal] = self._smoothers[signal].state(now)
            elif signal in self._reported:
                signals[signal] = SignalState.CLEAN
            else:
                signals[signal] = SignalState.UNKNOWN
        return StatusHeartbeat(
            interview_id=self.interview_id,
            sent_at=now,
            signals=signals,
            active=[e.id for e in self.open_anomalies()],
        )

    def close(self, t: float | None = None) -> list[AnomalyEvent]:
        """End every open anomaly (end of the interview); later calls change nothing."""
        now = self._clock() if t is None else t
        if self._closed:
            return []
        events = self.tick(now)
        for signal in AnomalyType:
            if signal in self._smoothers:
                ended = self._smoothers[signal].force_end(now)
                if ended is not None:
                    events.append(self._emit_smoothed(signal, ended))
            elif signal in self._open:
                events.append(self._end(signal, now, {CLOSED_BY_KEY: "interview_end"}))
        self._conditions.clear()
        self._closed = True
        return events

    def _emit_smoothed(self, signal: AnomalyType, transition: Started | Ended) -> AnomalyEvent:
        rule = self.preset.severity[signal]
        confidence = round(transition.confidence, 4)
        if isinstance(transition, Started):
            return self._start(
                signal,
                started_at=transition.started_at,
                confirmed_at=transition.confirmed_at,
                confidence=confidence,
                severity=rule.severity(confidence),
                evidence={
                    **transition.evidence,
                    READINGS_KEY: _counts_evidence(transition.counts),
                },
            )
        closed_by = "interview_end" if transition.forced else "clean"
        return self._end(
            signal,
            transition.ended_at,
            {CLOSED_BY_KEY: closed_by, READINGS_KEY: _counts_evidence(transition.counts)},
            confidence=confidence,
            severity=rule.severity(confidence),
        )

    def _start(
        self,
        signal: AnomalyType,
        *,
        started_at: float,
        confirmed_at: float,
        confidence: float,
        severity: Severity,
        evidence: Mapping[str, JsonValue],
    ) -> AnomalyEvent:
        event = AnomalyEvent.model_validate(
            {
                "id": self._new_id(),
                "interview_id": self.interview_id,
                "type": signal,
                "state": AnomalyState.STARTED,
                "severity": severity,
                "confidence": confidence,
                "started_at": started_at,
                "confirmed_at": confirmed_at,
                "evidence": dict(evidence),
            }
        )
        self._open[signal] = event
        log.info("proctoring: anomaly %s started (%s)", event.id, signal.value)
        return event

    def _end(
        self,
        signal: AnomalyType,
        ended_at: float,
        extra_evidence: Mapping[str, JsonValue],
        confidence: float | None = None,
        severity: Severity | None = None,
    ) -> AnomalyEvent:
        started = self._open.pop(signal)
        update: dict[str, object] = {
            "state": AnomalyState.ENDED,
            "ended_at": max(ended_at, started.started_at),
            "evidence": {**started.evidence, **extra_evidence},
        }
        if confidence is not None:
            update["confidence"] = confidence
        if severity is not None:
            update["severity"] = severity
        event = AnomalyEvent.model_validate({**started.model_dump(), **update})
        log.info("proctoring: anomaly %s ended (%s)", event.id, signal.value)
        return event
