"""What the live pipeline needs from the biometric engines, as two small protocols.

The pipeline (:mod:`agent.proctor.pipeline`, composed in :mod:`agent.proctor.live`) only
moves media and verdicts around; the engines in :mod:`proctoring` judge them. These
protocols are the seam: the adapters in :mod:`agent.proctor.engines` implement them over
the face and voice engines, and enroll from the live stream when the interview has no
baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import JsonValue

from contracts.anomaly import AnomalyType
from proctoring.smoothing import Reading


@dataclass(frozen=True)
class SignalReading:
    """One verdict for one smoothed signal, ready for :meth:`ProctoringMonitor.observe`."""

    signal: AnomalyType
    t: float
    reading: Reading
    confidence: float = 1.0
    evidence: dict[str, JsonValue] = field(default_factory=dict)


class FaceSignals(Protocol):
    """Judges one camera frame (blocking; run in a worker thread)."""

    def analyze(self, rgb: NDArray[np.uint8], t: float) -> list[SignalReading]:
        """Readings for face_mismatch, multiple_faces and no_face at time ``t``."""
        ...


class VoiceSignals(Protocol):
    """Judges the candidate's speech, fed continuously (blocking; run in a worker thread)."""

    def push(
        self, pcm: NDArray[np.int16], t_end: float, gap_before: bool = False
    ) -> list[SignalReading]:
        """Feed 16 kHz mono samples ending at ``t_end``; readings for finished segments.

        ``gap_before``: audio before these samples was dropped (the engine fell behind),
        so they do not continue the speech fed so far."""
        ...
