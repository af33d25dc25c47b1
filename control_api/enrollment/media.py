"""Decoding uploaded baseline media into what the engines take.

Images: JPEG/PNG (checked by the API's upload rules) to RGB arrays no larger than the
face engine uses, decoded downscaled (JPEG's DCT scaling, Pillow's ``reduce`` for PNG)
so a large photo never exists at full size as an array. Audio: whatever a browser
records (WebM/Opus, Ogg, WAV, FLAC, MP4/AAC) decoded with PyAV (FFmpeg) and resampled
to 16 kHz mono, the engine's rate.
"""

from __future__ import annotations

import io
import math

import av
import numpy as np
from PIL import Image, ImageOps

from proctoring.imaging import RGBImage

TARGET_RATE = 16_000
# A baseline reading is 10-20 s; anything past this is not read (and not kept).
MAX_AUDIO_SECONDS = 60.0
# Longest side of a frame handed to the face engine. It detects faces on the frame
# shrunk to 480 px wide, or 640 px for its small-face pass, and encodes a 150-px chip:
# a face it can find at 640 px is at least 80 px at 1280 (the enrollment gate asks for
# 64), and a webcam face keeps every pixel its chip uses. Larger costs memory, no accuracy.
MAX_FRAME_SIDE = 1280


class UndecodableAudio(ValueError):
    """The upload is not audio FFmpeg can read."""


class UndecodableImage(ValueError):
    """The image's header was read but its pixels cannot be (damaged or truncated)."""


def image_to_rgb(data: bytes, max_side: int = MAX_FRAME_SIDE) -> RGBImage:
    """RGB uint8 array of an uploaded image, rotated as its EXIF orientation says and
    shrunk (never enlarged) so that its longer side is at most ``max_side``.

    A JPEG is decoded at a reduced scale directly (``draft``: 1/2, 1/4 or 1/8, the
    smallest still at least ``max_side``), a PNG is reduced right after decoding; the
    orientation is applied to the small image, which is cheaper and gives the same
    picture. Raises ``UndecodableImage`` for damaged or truncated data.
    """
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


def audio_to_pcm16k(data: bytes) -> np.ndarray:
    """Mono float32 samples at 16 kHz of an uploaded recording (at most a minute)."""
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, ValueError) as exc:
        raise UndecodableAudio(str(exc)) from exc
    try:
        if not container.streams.audio:
            raise UndecodableAudio("no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=TARGET_RATE)
        chunks: list[np.ndarray] = []
        total = 0
        limit = int(MAX_AUDIO_SECONDS * TARGET_RATE)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                samples = out.to_ndarray().reshape(-1)
                chunks.append(samples)
                total += samples.size
            if total >= limit:
                break
        else:
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except av.FFmpegError as exc:
        raise UndecodableAudio(str(exc)) from exc
    finally:
        container.close()
    if not chunks:
        raise UndecodableAudio("no audio samples")
    return np.concatenate(chunks)[:limit].astype(np.float32)
