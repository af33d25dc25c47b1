"""Advice on the candidate's set-up, from a baseline frame: will the LIVE check be unsure?

A baseline photo can pass the enrollment gate (``FaceEnrollConfig.gate``) and still
show a set-up in which the live face check will often abstain: a face a little dark,
small or soft in the photo is darker, smaller or softer still in the live video
(codec, a lower simulcast layer under congestion, movement). Live, a face under the
``clear`` gate of :class:`FaceVerifyConfig` is judged with the wider uncertain band,
and under its ``gate`` not at all (see docs/architecture.md, "One anomaly"). So the
limits here are the live ``clear`` gate's, raised by a margin for that loss, and the
face size is scaled to the frame the agent receives. Backlight is not a gate of its
own: a bright background makes the camera expose for it, and the face sinks under the
luminance limit as soon as the candidate moves; it is named because its fix differs.

Only set-up advice comes out of here (what to change in the room), never a verdict:
the candidate's page shows these words and nothing about proctoring.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from proctoring.face.detect import FaceBox, detect_faces
from proctoring.face.encode import align
from proctoring.face.policy import FaceVerifyConfig, QualityGate
from proctoring.face.quality import FaceQuality
from proctoring.imaging import RGBImage, luma

DARK = "dark"
FAR = "far"
BACKLIT = "backlit"
BLURRED = "blurred"

MESSAGES = {
    BACKLIT: "There is bright light behind you: turn so the light is in front of you.",
    DARK: "Your face looks dark: face a window or turn on a light in front of you.",
    FAR: "You look far from the camera: move closer so your face fills more of the picture.",
    BLURRED: "The picture looks blurred: hold still, and wipe the camera lens or check its focus.",
}
ORDER = (BACKLIT, DARK, FAR, BLURRED)
"""Most useful first: light is the commonest cause and also makes a face look soft."""

# Live frames lose exposure and detail to the codec and to lower simulcast layers: a
# baseline measure this much above the live ``clear`` limit keeps the live one over it.
LIGHT_MARGIN = 1.15
SHARPNESS_MARGIN = 1.25
FACE_SIZE_MARGIN = 1.1
# The agent receives cameras of this height or more at their middle simulcast layer
# (about LIVE_LAYER_HEIGHT pixels high), smaller ones whole (agent.proctor.media).
HIGH_LAYER_MIN_HEIGHT = 600
LIVE_LAYER_HEIGHT = 360
# Backlit: the background around the head at least this many times brighter than the
# face, while the face is not comfortably over the live luminance limit.
BACKLIGHT_RATIO = 1.6
BACKLIGHT_FACE_MARGIN = 1.5


@dataclass(frozen=True)
class Advice:
    """One thing to change in the set-up, as a code (for tests, the page) and words."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def advice(code: str) -> Advice:
    return Advice(code, MESSAGES[code])


@dataclass(frozen=True)
class AdviceLimits:
    """Below these (baseline measures) the live check will often be unsure."""

    min_face_px: float
    min_luminance: float
    min_sharpness: float
    backlit_face_luminance: float
    backlight_ratio: float = BACKLIGHT_RATIO

    @classmethod
    def from_live(cls, live: QualityGate | None = None) -> AdviceLimits:
        """The live ``clear`` gate's limits, each with its margin."""
        gate = live or FaceVerifyConfig().clear
        return cls(
            min_face_px=gate.min_face_px * FACE_SIZE_MARGIN,
            min_luminance=gate.min_luminance * LIGHT_MARGIN,
            min_sharpness=gate.min_sharpness * SHARPNESS_MARGIN,
            backlit_face_luminance=gate.min_luminance * BACKLIGHT_FACE_MARGIN,
        )


def live_face_px(face_px: int, frame_height: int) -> float:
    """The face's width in the frame the agent will judge from this camera."""
    if frame_height >= HIGH_LAYER_MIN_HEIGHT:
        return face_px * LIVE_LAYER_HEIGHT / frame_height
    return float(face_px)


def background_luminance(frame: RGBImage, box: FaceBox) -> float:
    """Mean luma around and above the head (the box widened by half its size on each
    side is left out, and so is everything below the chin: that is the body)."""
    grey = luma(frame)
    height, width = grey.shape
    box_h, box_w = box.bottom - box.top, box.right - box.left
    region = np.ones((min(height, box.bottom), width), dtype=bool)
    top, left = max(0, box.top - box_h // 2), max(0, box.left - box_w // 2)
    region[top:, left : min(width, box.right + box_w // 2)] = False
    if not region.any():
        return 0.0
    return float(grey[: region.shape[0]][region].mean())


def setup_advice(
    frame: RGBImage, box: FaceBox, quality: FaceQuality, limits: AdviceLimits | None = None
) -> list[Advice]:
    """What to change so the live check is sure of this face (empty when nothing).

    ``quality`` is the face's measure on its aligned chip (``align(frame, box).quality``),
    the same numbers the live gate reads. Darkness explains softness, and a small face
    is soft once upsampled, so "blurred" is only said when neither does.
    """
    limits = limits or AdviceLimits.from_live()
    found: list[str] = []
    backlit = (
        quality.luminance < limits.backlit_face_luminance
        and background_luminance(frame, box) >= limits.backlight_ratio * quality.luminance
    )
    if backlit:
        found.append(BACKLIT)
    elif quality.luminance < limits.min_luminance:
        found.append(DARK)
    if live_face_px(quality.face_px, frame.shape[0]) < limits.min_face_px:
        found.append(FAR)
    if not found and quality.sharpness < limits.min_sharpness:
        found.append(BLURRED)
    return [advice(code) for code in found]


def frame_advice(frame: RGBImage, limits: AdviceLimits | None = None) -> list[Advice]:
    """Detect and measure the face of one baseline frame, then advise on it.

    A frame with no face found and little light gets the "dark" advice (too dark to
    find a face is the commonest reason); several faces get none (the enrollment's own
    reason says what to do).
    """
    limits = limits or AdviceLimits.from_live()
    boxes = detect_faces(frame)
    if not boxes:
        step = max(1, frame.shape[1] // 160)
        dark = float(luma(frame[::step, ::step]).mean()) < limits.min_luminance
        return [advice(DARK)] if dark else []
    if len(boxes) > 1:
        return []
    return setup_advice(frame, boxes[0], align(frame, boxes[0]).quality, limits)


def baseline_advice(per_frame: Iterable[list[Advice]]) -> list[Advice]:
    """The advice that holds on at least half of the frames, most useful first.

    One odd frame (a blink, a turn of the head) says little about the set-up; what most
    frames show is what the live camera will show.
    """
    frames = list(per_frame)
    if not frames:
        return []
    counts = Counter(code for items in frames for code in {item.code for item in items})
    return [advice(code) for code in ORDER if 2 * counts[code] >= len(frames)]
