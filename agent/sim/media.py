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

FRAME_WIDTH = 640
FRAME_HEIGHT = 480
AUDIO_RATE = 48000
BACKGROUND = (118, 124, 131)

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_MEDIA = REPO_ROOT / "demo" / "media"
"""Small real faces and voices shipped with the repository (licenses beside them)."""

CANDIDATE_SPEAKER = "1688"
OTHER_SPEAKER = "2414"


def face_path(name: str) -> Path:
    return TEST_MEDIA / "faces" / name


def frame_from_image(path: Path | None) -> bytes:
    """A 640x480 RGBA frame with the photo (scaled to fit, centred); None: empty scene."""
    canvas = Image.new("RGB", (FRAME_WIDTH, FRAME_HEIGHT), BACKGROUND)
    if path is not None:
        photo = Image.open(path).convert("RGB")
        photo.thumbnail((FRAME_WIDTH, FRAME_HEIGHT))
        canvas.paste(photo, ((FRAME_WIDTH - photo.width) // 2, (FRAME_HEIGHT - photo.height) // 2))
    return canvas.convert("RGBA").tobytes()


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
