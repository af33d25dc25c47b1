"""Image quality of one face, measured on its aligned 150x150 chip.

Measuring on the aligned chip (the very pixels the encoder sees) puts every
face on one scale: a small face is upsampled into the chip and so shows up as
a soft one, which is exactly what makes its embedding unreliable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage

from proctoring.imaging import RGBImage, luma


@dataclass(frozen=True)
class FaceQuality:
    """Numbers that tell whether a face can be judged.

    ``face_px``: detected box width in frame pixels. ``luminance``: mean luma
    of the chip (0-255). ``contrast``: standard deviation of that luma.
    ``sharpness``: variance of the Laplacian of the chip's luma.
    ``detector_score``: the HOG detector's confidence (higher is clearer).
    """

    face_px: int
    luminance: float
    contrast: float
    sharpness: float
    detector_score: float

    def to_dict(self) -> dict[str, float]:
        return {key: round(float(value), 2) for key, value in asdict(self).items()}


def measure_chip(chip: RGBImage, face_px: int, detector_score: float) -> FaceQuality:
    """Measure an aligned face chip (the central part, to leave out background)."""
    grey = luma(chip)
    margin = grey.shape[0] // 6
    centre = grey[margin:-margin, margin:-margin]
    return FaceQuality(
        face_px=face_px,
        luminance=float(centre.mean()),
        contrast=float(centre.std()),
        sharpness=float(ndimage.laplace(centre).var()),
        detector_score=detector_score,
    )


def brighten(chip: RGBImage, luminance: float, target: float = 110.0) -> RGBImage:
    """Lift a dim chip towards a normal exposure with a gamma curve.

    A dim webcam image still holds the face's shape; the encoder, trained on
    well-lit photos, reads it better once the mid-tones are restored.
    """
    if luminance <= 1.0 or luminance >= target:
        return chip
    gamma = np.log(target / 255.0) / np.log(luminance / 255.0)
    table = (255.0 * (np.arange(256) / 255.0) ** gamma).clip(0, 255).astype(np.uint8)
    lifted: RGBImage = table[chip]
    return lifted
