"""Received anomalies against the scripted steps: detected, missed, tolerated, false.

The rule (pure, so it is unit-tested on its own):

* Only ``started`` messages count; each anomaly is one start (its ``ended`` message
  shares its id).
* An anomaly *matches* a step when its type is the one the step expects (or one it
  tolerates) and the proctor received it between the step's start and its end plus
  ``GRACE_SECONDS``. The grace covers the confirmation that may complete just after a
  step (a voice reading is made when a speech segment ends, up to 6 s after the words
  were said, then the audio is chunked and delivered): 10 s.
* A step's expected anomaly is *detected* by the first matching start of that type;
  its latency is the time from the step's start to the proctor receiving it (what a
  person watching the proctor page sees).
* A received anomaly that matches no step is *false*: a wrong type, or outside every
  window (including before the script began and after it ended).
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.anomaly import AnomalyType
from proctorai.demo.script import PlayedStep

GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class Received:
    """One anomaly start as the proctor got it; ``at`` in seconds from the script start."""

    type: AnomalyType
    at: float
    id: str = ""


@dataclass(frozen=True)
class Detection:
    step: PlayedStep
    anomaly: Received

    @property
    def latency(self) -> float:
        return self.anomaly.at - self.step.start


@dataclass(frozen=True)
class Outcome:
    detected: list[Detection]
    missed: list[PlayedStep]
    tolerated: list[Detection]
    false: list[Received]

    @property
    def passed(self) -> bool:
        return not self.missed and not self.false


def _window(step: PlayedStep, anomaly: Received, grace: float) -> bool:
    return step.start <= anomaly.at <= step.end + grace


def match(
    played: list[PlayedStep], received: list[Received], grace: float = GRACE_SECONDS
) -> Outcome:
    """Sort every received start into detected, tolerated or false; list missed steps."""
    detected: dict[int, Detection] = {}
    tolerated: list[Detection] = []
    false: list[Received] = []
    for anomaly in sorted(received, key=lambda r: r.at):
        matched = False
        for index, step in enumerate(played):
            if not _window(step, anomaly, grace):
                continue
            if anomaly.type is step.step.expect:
                detected.setdefault(index, Detection(step, anomaly))
                matched = True
                break
            if anomaly.type in step.step.tolerate:
                tolerated.append(Detection(step, anomaly))
                matched = True
                break
        if not matched:
            false.append(anomaly)
    missed = [
        step
        for index, step in enumerate(played)
        if step.step.expect is not None and index not in detected
    ]
    return Outcome(
        detected=[detected[i] for i in sorted(detected)],
        missed=missed,
        tolerated=tolerated,
        false=false,
    )
