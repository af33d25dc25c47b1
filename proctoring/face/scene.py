"""Has anything changed in the frame away from the followed face?

A whole-frame search exists to notice someone entering the picture; when the candidate
sits still before a still background nobody can have entered, and the search (the face
tracker's costliest step) finds what it found last time. So the tracker compares a tiny
thumbnail of each frame with the one taken at its last whole-frame search, block by
block, leaving out the region the tracking pass already searches around the candidate's
face (a face there is caught by that pass). A block whose average brightness moved by
more than ``threshold`` grey levels means something changed there: search the whole
frame now. Averaging each block over ~40x40 frame pixels makes the test blind to sensor
noise and compression flicker but not to a face (80 px and up) coming into view; a
lighting change moves every block and simply costs a search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from proctoring.face.detect import FaceBox
from proctoring.imaging import RGBImage

THUMB_WIDTH = 64
BLOCK = 4  # thumbnail pixels per block side: 40x40 pixels of a 640-wide frame


@dataclass(frozen=True)
class Scene:
    """A frame's brightness thumbnail, and the frame size it was taken from."""

    thumb: NDArray[np.float32]
    frame_height: int
    frame_width: int


def scene_of(frame: RGBImage) -> Scene:
    """The thumbnail of one frame (box-averaged grey, 64 px wide; about 0.3 ms)."""
    height, width = frame.shape[:2]
    thumb_height = max(BLOCK, round(THUMB_WIDTH * height / width))
    grey = (
        Image.fromarray(frame)
        .convert("L")
        .resize((THUMB_WIDTH, thumb_height), Image.Resampling.BOX)
    )
    return Scene(np.asarray(grey, dtype=np.float32), height, width)


def _mask(scene: Scene, boxes: list[FaceBox], margin: float) -> NDArray[np.bool_]:
    """Thumbnail pixels outside every box widened by ``margin`` of its size."""
    rows, cols = scene.thumb.shape
    keep = np.ones((rows, cols), dtype=bool)
    sy, sx = rows / scene.frame_height, cols / scene.frame_width
    for box in boxes:
        bh, bw = box.bottom - box.top, box.right - box.left
        top = max(0, int((box.top - margin * bh) * sy))
        bottom = min(rows, int(np.ceil((box.bottom + margin * bh) * sy)))
        left = max(0, int((box.left - margin * bw) * sx))
        right = min(cols, int(np.ceil((box.right + margin * bw) * sx)))
        keep[top:bottom, left:right] = False
    return keep


def changed_away_from(
    reference: Scene, current: Scene, boxes: list[FaceBox], margin: float, threshold: float
) -> bool:
    """Did any block outside ``boxes`` (widened by ``margin``) change by > ``threshold``?"""
    if reference.thumb.shape != current.thumb.shape:
        return True  # the camera changed resolution
    keep = _mask(current, boxes, margin).astype(np.float32)
    diff = np.abs(current.thumb - reference.thumb) * keep
    rows, cols = diff.shape
    pad = ((0, -rows % BLOCK), (0, -cols % BLOCK))
    diff, keep = np.pad(diff, pad), np.pad(keep, pad)
    shape = (diff.shape[0] // BLOCK, BLOCK, diff.shape[1] // BLOCK, BLOCK)
    sums = diff.reshape(shape).sum(axis=(1, 3))
    counts = keep.reshape(shape).sum(axis=(1, 3))
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return bool((means > threshold).any())
