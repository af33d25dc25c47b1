"""Real face photos for the face tests (copies from ../shared/data/faces, MIT).

The copies were downscaled to at most 560 px to keep the repository small;
the degradations the tests need (dark, blurred, small) are made from them
here, at test time, so every test image starts from a real photo.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from proctoring.imaging import RGBImage, load_rgb, resize

FACES = Path(__file__).resolve().parent.parent / "data" / "faces"


def photo(name: str) -> RGBImage:
    return load_rgb(FACES / name)


def darkened(frame: RGBImage, gain: float) -> RGBImage:
    return (frame.astype(np.float64) * gain).astype(np.uint8)


def blurred(frame: RGBImage, radius: float) -> RGBImage:
    return np.asarray(Image.fromarray(frame).filter(ImageFilter.GaussianBlur(radius)))


def on_webcam_canvas(frame: RGBImage, scale: float) -> RGBImage:
    """Shrink a photo and put it in a grey 640x480 frame (a distant candidate)."""
    small = resize(frame, scale)
    canvas = np.full((480, 640, 3), 96, dtype=np.uint8)
    height, width = small.shape[:2]
    canvas[100 : 100 + height, 200 : 200 + width] = small
    return canvas


def without_face() -> RGBImage:
    """A real photo's corner with no face in it (Obama's suit and the background)."""
    return photo("obama.jpg")[420:, :200]


def webcam_frame(
    picture: RGBImage, shift: tuple[int, int] = (0, 0), scale: float = 1.0
) -> RGBImage:
    """Put a photo in a grey 640x480 frame, centred and moved by ``shift`` (down, right):
    a seated candidate as a webcam sees them, moving a little from frame to frame."""
    small = picture if scale == 1.0 else resize(picture, scale)
    canvas = np.full((480, 640, 3), 96, dtype=np.uint8)
    height, width = min(small.shape[0], 480), min(small.shape[1], 640)
    top = min(max(0, (480 - height) // 2 + shift[0]), 480 - height)
    left = min(max(0, (640 - width) // 2 + shift[1]), 640 - width)
    canvas[top : top + height, left : left + width] = small[:height, :width]
    return canvas


def pasted(frame: RGBImage, picture: RGBImage, top: int, left: int) -> RGBImage:
    """``frame`` with ``picture`` pasted at (top, left): someone else in view."""
    result = frame.copy()
    height = min(picture.shape[0], frame.shape[0] - top)
    width = min(picture.shape[1], frame.shape[1] - left)
    result[top : top + height, left : left + width] = picture[:height, :width]
    return result
