"""Replay one frame sequence through the live pipeline's verdict-to-anomaly path, offline.

What the agent does per camera frame, on a simulated clock and without LiveKit: a camera
delivers frames at ``camera_fps``; a sampler decides which are analyzed (the agent's
:class:`agent.proctor.sampling.FrameSampler`, 2 per second and a burst of 5 per second
while a face anomaly waits to be confirmed, is passed in by ``proctorai bench
face-sequences``: this layer may not import the agent); each analyzed frame goes through
the verifier (``FaceVerifier.analyze``) and :func:`proctoring.face_signals.observe_face`
(``face_readings`` then ``ProctoringMonitor.observe`` per signal, at the frame's time); a
heartbeat ``tick`` every ``heartbeat_seconds``; ``close`` at the end. Engine time is not
simulated: a frame's reading is observed at the frame's own time, so latencies here
leave out the engine's 0.1-0.2 s and the delivery through LiveKit.

The accounting on the events is here too, so that tests can check it on a fake verifier
whose answer is known.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from contracts.anomaly import AnomalyEvent, AnomalyState, AnomalyType
from proctoring.face.verify import FaceObservation
from proctoring.face_signals import face_readings, observe_face
from proctoring.monitor import ProctoringMonitor
from proctoring.smoothing import Reading


class Sampler(Protocol):
    """Which camera frames are analyzed (the shape of the agent's FrameSampler)."""

    def due(self, now: float) -> bool: ...

    def taken(self, now: float) -> None: ...


Steer = Callable[[Any, dict[AnomalyType, Reading], ProctoringMonitor, float], None]
"""After a frame: ``steer(sampler, readings, monitor, t)`` (the agent's burst decision)."""


class SteadySampler:
    """A fixed cadence with no burst: what ``python -m proctoring.bench`` uses by itself."""

    def __init__(self, frame_rate: float = 2.0) -> None:
        self._interval = 1.0 / frame_rate
        self._last: float | None = None

    def due(self, now: float) -> bool:
        return self._last is None or now - self._last >= self._interval - 1e-9

    def taken(self, now: float) -> None:
        self._last = now


def no_steer(sampler: Any, readings: dict[AnomalyType, Reading], monitor: Any, t: float) -> None:
    """No burst: the steady cadence."""


Timeline = list[tuple[float, AnomalyEvent]]
"""Events with the simulated time at which the monitor emitted them."""


@dataclass
class Replay:
    """What one sequence produced: every event when it was emitted, frames judged."""

    timeline: Timeline = field(default_factory=list)
    analyzed: int = 0
    duration: float = 0.0

    @property
    def events(self) -> list[AnomalyEvent]:
        return [event for _, event in self.timeline]

    def add(self, t: float, events: Iterable[AnomalyEvent]) -> None:
        self.timeline += [(t, event) for event in events]


def replay(
    analyze: Callable[[Any], FaceObservation],
    scene: Callable[[float], Any],
    duration: float,
    monitor: ProctoringMonitor,
    sampler: Sampler,
    steer: Steer = no_steer,
    camera_fps: float = 15.0,
    heartbeat_seconds: float = 3.0,
    stop: Callable[[Timeline], bool] | None = None,
) -> Replay:
    """Play ``scene(t)`` (the camera frame at ``t``) for ``duration`` seconds.

    ``stop(timeline)`` may end the replay early (an impostor trial stops once it has its
    answer). The monitor is closed at the last time played.
    """
    result = Replay()
    next_heartbeat = heartbeat_seconds
    t = 0.0
    index = 0
    while t < duration:
        if t >= next_heartbeat:
            result.add(t, monitor.tick(t))
            next_heartbeat += heartbeat_seconds
        if sampler.due(t):
            sampler.taken(t)
            observation = analyze(scene(t))
            result.analyzed += 1
            result.add(t, observe_face(monitor, observation, t))
            steer(sampler, face_readings(observation), monitor, t)
            if stop is not None and stop(result.timeline):
                break
        index += 1
        t = index / camera_fps
    result.duration = min(t, duration)
    result.add(result.duration, monitor.close(result.duration))
    return result


@dataclass(frozen=True)
class ImpostorOutcome:
    """One swap: the latency to the confirmed face_mismatch, or a miss within the bound."""

    latency: float | None
    open_at_swap: bool
    false_before: int

    @property
    def detected(self) -> bool:
        return self.latency is not None


def false_starts(events: Iterable[AnomalyEvent], before: float | None = None) -> dict[str, int]:
    """Anomalies started (confirmed) on genuine video, by type; only those confirmed
    before ``before`` when given (the genuine part of an impostor trial)."""
    counts: dict[str, int] = {}
    for event in events:
        if event.state is not AnomalyState.STARTED:
            continue
        if before is not None and event.confirmed_at >= before:
            continue
        counts[event.type.value] = counts.get(event.type.value, 0) + 1
    return counts


def impostor_outcome(timeline: Timeline, swap_at: float, bound: float) -> ImpostorOutcome:
    """Latency from the first frame of the other person (``swap_at``) to the confirmation
    (``confirmed_at``) of a face_mismatch, if one is confirmed within ``bound`` seconds.

    A face_mismatch confirmed before the swap is a false one (``false_before``); if it has
    not been ended by the swap, the proctor is already looking at an open mismatch, so
    the trial is reported apart (``open_at_swap``) and has no latency.
    """
    mismatches = [(t, e) for t, e in timeline if e.type is AnomalyType.FACE_MISMATCH]
    started_before = {
        e.id for t, e in mismatches if e.state is AnomalyState.STARTED and t < swap_at
    }
    ended_before = {e.id for t, e in mismatches if e.state is AnomalyState.ENDED and t < swap_at}
    open_at_swap = bool(started_before - ended_before)
    confirmed = sorted(
        e.confirmed_at - swap_at
        for t, e in mismatches
        if e.state is AnomalyState.STARTED and t >= swap_at
    )
    within = [latency for latency in confirmed if latency <= bound]
    latency = None if open_at_swap or not within else within[0]
    return ImpostorOutcome(
        latency=latency, open_at_swap=open_at_swap, false_before=len(started_before)
    )
