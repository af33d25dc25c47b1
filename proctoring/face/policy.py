"""Thresholds of the face verdicts, chosen from measured distances.

Distances are Euclidean between dlib's 128-d embeddings. On the degraded
calibration draw (``python -m proctoring.bench.degrade --seed 1``, 1520
pairs, see docs/benchmarks-faces.md) impostor pairs almost never came closer
than 0.60, while genuine pairs of poor frames (blurred, compressed, small)
spread up to 0.79: one cut-off cannot both accept the candidate and refuse
an impostor there. A grid over the three distances on that draw kept false
flags and false accepts under 0.5% with the fewest abstentions at 0.60, 0.66
and 0.68; the figures reported are measured on another draw (``--seed 0``).
So a verdict has three outcomes: at or under ``match_distance`` a match; over
the mismatch distance a mismatch; in between, uncertain. The mismatch
distance is larger for frames that are not clear, because poor frames push
the right person's distance up, never an impostor's down to a match.
"""

from __future__ import annotations

from dataclasses import dataclass

from proctoring.face.quality import FaceQuality


@dataclass(frozen=True)
class QualityGate:
    """Below any of these the face is not used (reason in plain words)."""

    min_face_px: int
    min_luminance: float
    min_contrast: float
    min_sharpness: float

    def problem(self, quality: FaceQuality) -> str | None:
        """Return why the face cannot be used, or None when it can."""
        if quality.face_px < self.min_face_px:
            return "The face is too small in the picture: please come closer to the camera."
        if quality.luminance < self.min_luminance:
            return "It is too dark to see the face: please add some light in front of you."
        if quality.contrast < self.min_contrast:
            return "The face is washed out: please avoid a bright light behind or on you."
        if quality.sharpness < self.min_sharpness:
            return "The picture is too blurred: please hold still and check the camera focus."
        return None


@dataclass(frozen=True)
class FaceVerifyConfig:
    """How a live face is judged against the enrollment."""

    match_distance: float = 0.60
    mismatch_distance: float = 0.66
    unclear_mismatch_distance: float = 0.68
    gate: QualityGate = QualityGate(
        min_face_px=36, min_luminance=12.0, min_contrast=4.0, min_sharpness=0.5
    )
    clear: QualityGate = QualityGate(
        min_face_px=90, min_luminance=70.0, min_contrast=20.0, min_sharpness=40.0
    )

    def mismatch_over(self, quality: FaceQuality) -> float:
        """Distance over which this face is a mismatch, given how clear it is."""
        unclear = self.clear.problem(quality) is not None
        return self.unclear_mismatch_distance if unclear else self.mismatch_distance


@dataclass(frozen=True)
class FaceEnrollConfig:
    """What a baseline must satisfy before it is accepted."""

    min_frames: int = 3
    gate: QualityGate = QualityGate(
        min_face_px=64, min_luminance=50.0, min_contrast=15.0, min_sharpness=15.0
    )
    # A live baseline further than this from its reference photo is refused.
    reference_distance: float = 0.60
    # Baseline frames that disagree this much are not all of one person.
    consistency_distance: float = 0.60
