"""Real media for simulated participants: camera frames from face photos, speech from FLACs.

Frames are 640x480 RGBA (what a webcam track carries), each photo letterboxed onto a
neutral background; "empty" is that background alone (nobody in view). Speech is real
LibriSpeech audio resampled to 48 kHz mono int16, the rate of a WebRTC microphone.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile
from numpy.typing import NDArray
from PIL import Image
from scipy.signal import resample_poly

from proctorai.resources import MEDIA_DIR

FRAME_WIDTH = 640
FRAME_HEIGHT = 480
AUDIO_RATE = 48000
BACKGROUND = (118, 124, 131)

TEST_MEDIA = MEDIA_DIR
"""Small real faces and voices shipped with the repository (licenses beside them)."""

CANDIDATE_SPEAKER = "1688"
OTHER_SPEAKER = "2414"


def face_path(name: str) -> Path:
    return TEST_MEDIA / "faces" / name


def frame_from_image(path: Path | None, scale: float = 1.0) -> bytes:
    """A 640x480 RGBA frame with the photo (scaled to fit, centred); None: empty scene.

    ``scale`` below 1 shows the photo smaller, as if the person sat further back (the
    demo makes extra baseline pictures from one photo that way)."""
    return scene_image([path] if path is not None else [], scale).convert("RGBA").tobytes()


def scene_image(paths: list[Path], scale: float = 1.0) -> Image.Image:
    """A 640x480 RGB scene with the photos read from ``paths`` (see :func:`compose_scene`)."""
    return compose_scene([Image.open(path).convert("RGB") for path in paths], scale)


def compose_scene(photos: list[Image.Image], scale: float = 1.0) -> Image.Image:
    """A 640x480 RGB scene: the photos side by side (each fitted into its share of the
    width, scaled by ``scale``, centred in it) on the neutral background; no photo: an
    empty scene. Two photos make "two people in view" from any two faces."""
    canvas = Image.new("RGB", (FRAME_WIDTH, FRAME_HEIGHT), BACKGROUND)
    if not photos:
        return canvas
    slot = FRAME_WIDTH // len(photos)
    for index, original in enumerate(photos):
        photo = original.convert("RGB")
        photo.thumbnail((max(1, int(slot * scale)), max(1, int(FRAME_HEIGHT * scale))))
        left = index * slot + (slot - photo.width) // 2
        canvas.paste(photo, (left, (FRAME_HEIGHT - photo.height) // 2))
    return canvas


def load_speech_48k(paths: list[Path], gap_seconds: float = 0.0) -> NDArray[np.int16]:
    """Utterances concatenated (optionally with silent gaps), as 48 kHz mono int16."""
    pieces: list[NDArray[np.float64]] = []
    for path in paths:
        samples, rate = soundfile.read(str(path), dtype="float64", always_2d=True)
        mono = samples.mean(axis=1)
        ratio = Fraction(AUDIO_RATE, int(rate))
        pieces.append(resample_poly(mono, ratio.numerator, ratio.denominator))
        if gap_seconds > 0:
            pieces.append(np.zeros(int(gap_seconds * AUDIO_RATE)))
    joined = np.concatenate(pieces) if pieces else np.zeros(0)
    return np.clip(joined * 32767.0, -32768, 32767).astype(np.int16)


def speaker_files(speaker: str, count: int = 10) -> list[Path]:
    """The shipped utterances of one LibriSpeech speaker."""
    return sorted((TEST_MEDIA / "voices").glob(f"{speaker}-*.flac"))[:count]
