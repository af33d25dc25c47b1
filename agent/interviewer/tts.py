"""Local text-to-speech for the offline interviewer: espeak-ng, resampled to 48 kHz.

espeak-ng (a Debian package) needs no network and no model download, which is what lets
``proctorai up`` conduct a spoken interview with no account at all. Its voice is
robotic but clear; the realtime interviewer replaces it when an OpenAI key is set.
"""

from __future__ import annotations

import asyncio
import io
import shutil
from fractions import Fraction

import numpy as np
import soundfile
from numpy.typing import NDArray
from scipy.signal import resample_poly

OUTPUT_RATE = 48000


class SpeechSynthesisError(RuntimeError):
    """espeak-ng is missing or failed."""


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def _to_48k(wav: bytes) -> NDArray[np.int16]:
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float64", always_2d=True)
    mono = samples.mean(axis=1)
    ratio = Fraction(OUTPUT_RATE, int(rate))
    resampled = resample_poly(mono, ratio.numerator, ratio.denominator)
    return np.clip(resampled * 32767.0, -32768, 32767).astype(np.int16)


async def synthesize(
    text: str, *, voice: str = "en-us", words_per_minute: int = 160
) -> NDArray[np.int16]:
    """Speak ``text`` into 48 kHz mono int16 samples (subprocess; resampling in a thread)."""
    executable = shutil.which("espeak-ng")
    if executable is None:
        raise SpeechSynthesisError("espeak-ng is not installed")
    process = await asyncio.create_subprocess_exec(
        executable,
        "--stdout",
        "-v",
        voice,
        "-s",
        str(words_per_minute),
        "--stdin",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    wav, _ = await process.communicate(text.encode("utf-8"))
    if process.returncode != 0 or not wav:
        raise SpeechSynthesisError(f"espeak-ng exited with code {process.returncode}")
    return await asyncio.to_thread(_to_48k, wav)
