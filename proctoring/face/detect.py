"""Face detection on a reduced frame, with boxes mapped back to the full frame.

The seeds ran dlib's HOG detector with one upsampling on the full 640x480
frame, which alone costs most of their per-frame budget. HOG finds faces of
about 80 pixels and more at the scale it is run on, so a webcam face (150 px
and up) is found just as well on a frame shrunk to 480 pixels wide, at a
fraction of the cost. Only when that finds nothing do we look again at full
resolution with upsampling, so that small or distant faces still count.
"""

from __future__ import annotations

from dataclasses import dataclass

import dlib
import numpy as np
from PIL import Image, ImageFilter

from proctoring.face.models import thread_models
from proctoring.face.quality import brighten
from proctoring.imaging import RGBImage, luma, resize

DARK_FRAME_LUMINANCE = 80.0


@dataclass(frozen=True)
class FaceBox:
    """A detected face in full-frame pixel coordinates (like face_recognition's order)."""

    top: int
    right: int
    bottom: int
    left: int
    score: float

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def area(self) -> int:
        return max(0, self.right - self.left) * max(0, self.bottom - self.top)

    def as_rectangle(self) -> dlib.rectangle:
        return dlib.rectangle(self.left, self.top, self.right, self.bottom)

    def iou(self, other: FaceBox) -> float:
        """Intersection over union, used to follow one face from frame to frame."""
        top, bottom = max(self.top, other.top), min(self.bottom, other.bottom)
        left, right = max(self.left, other.left), min(self.right, other.right)
        inter = max(0, bottom - top) * max(0, right - left)
        union = self.area + other.area - inter
        return inter / union if union else 0.0


@dataclass(frozen=True)
class DetectionSettings:
    """How hard to look for faces.

    ``reduced_width``: width the frame is shrunk to for the first, cheap pass.
    ``fallback_width`` and ``fallback_upsample``: the second pass, only run when
    the first finds nothing (faces down to about 40 px at 640 px wide).
    """

    reduced_width: int = 480
    fallback_width: int = 640
    fallback_upsample: int = 1


def _run(frame: RGBImage, scale: float, upsample: int) -> list[FaceBox]:
    small = frame if scale == 1.0 else resize(frame, scale)
    rects, scores, _ = thread_models().detector.run(small, upsample, 0.0)
    height, width = frame.shape[:2]
    boxes = []
    for rect, score in zip(rects, scores, strict=True):
        boxes.append(
            FaceBox(
                top=max(0, round(rect.top() / scale)),
                right=min(width, round(rect.right() / scale)),
                bottom=min(height, round(rect.bottom() / scale)),
                left=max(0, round(rect.left() / scale)),
                score=float(score),
            )
        )
    return sorted(boxes, key=lambda box: box.area, reverse=True)


def _lift_if_dark(frame: RGBImage) -> RGBImage:
    """Restore the mid-tones of an under-exposed frame: HOG needs edges it can see.

    Lifting the shadows also lifts sensor noise and JPEG blocks, which HOG
    mistakes for edges, so the lifted frame is smoothed a little.
    """
    step = max(1, frame.shape[1] // 160)
    luminance = float(luma(frame[::step, ::step]).mean())
    if luminance >= DARK_FRAME_LUMINANCE:
        return frame
    lifted = Image.fromarray(brighten(frame, luminance)).filter(ImageFilter.GaussianBlur(1.0))
    return np.asarray(lifted, dtype=np.uint8)


def detect_faces(frame: RGBImage, settings: DetectionSettings | None = None) -> list[FaceBox]:
    """Find the faces in an RGB frame, largest first."""
    settings = settings or DetectionSettings()
    width = frame.shape[1]
    frame = _lift_if_dark(frame)
    boxes = _run(frame, min(1.0, settings.reduced_width / width), 0)
    if not boxes:
        boxes = _run(frame, min(1.0, settings.fallback_width / width), settings.fallback_upsample)
    return boxes
