"""Fake camera and microphone files for Chromium, made from real faces and real speech.

Chromium's ``--use-file-for-fake-video-capture`` plays a Y4M file (raw YUV 4:2:0 frames
behind a one-line header) in a loop, from its first frame each time the camera is
opened; ``--use-file-for-fake-audio-capture`` plays a WAV file in a loop. The video is
a sequence of still photos, each held for some seconds, letterboxed on a neutral grey
like a webcam picture; the audio is LibriSpeech utterances of one speaker at 48 kHz.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile
from numpy.typing import NDArray
from PIL import Image
from scipy.signal import resample_poly

REPO_ROOT = Path(__file__).resolve().parents[2]
FACES = REPO_ROOT / "tests" / "data" / "faces"
VOICES = REPO_ROOT / "tests" / "data" / "voices" / "librispeech"
WIDTH = 640
HEIGHT = 480
BACKGROUND = (118, 124, 131)
AUDIO_RATE = 48000


@dataclass(frozen=True)
class Shot:
    """One photo held on camera for ``seconds``."""

    photo: Path
    seconds: float


def frame_rgb(photo: Path) -> NDArray[np.uint8]:
    """The photo scaled to fit 640x480 and centred on a grey background."""
    canvas = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    with Image.open(photo) as image:
        picture = image.convert("RGB")
        picture.thumbnail((WIDTH, HEIGHT))
        canvas.paste(picture, ((WIDTH - picture.width) // 2, (HEIGHT - picture.height) // 2))
    return np.asarray(canvas, dtype=np.uint8)


def rgb_to_i420(rgb: NDArray[np.uint8]) -> bytes:
    """Full-range BT.601 YUV 4:2:0 planes (Y4M ``C420jpeg``) of an RGB frame."""
    pixels = rgb.astype(np.float32)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = -0.168736 * r - 0.331264 * g + 0.5 * b + 128.0
    v = 0.5 * r - 0.418688 * g - 0.081312 * b + 128.0

    def half(plane: NDArray[np.float32]) -> NDArray[np.float32]:
        h, w = plane.shape
        return plane.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))

    planes = (y, half(u), half(v))
    return b"".join(np.clip(np.rint(p), 0, 255).astype(np.uint8).tobytes() for p in planes)


def write_y4m(path: Path, shots: list[Shot], fps: int = 5) -> float:
    """Write the shots as a Y4M video; returns its length in seconds."""
    frames = 0
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for shot in shots:
            frame = b"FRAME\n" + rgb_to_i420(frame_rgb(shot.photo))
            count = round(shot.seconds * fps)
            for _ in range(count):
                out.write(frame)
            frames += count
    return frames / fps


def write_speech_wav(path: Path, utterances: list[Path], gap_seconds: float = 0.4) -> float:
    """Concatenate utterances (with short pauses) into a 48 kHz mono 16-bit WAV."""
    pieces: list[NDArray[np.float64]] = []
    for utterance in utterances:
        samples, rate = soundfile.read(str(utterance), dtype="float64", always_2d=True)
        ratio = Fraction(AUDIO_RATE, int(rate))
        pieces.append(resample_poly(samples.mean(axis=1), ratio.numerator, ratio.denominator))
        pieces.append(np.zeros(int(gap_seconds * AUDIO_RATE)))
    audio = np.concatenate(pieces)
    soundfile.write(str(path), audio, AUDIO_RATE, subtype="PCM_16")
    return audio.size / AUDIO_RATE


def candidate_speech() -> list[Path]:
    """The three shipped utterances of LibriSpeech speaker 1688 (about 30 s)."""
    return sorted(VOICES.glob("1688-*.flac"))
