"""Image helpers shared by the face pipeline and its benchmarks.

Frames reach the engine as RGB ``uint8`` arrays of shape (height, width, 3);
these helpers load files into that form and resize them with Pillow, so the
rest of the code never has to care about modes (RGBA, palette, greyscale).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

RGBImage = NDArray[np.uint8]


def load_rgb(path: str | Path) -> RGBImage:
    """Read an image file as an RGB uint8 array, honouring its EXIF orientation."""
    with Image.open(path) as image:
        upright = ImageOps.exif_transpose(image)
        return np.asarray(upright.convert("RGB"), dtype=np.uint8)


def as_rgb(frame: NDArray[np.generic]) -> RGBImage:
    """Check a frame's shape and return it as a C-contiguous uint8 RGB array."""
    if frame.ndim != 3 or frame.shape[2] not in (3, 4):
        raise ValueError("a frame must be an RGB array of shape (height, width, 3)")
    return np.ascontiguousarray(frame[:, :, :3], dtype=np.uint8)


def resize(frame: RGBImage, scale: float) -> RGBImage:
    """Resize an RGB frame by ``scale`` with an anti-aliasing filter."""
    height, width = frame.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(frame).resize(size, Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.uint8)


def fit_within(frame: RGBImage, max_width: int, max_height: int) -> RGBImage:
    """Shrink a frame (never enlarge it) so that it fits in the given box."""
    height, width = frame.shape[:2]
    scale = min(max_width / width, max_height / height, 1.0)
    return frame if scale >= 1.0 else resize(frame, scale)


def luma(frame: RGBImage) -> NDArray[np.float32]:
    """ITU-R BT.601 luma of an RGB frame, as float32 in 0..255."""
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    result: NDArray[np.float32] = frame.astype(np.float32) @ weights
    return result
