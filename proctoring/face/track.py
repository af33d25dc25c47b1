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
default of 2), provided the whole-frame pass can see it (about 80 px
wide and up in a 640x480 frame or any layer of it, the same limit as without tracking). While
more than one face is in view nothing is followed: every frame gets a
whole-frame pass.

When nothing has changed in the frame away from the followed face since the last
whole-frame pass (:mod:`proctoring.face.scene`: a 64-px thumbnail compared block by
block), nobody can have entered, and the pass due is skipped, up to ``still_scan_every``
frames apart (a candidate still before a still background: most of an interview). Any
change elsewhere (someone entering, the candidate moving a lot, the light) brings the
pass back at once, so a face entering is counted at the latest on the frame it shows up
in or ``full_scan_every - 1`` frames later, as before. A scene counts as still only once two
whole-frame passes in a row saw it alike: after a scene change the codec sends a blurred
first frame and refines it over the next ones, too gradually to count as a change, and a
pass on that first frame had found one of two faces (the demo's second person, never
counted for 6 s). Likewise, a picture in which the
whole search (fallback included, the costliest pass of all) found nobody is not searched
again while it stays the same: nobody in view costs almost nothing.

Saying nobody is there takes more than that (issue 17: a still picture of a person whose
face the usual passes missed was reported as "No face in view" for a minute). Before a
picture with no face found is called empty, the deep pass (``detect_deep``: the frame
enlarged, the costliest search) looks at it too, at most every ``deep_scan_every`` frames,
so also periodically in a picture that does not change. ``Found.absence_confirmed`` says
whether a frame without faces is backed by such a search (in this picture, or within
``deep_scan_every`` frames with nothing found since), or shows a blank picture (a covered
camera: nothing to search); otherwise nobody found is not evidence of nobody there.
"""

from __future__ import annotations

from dataclasses import dataclass

from proctoring.face.detect import (
    NEAR_MARGIN,
    DetectionConfig,
    FaceBox,
    detect_deep,
    detect_fallback,
    detect_near,
    detect_whole,
    lift_if_dark,
)
from proctoring.face.scene import Scene, changed_away_from, scene_of
from proctoring.imaging import RGBImage

SAME_FACE_IOU = 0.3
BLANK_RANGE = 16.0
"""Grey levels between the darkest and brightest blocks of the frame's thumbnail (each
about 10x10 frame pixels at 640 wide) under which it shows nothing at all (a covered or
black camera): no face can hide there, so nobody found in it needs no deep pass."""


@dataclass(frozen=True)
class TrackConfig:
    """``full_scan_every``: a whole-frame pass at least every this many frames (1 turns
    tracking off). ``face_px``: width the followed face is rescaled to in its region."""

    full_scan_every: int = 3
    face_px: int = 100
    still_scan_every: int = 12
    """With the scene still away from the face, a whole-frame pass at least this often
    (6 s at 2 frames per second); equal to ``full_scan_every`` turns the test off."""
    change_threshold: float = 10.0
    """Grey levels a 40x40-pixel block's average must move by to count as a change."""
    deep_scan_every: int = 6
    """While no face is found, the deep pass at most this often (3 s at 2 frames per
    second); a picture that does not change is searched again (deep pass included)
    every ``still_scan_every`` frames."""

    def __post_init__(self) -> None:
        if self.full_scan_every < 1:
            raise ValueError("full_scan_every must be at least 1")
        if self.deep_scan_every < 1:
            raise ValueError("deep_scan_every must be at least 1")
        if self.still_scan_every < self.full_scan_every:
            raise ValueError("still_scan_every must be at least full_scan_every")


@dataclass(frozen=True)
class Found:
    """The faces of one frame (largest first) and whether the whole frame was searched.

    ``absence_confirmed`` (for a frame without faces): the deep pass found nobody in this
    picture or recently, or the picture is blank; False means only the usual passes
    found nobody, which is not evidence that nobody is there."""

    boxes: tuple[FaceBox, ...]
    full_scan: bool
    absence_confirmed: bool = False


