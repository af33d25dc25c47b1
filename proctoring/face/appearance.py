"""A cheap "is this still the same face?" check between two aligned face chips.

The verifier skips the costly encoder while the candidate's face stays in place,
but a box in the same place is not proof of the same person: someone else can
sit where the candidate sat. Two aligned chips of one face a moment apart are
nearly the same picture, while chips of two people differ in the layout of
their features, so the normalised correlation of their grey levels tells the
two apart for the price of a landmark fit (about 3 ms) instead of an encoding
(100-170 ms). Measured on the shared faces (see docs/benchmarks-faces.md):
one face followed over a drifting clip, at least 0.94; two different people,
at most 0.74 (median 0.24). Below ``SAME_LOOK`` the face is encoded again.
Gain and offset cancel out in the correlation, so a change of light alone
does not force an encoding.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from proctoring.imaging import RGBImage, luma

SAME_LOOK = 0.85
Look = NDArray[np.float32]


def look_of(chip: RGBImage) -> Look:
    """The chip's central grey levels (every second pixel), zero mean, unit norm."""
    size = chip.shape[0]
    margin = size // 6
    grey = luma(chip)[margin : size - margin : 2, margin : size - margin : 2].ravel()
    grey = grey - grey.mean()
    norm = float(np.linalg.norm(grey))
    result: Look = grey / norm if norm > 0 else grey
    return result


def same_look(first: Look, second: Look) -> bool:
    """Whether two looks are of one face a moment apart (correlation >= SAME_LOOK)."""
    return first.shape == second.shape and float(first @ second) >= SAME_LOOK
