"""Face detection at a fixed working scale, with boxes mapped back to the full frame.

The seeds ran dlib's HOG detector with one upsampling on the full 640x480
frame, which alone costs most of their per-frame budget. HOG finds faces of
about 80 pixels and more at the scale it is run on, so the whole-frame pass
runs on the frame brought to 640 pixels wide without upsampling (faces of
about 80 px at 640 wide and up: a webcam face, 150 px and up, and a second
person sitting back from the camera). Only when that finds nothing do we look
again with upsampling, so that small or distant faces still count.

The working width is the same whatever the frame's size: a camera received at a
low simulcast layer (480x360, 320x240, 160x120) is enlarged to it first, so a
face is as findable in that layer as in the 640x480 picture it came from. The
whole-frame pass used to shrink frames to 480 px: a second person's face of
96 px in a 640x480 camera was then 72 px, under HOG's window, and in the
480x360 layer the agent received under load, through VP8, only one of two faces
was found for the whole 5 s they were in view (the end-to-end test's
``multiple_faces`` never raised). The fallback (upsampled) finds faces of 40 px
at 640 wide and up (issue 17, where a 73-px face in a 640x480 camera was 18 px
in the 160x120 layer and never found). ``detect_deep`` looks harder still
(faces down to about 27 px at 640 wide, the quality gate's size): the tracker
runs it before saying nobody is in a picture.

``detect_near`` is the tracking pass: once a face is known, the next frame is
searched only around it, at a scale that puts that face at about 100 px
(``proctoring.face.track`` decides when a whole-frame pass is still needed).
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
NEAR_MARGIN = 0.6
"""How far around a followed face the tracking pass searches, in face sizes."""
MAX_NEAR_SCALE = 6.0
"""How much the tracking pass may enlarge a small face's region (an 18-px face of a
160x120 layer is brought to 100 px; the region is small, so this stays cheap)."""


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
class DetectionConfig:
    """How hard to look for faces.

    ``whole_width``: width the frame is brought to (shrunk or enlarged) for the
    whole-frame pass, without upsampling (faces of about 80 px at that width and up).
    ``fallback_width`` and ``fallback_upsample``: the second pass, only run when
    the first finds nothing (faces down to about 40 px at 640 px wide); a smaller
    frame is enlarged to ``fallback_width``. ``deep_width`` and ``deep_upsample``:
    the pass run before a picture is said to show nobody (faces down to about
    27 px at 640 px wide; about twice the fallback's cost).
    """

    whole_width: int = 640
    fallback_width: int = 640
    fallback_upsample: int = 1
    deep_width: int = 960
    deep_upsample: int = 1


def _run(frame: RGBImage, scale: float, upsample: int) -> list[FaceBox]:
    return _run_at(frame, scale, upsample, top=0, left=0, full=frame.shape[:2])


def _run_at(
    image: RGBImage, scale: float, upsample: int, top: int, left: int, full: tuple[int, ...]
) -> list[FaceBox]:
    """Run HOG on ``image`` resized by ``scale``; boxes in the coordinates of the full
    frame (``image`` is the part of it whose corner is at ``top``, ``left``)."""
    scaled = image if scale == 1.0 else resize(image, scale)
    rects, scores, _ = thread_models().detector.run(scaled, upsample, 0.0)
    height, width = full[:2]
    boxes = []
    for rect, score in zip(rects, scores, strict=True):
        boxes.append(
            FaceBox(
                top=max(0, top + round(rect.top() / scale)),
                right=min(width, left + round(rect.right() / scale)),
                bottom=min(height, top + round(rect.bottom() / scale)),
                left=max(0, left + round(rect.left() / scale)),
                score=float(score),
            )
        )
    return sorted(boxes, key=lambda box: box.area, reverse=True)


def lift_if_dark(frame: RGBImage) -> RGBImage:
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


def detect_faces(frame: RGBImage, settings: DetectionConfig | None = None) -> list[FaceBox]:
    """Find the faces in an RGB frame, largest first."""
    settings = settings or DetectionConfig()
    frame = lift_if_dark(frame)
    boxes = detect_whole(frame, settings)
    if not boxes:
        boxes = detect_fallback(frame, settings)
    return boxes


def detect_whole(lifted: RGBImage, settings: DetectionConfig) -> list[FaceBox]:
    """The whole-frame pass: the (already lifted) frame at ``whole_width``, shrunk or
    enlarged, not upsampled."""
    return _run(lifted, settings.whole_width / lifted.shape[1], 0)


def detect_fallback(lifted: RGBImage, settings: DetectionConfig) -> list[FaceBox]:
    """The costly pass for small faces: at ``fallback_width`` (a smaller frame is
    enlarged to it: a low simulcast layer's face is as findable as a 640x480 one's),
    upsampled."""
    return _run(lifted, settings.fallback_width / lifted.shape[1], settings.fallback_upsample)


def detect_deep(lifted: RGBImage, settings: DetectionConfig) -> list[FaceBox]:
    """The costliest pass, before a picture is said to show nobody: the frame at
    ``deep_width`` (enlarged or shrunk), upsampled ``deep_upsample`` times."""
    return _run(lifted, settings.deep_width / lifted.shape[1], settings.deep_upsample)


def detect_near(
    lifted: RGBImage, box: FaceBox, face_px: int = 100, margin: float = NEAR_MARGIN
) -> list[FaceBox]:
    """Look for faces only around ``box`` (a face seen in the previous frame).

    The region is the box widened by ``margin`` of its size on every side, rescaled
    so that a face of the box's size is ``face_px`` wide: HOG's 80 px window then
    still finds it if it shrinks by a fifth, and a 70 px face that the whole-frame
    pass misses is found here at a small fraction of the fallback's cost.
    """
    height, width = lifted.shape[:2]
    box_w, box_h = max(1, box.right - box.left), max(1, box.bottom - box.top)
    top = max(0, round(box.top - margin * box_h))
    bottom = min(height, round(box.bottom + margin * box_h))
    left = max(0, round(box.left - margin * box_w))
    right = min(width, round(box.right + margin * box_w))
    if bottom - top < 8 or right - left < 8:
        return []
    region = np.ascontiguousarray(lifted[top:bottom, left:right])
    scale = min(MAX_NEAR_SCALE, face_px / box_w)
    return _run_at(region, scale, 0, top=top, left=left, full=lifted.shape[:2])
