"""Which camera frames are analyzed: by time, and faster while a face anomaly is confirmed.

Frames arrive at the camera's rate (15-30 per second); the face engine sees
``frame_rate`` of them per second (2 by default), the newest each time. That cadence
bounds the CPU per candidate, but it also sets how long the smoother waits for the
readings that confirm an anomaly. So after a face reading that points at an anomaly
not yet confirmed, the sampler switches to a burst (``burst_rate``, 5 per second by
default) until the anomaly is confirmed or the readings are clean again, and for at
most ``burst_seconds`` after the last such reading: the extra CPU is spent only on the
second or so in which a proctor is waiting for a verdict, never for a whole anomaly.
The pipeline still analyzes one frame at a time per candidate (a frame arriving while
the engine is busy is dropped, not queued), so a burst never queues work either.
"""

from __future__ import annotations

from collections.abc import Iterable

from contracts.anomaly import AnomalyType
from proctoring.smoothing import Reading

BURST_TYPES = frozenset({AnomalyType.FACE_MISMATCH, AnomalyType.MULTIPLE_FACES})
"""Face anomalies worth sampling faster for while they wait to be confirmed."""


def steer(
    sampler: FrameSampler,
    readings: Iterable[tuple[AnomalyType, Reading]],
    open_types: set[AnomalyType],
    now: float,
) -> None:
    """Burst while a face reading points at an anomaly not confirmed yet (not among
    ``open_types``), calm down otherwise: the one rule, for the pipeline and the
    sequence benchmark's replay."""
    if any(
        signal in BURST_TYPES and reading is Reading.ANOMALOUS and signal not in open_types
        for signal, reading in readings
    ):
        sampler.burst(now)
    else:
        sampler.calm()


class FrameSampler:
    """Decides, frame by frame, whether the newest frame is due for analysis."""

    def __init__(
        self, frame_rate: float = 2.0, burst_rate: float = 5.0, burst_seconds: float = 2.0
    ) -> None:
        if frame_rate <= 0 or burst_rate < frame_rate or burst_seconds < 0:
            raise ValueError("need 0 < frame_rate <= burst_rate and burst_seconds >= 0")
        self._interval = 1.0 / frame_rate
        self._burst_interval = 1.0 / burst_rate
        self._burst_seconds = burst_seconds
        self._last_taken: float | None = None
        self._burst_until = float("-inf")
        self.bursts = 0
        """How many bursts started (for the job's statistics)."""

    def bursting(self, now: float) -> bool:
        return now < self._burst_until

    def due(self, now: float) -> bool:
        """Is a frame arriving at ``now`` (monotonic seconds) to be analyzed?"""
        if self._last_taken is None:
            return True
        interval = self._burst_interval if self.bursting(now) else self._interval
        return now - self._last_taken >= interval

    def taken(self, now: float) -> None:
        """A frame was handed to the engine at ``now``."""
        self._last_taken = now

    def burst(self, now: float) -> None:
        """A reading points at an unconfirmed anomaly: sample faster for a while."""
        if not self.bursting(now):
            self.bursts += 1
        self._burst_until = now + self._burst_seconds

    def calm(self) -> None:
        """Nothing is waiting for confirmation: back to the normal cadence."""
        self._burst_until = float("-inf")
