"""Turn-taking on real speech, and the interviewer's local voice (espeak-ng)."""

from __future__ import annotations

import asyncio
import time
from fractions import Fraction

import numpy as np
import soundfile
from scipy.signal import resample_poly

from agent.interviewer.listener import FRAME_BYTES, TurnListener
from agent.interviewer.tts import OUTPUT_RATE, synthesize
from proctorai.sim.media import CANDIDATE_SPEAKER, speaker_files

FRAME = FRAME_BYTES // 2


def _speech_16k() -> np.ndarray:
    samples, rate = soundfile.read(str(speaker_files(CANDIDATE_SPEAKER)[0]), dtype="int16")
    assert rate == 16000
    return samples


async def _play(listener: TurnListener, samples: np.ndarray, start: float) -> None:
    """Feed frames at real time so the listener's clock matches the audio."""
    for index, offset in enumerate(range(0, samples.size - FRAME + 1, FRAME)):
        listener.feed(samples[offset : offset + FRAME].tobytes(), start + index * 0.03)
        if index % 10 == 0:
            await asyncio.sleep(0.3)


async def test_an_answer_is_timed_from_first_speech_to_the_final_silence() -> None:
    listener = TurnListener()
    speech = _speech_16k()[: 16000 * 3]
    silence = np.zeros(16000, dtype=np.int16)
    start = time.time()

    async def answer() -> None:
        await asyncio.sleep(0.3)
        await _play(listener, np.concatenate([silence, speech, silence]), time.time())

    task = asyncio.create_task(answer())
    timing = await listener.wait_for_answer(max_seconds=30, no_speech_timeout=10, end_silence=0.5)
    await task
    assert timing is not None
    assert 1.5 < timing.speech_seconds <= 3.1
    assert start + 0.9 < timing.started_at < start + 2.0  # after the leading second of silence
    assert timing.ended_at > timing.started_at + 1.5


async def test_silence_alone_is_no_answer() -> None:
    listener = TurnListener()
    silence = np.zeros(16000 * 2, dtype=np.int16)
    task = asyncio.create_task(_play(listener, silence, time.time()))
    timing = await listener.wait_for_answer(max_seconds=30, no_speech_timeout=1.0, end_silence=0.5)
    await task
    assert timing is None
    assert listener.speech_seconds == 0


async def test_espeak_speaks_a_question_at_48k() -> None:
    samples = await synthesize("Tell me about a project you are proud of.")
    assert samples.dtype == np.int16
    seconds = samples.size / OUTPUT_RATE
    assert 1.5 < seconds < 6
    # it is speech: the VAD hears it once brought to 16 kHz
    ratio = Fraction(16000, OUTPUT_RATE)
    pcm = resample_poly(samples.astype(np.float64), ratio.numerator, ratio.denominator)
    listener = TurnListener()
    frames = pcm.astype(np.int16)
    for index, offset in enumerate(range(0, frames.size - FRAME + 1, FRAME)):
        listener.feed(frames[offset : offset + FRAME].tobytes(), index * 0.03)
    assert listener.speech_seconds > 1.0
