"""Image helpers shared by the face pipeline, its benchmarks, the API and the agent.

Frames reach the engine as RGB ``uint8`` arrays of shape (height, width, 3);
these helpers load files into that form and resize them with Pillow, so the
rest of the code never has to care about modes (RGBA, palette, greyscale).
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFile, ImageOps

RGBImage = NDArray[np.uint8]

# Longest side of a frame handed to the face engine. It detects faces on the frame
# brought to 640 px wide (upsampled for its small-face pass), and encodes a 150-px chip:
# a face it can find at 640 px is at least 80 px at 1280 (the enrollment gate asks for
# 64), and a webcam face keeps every pixel its chip uses. Larger costs memory, no accuracy.
MAX_FRAME_SIDE = 1280


class UndecodableImage(ValueError):
    """The image's header was read but its pixels cannot be (damaged or truncated)."""


def image_to_rgb(data: bytes, max_side: int = MAX_FRAME_SIDE) -> RGBImage:
    """RGB uint8 array of an uploaded image, rotated as its EXIF orientation says and
    shrunk (never enlarged) so that its longer side is at most ``max_side``.

    A JPEG is decoded at a reduced scale directly (``draft``: 1/2, 1/4 or 1/8, the
    smallest still at least ``max_side``), a PNG is reduced right after decoding; the
    orientation is applied to the small image, which is cheaper and gives the same
    picture. Raises ``UndecodableImage`` for damaged or truncated data, even when a
    library made Pillow lenient process-wide (``face_recognition`` does at import).
    """
    lenient = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            scale = max_side / max(width, height)
            if scale < 1.0:
                image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
                image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
            upright = ImageOps.exif_transpose(image)
            return np.asarray(upright.convert("RGB"), dtype=np.uint8)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise UndecodableImage(str(exc)) from exc
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


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
