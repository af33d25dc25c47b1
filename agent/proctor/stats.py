"""Per-candidate frame statistics: how much of the camera was judged, and how late.

The lag of a frame is the time from sampling it to having acted on its readings
(smoothed, and published if they confirmed an anomaly): the engine's own time plus any
wait for a free engine thread. It is what grows first when a worker has more candidates
than its cores can judge at the frame rate, so the capacity benchmark reads it from the
job's closing log line. Only counts and durations are kept: nothing about the person.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

KEPT = 2000
"""Most recent durations kept (about 15 minutes at 2 frames per second): bounded memory."""


def percentile(values: deque[float] | list[float], q: float) -> float | None:
    """The ``q`` quantile (0..100) rounded to milliseconds; ``None`` with no values."""
    if not values:
        return None
    return round(float(np.percentile(np.fromiter(values, dtype=float), q)), 3)


@dataclass
class FrameStats:
    """Counters and recent durations of one candidate's video pipeline."""

    seen: int = 0
    analyzed: int = 0
    dropped_busy: int = 0
    bursts: int = 0
    audio_dropped_seconds: float = 0.0
    face_cpu_seconds: float = 0.0  # CPU time (not wall time) spent in the face engine
    voice_cpu_seconds: float = 0.0
    started: float = field(default_factory=time.monotonic)
    lag_seconds: deque[float] = field(default_factory=lambda: deque(maxlen=KEPT))
    engine_seconds: deque[float] = field(default_factory=lambda: deque(maxlen=KEPT))

    def summary(self) -> dict[str, float | int | None]:
        """Plain numbers for a log line."""
        return {
            "frames_seen": self.seen,
            "frames_analyzed": self.analyzed,
            "frames_dropped_busy": self.dropped_busy,
            "bursts": self.bursts,
            "audio_dropped_seconds": round(self.audio_dropped_seconds, 2),
            "face_cpu_seconds": round(self.face_cpu_seconds, 3),
            "voice_cpu_seconds": round(self.voice_cpu_seconds, 3),
            "watched_seconds": round(time.monotonic() - self.started, 1),
            "lag_p50": percentile(self.lag_seconds, 50),
            "lag_p95": percentile(self.lag_seconds, 95),
            "engine_p50": percentile(self.engine_seconds, 50),
            "engine_p95": percentile(self.engine_seconds, 95),
        }
