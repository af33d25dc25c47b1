"""Landmarks, alignment and the 128-d embedding of one detected face.

The embedding is dlib's face ResNet. dlib-bin runs it without BLAS (100-170 ms
per face on one core here), so a plain encoding runs the numpy port of the same
network on the same weights (:mod:`proctoring.face.resnet`, about 12-18 ms,
equal to dlib's descriptor within 1e-6); only jittered encodings still go to
dlib. The encoder is still the expensive step, so it is only ever run on the
faces a verdict needs. Alignment uses dlib's 5-point model, the one its encoder
was trained with, and the aligned chip also serves for the quality measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import dlib
import numpy as np
from numpy.typing import NDArray

from proctoring.face.detect import FaceBox
from proctoring.face.models import shared_encoder, thread_models
from proctoring.face.quality import FaceQuality, brighten, measure_chip
from proctoring.imaging import RGBImage

CHIP_SIZE = 150
CHIP_PADDING = 0.25
Embedding = NDArray[np.float64]


@dataclass(frozen=True)
class AlignedFace:
    """A face cut out and aligned for the encoder, with its quality."""

    box: FaceBox
    chip: RGBImage
    quality: FaceQuality


def align(frame: RGBImage, box: FaceBox) -> AlignedFace:
    """Fit landmarks in the full-resolution frame and cut the aligned chip."""
    shape = thread_models().landmarks(frame, box.as_rectangle())
    chip = np.asarray(dlib.get_face_chip(frame, shape, CHIP_SIZE, CHIP_PADDING), dtype=np.uint8)
    return AlignedFace(box=box, chip=chip, quality=measure_chip(chip, box.width, box.score))


def encode(face: AlignedFace, num_jitters: int = 0) -> Embedding:
    """Return the 128-d embedding of an aligned face (dim faces are lifted first).

    ``num_jitters`` as in dlib: 0 or 1 means one forward pass of the chip as is (run
    by the numpy port); more means the mean over that many randomly jittered copies
    (run by dlib, whose random jitter the port does not reproduce).
    """
    chip = brighten(face.chip, face.quality.luminance)
    if num_jitters <= 1:
        return shared_encoder().compute(chip)
    descriptor = thread_models().encoder.compute_face_descriptor(chip, num_jitters)
    return np.asarray(descriptor, dtype=np.float64)