class FaceTracker:
    """Finds the faces of successive frames of one stream (one per interview).

    Not thread-safe on its own: the verifier calls it under its lock.
    """

    def __init__(
        self, detection: DetectionConfig | None = None, settings: TrackConfig | None = None
    ) -> None:
        self.detection = detection or DetectionConfig()
        self.settings = settings or TrackConfig()
        self._followed: FaceBox | None = None
        self._since_full_scan = 0
        self._scene: Scene | None = None  # at the last whole-frame pass
        self._scene_box: FaceBox | None = None  # the followed face then
        # the last two whole-frame passes saw the same scene away from the faces: a picture
        # still changing (a codec refining a new scene over several frames) is never skipped
        self._settled = False
        self._last_empty = False  # the last whole-frame search found nobody
        self._last_confirmed = False  # ... and that absence was confirmed
        self._since_deep: int | None = None  # frames since a deep pass found nobody
        self.skipped_scans = 0
        """Whole-frame passes skipped because the scene was still (for statistics)."""

    def find(self, frame: RGBImage) -> Found:
        """Faces of the next frame of the stream."""
        lifted = lift_if_dark(frame)
        followed = self._followed
        due = followed is None or self._since_full_scan + 1 >= self.settings.full_scan_every
        # the thumbnail is only needed to decide a due pass, for an empty picture, or as
        # the next reference: a frame the tracking pass alone handles never makes one
        scene = scene_of(frame) if self._gating and (due or followed is None) else None
        if due and followed is not None and self._still(scene, followed):
            due = False
            self.skipped_scans += 1
        if self._since_deep is not None:
            self._since_deep += 1
        if followed is None and self._empty_and_unchanged(scene):
            # nobody was found in this very picture: the search (with its costly
            # full-resolution fallback) would find nobody again
            self._since_full_scan += 1
            self.skipped_scans += 1
            return Found((), full_scan=False, absence_confirmed=self._last_confirmed)
        near: list[FaceBox] | None = None
        if followed is not None and not due:
            near = detect_near(lifted, followed, self.settings.face_px)
            if len(near) == 1:
                self._since_full_scan += 1
                self._followed = near[0]
                return Found((near[0],), full_scan=False)
            # lost, or a second face close by: search the whole frame now
        boxes = detect_whole(lifted, self.detection)
        if followed is not None and not any(b.iou(followed) >= SAME_FACE_IOU for b in boxes):
            # the followed face may be too small for the whole-frame pass: look there
            if near is None:
                near = detect_near(lifted, followed, self.settings.face_px)
            extra = [n for n in near if not any(n.iou(b) >= SAME_FACE_IOU for b in boxes)]
            boxes = sorted(boxes + extra, key=lambda box: box.area, reverse=True)
        if not boxes:
            boxes = detect_fallback(lifted, self.detection)
        confirmed = False
        if boxes:
            self._since_deep = None
        else:
            boxes, confirmed = self._look_deeper(frame, lifted)
        if scene is None and self._gating:
            scene = scene_of(frame)  # the tracking pass lost the face: a pass after all
        self._since_full_scan = 0
        self._followed = boxes[0] if len(boxes) == 1 else None
        self._settled = (
            scene is not None
            and self._scene is not None
            and self._alike(scene, [b for b in (self._scene_box, self._followed) if b is not None])
        )
        self._scene, self._scene_box = scene, self._followed
        self._last_empty = not boxes
        self._last_confirmed = confirmed
        return Found(tuple(boxes), full_scan=True, absence_confirmed=confirmed)

    def _look_deeper(self, frame: RGBImage, lifted: RGBImage) -> tuple[list[FaceBox], bool]:
        """After the usual passes found nobody: the faces the deep pass finds (when due),
        and whether nobody being there is confirmed (see ``Found``)."""
        thumb = scene_of(frame).thumb
        if float(thumb.max() - thumb.min()) < BLANK_RANGE:
            return [], True  # a blank picture: nothing to search
        if self._since_deep is not None and self._since_deep < self.settings.deep_scan_every:
            return [], True  # a deep pass found nobody a moment ago, nor the passes now
        boxes = detect_deep(lifted, self.detection)
        self._since_deep = None if boxes else 0
        return boxes, not boxes

    def _empty_and_unchanged(self, scene: Scene | None) -> bool:
        """Did the last whole-frame search find nobody, in a picture that has not changed
        anywhere since (within ``still_scan_every`` frames)?"""
        if not self._last_empty or scene is None or self._scene is None:
            return False
        if self._since_full_scan + 1 >= self.settings.still_scan_every:
            return False
        return not changed_away_from(
            self._scene, scene, [], margin=0.0, threshold=self.settings.change_threshold
        )

    @property
    def _gating(self) -> bool:
        return self.settings.still_scan_every > self.settings.full_scan_every

    def _still(self, scene: Scene | None, followed: FaceBox) -> bool:
        """May the whole-frame pass due now be skipped (nothing changed elsewhere)?"""
        if scene is None or self._scene is None or self._scene_box is None or not self._settled:
            return False
        if self._since_full_scan + 1 >= self.settings.still_scan_every:
            return False
        return self._alike(scene, [self._scene_box, followed])

    def _alike(self, scene: Scene, faces: list[FaceBox]) -> bool:
        """Is ``scene`` what the last whole-frame pass saw, away from ``faces``?"""
        assert self._scene is not None
        return not changed_away_from(
            self._scene, scene, faces, margin=NEAR_MARGIN, threshold=self.settings.change_threshold
        )

    def reset(self) -> None:
        """Forget the followed face (the next frame gets a whole-frame pass)."""
        self._followed = None
        self._since_full_scan = 0
        self._scene = self._scene_box = None
        self._settled = False
        self._last_empty = self._last_confirmed = False
        self._since_deep = None
