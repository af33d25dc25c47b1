"""Following the candidate's face from frame to frame, so most frames skip a full search.

A seated candidate's face moves a few pixels between frames, so once it is known
the next frame only needs searching around it (``detect_near``: a small region,
a fraction of a whole-frame pass, and it keeps finding a small face that only the
costly full-resolution fallback would find in the whole frame).

Searching only there would miss a second person entering elsewhere, so a
whole-frame pass still runs every ``full_scan_every`` frames, and at once
whenever the followed face is lost or the region shows more than one face. A
face entering anywhere is therefore counted within ``full_scan_every - 1``
frames of the frame it appears in (0.5 s at 2 frames per second with the
default of 2), provided the reduced whole-frame pass can see it (about 90 px
wide and up in a 640x480 frame, the same limit as without tracking). While
more than one face is in view nothing is followed: every frame gets a
whole-frame pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from proctoring.face.detect import (
    DetectionSettings,
    FaceBox,
    detect_fallback,
    detect_near,
    detect_reduced,
    lift_if_dark,
)
from proctoring.imaging import RGBImage

SAME_FACE_IOU = 0.3


@dataclass(frozen=True)
class TrackSettings:
    """``full_scan_every``: a whole-frame pass at least every this many frames (1 turns
    tracking off). ``face_px``: width the followed face is rescaled to in its region."""

    full_scan_every: int = 3
    face_px: int = 100

    def __post_init__(self) -> None:
        if self.full_scan_every < 1:
            raise ValueError("full_scan_every must be at least 1")


@dataclass(frozen=True)
class Found:
    """The faces of one frame (largest first) and whether the whole frame was searched."""

    boxes: tuple[FaceBox, ...]
    full_scan: bool


class FaceTracker:
    """Finds the faces of successive frames of one stream (one per interview).

    Not thread-safe on its own: the verifier calls it under its lock.
    """

    def __init__(
        self, detection: DetectionSettings | None = None, settings: TrackSettings | None = None
    ) -> None:
        self.detection = detection or DetectionSettings()
        self.settings = settings or TrackSettings()
        self._followed: FaceBox | None = None
        self._since_full_scan = 0

    def find(self, frame: RGBImage) -> Found:
        """Faces of the next frame of the stream."""
        lifted = lift_if_dark(frame)
        followed = self._followed
        due = followed is None or self._since_full_scan + 1 >= self.settings.full_scan_every
        near: list[FaceBox] | None = None
        if followed is not None and not due:
            near = detect_near(lifted, followed, self.settings.face_px)
            if len(near) == 1:
                self._since_full_scan += 1
                self._followed = near[0]
                return Found((near[0],), full_scan=False)
            # lost, or a second face close by: search the whole frame now
        boxes = detect_reduced(lifted, self.detection)
        if followed is not None and not any(b.iou(followed) >= SAME_FACE_IOU for b in boxes):
            # the followed face may be too small for the reduced pass: look where it was
            if near is None:
                near = detect_near(lifted, followed, self.settings.face_px)
            extra = [n for n in near if not any(n.iou(b) >= SAME_FACE_IOU for b in boxes)]
            boxes = sorted(boxes + extra, key=lambda box: box.area, reverse=True)
        if not boxes:
            boxes = detect_fallback(lifted, self.detection)
        self._since_full_scan = 0
        self._followed = boxes[0] if len(boxes) == 1 else None
        return Found(tuple(boxes), full_scan=True)

    def reset(self) -> None:
        """Forget the followed face (the next frame gets a whole-frame pass)."""
        self._followed = None
        self._since_full_scan = 0
