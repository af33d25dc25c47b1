"""Decoding uploaded baseline media into what the engines take.

Audio: whatever a browser records (WebM/Opus, Ogg, WAV, FLAC, MP4/AAC) decoded with PyAV
(FFmpeg) and resampled to 16 kHz mono, the engine's rate. Images go through
:func:`proctoring.imaging.image_to_rgb`, decoded downscaled to what the face engine uses
(the agent decodes the reference photo the same way).
"""

from __future__ import annotations

import io

import av
import numpy as np

TARGET_RATE = 16_000
# A baseline reading is 10-20 s; anything past this is not read (and not kept).
MAX_AUDIO_SECONDS = 60.0


class UndecodableAudio(ValueError):
    """The upload is not audio FFmpeg can read."""


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
