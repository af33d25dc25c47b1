"""Second-speaker detection: another voice heard alongside the enrolled one.

Why this rule: people take turns, so a helper's voice shows up as a *run* of consecutive
1.6 s windows (0.4 s apart) whose similarity to the enrolled voice drops well below the level
the enrolled voice reaches in the same stretch. Requiring (1) the enrolled voice to be present
(the 90th percentile of window similarities at least ``presence``), and (2) a run of at least
``min_run_windows`` windows both ``margin`` below that level and under ``ceiling`` separates
"candidate plus someone else" from "candidate alone" and from "someone else alone" (the latter
is a voice mismatch, not a second speaker).

Measured on 12 s stretches built from LibriSpeech test-other (docs/benchmarks-voices.md): one
speaker alone was flagged in 1% of 100 stretches; two speakers (6 s + 6 s) were found in 98%
of 60, and a 3 s intrusion into 9 s of the enrolled voice in 95%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from proctoring.voice.audio_io import to_float32
from proctoring.voice.ge2e import ANALYSIS_RATE, GE2EEncoder
from proctoring.voice.levels import normalise_volume
from proctoring.voice.vad import detect_speech


@dataclass(frozen=True)
class SecondSpeakerConfig:
    """Thresholds of the second-speaker rule (cosine similarities to the enrolled voice)."""

    presence: float = 0.70  # the enrolled voice counts as present at this level
    presence_quantile: float = 0.9  # level of the stretch = this quantile of its windows
    margin: float = 0.15  # a window this far below the level is a candidate other voice
    ceiling: float = 0.75  # ... provided it is also below this
    min_run_windows: int = 4  # consecutive such windows (about 2.8 s of audio)


@dataclass(frozen=True)
class SecondSpeakerResult:
    """Outcome with the figures behind it."""

    detected: bool
    enrolled_level: float | None
    run_windows: int
    run_similarity: float | None
    reason: str


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` index pairs of the True runs in ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def _split(runs: list[tuple[int, int]], breaks: Sequence[int]) -> list[tuple[int, int]]:
    """The runs cut wherever a new stretch of audio begins (at each index in ``breaks``)."""
    cut: list[tuple[int, int]] = []
    for start, stop in runs:
        edges = [start, *sorted(b for b in breaks if start < b < stop), stop]
        cut += list(pairwise(edges))
    return cut


def detect_second_speaker(
    similarities: np.ndarray,
    config: SecondSpeakerConfig | None = None,
    recent_from: int = 0,
    breaks: Sequence[int] = (),
) -> SecondSpeakerResult:
    """Apply the rule to consecutive window similarities (oldest first).

    Only runs reaching index ``recent_from`` or later count, so a caller analyzing a rolling
    history attributes a detection to the newest audio rather than repeating an old one.
    ``breaks``: indices of windows that begin a new stretch of audio (a speech segment
    after a pause): a run never spans one. The windows of two segments seconds apart are
    not consecutive audio: the quiet tail of one answer and the quiet start of the next
    (breath and room noise the VAD let through, each under the run's length) joined into
    a false "another voice" in the end-to-end test under CPU load. The enrolled voice's
    level is still taken over the whole history.
    """
    config = config or SecondSpeakerConfig()
    sims = np.asarray(similarities, dtype=np.float64)
    if len(sims) < config.min_run_windows + 1:
        return SecondSpeakerResult(False, None, 0, None, "stretch too short to compare voices")
    level = float(np.quantile(sims, config.presence_quantile))
    if level < config.presence:
        return SecondSpeakerResult(False, level, 0, None, "enrolled voice not present")
    low = (sims < level - config.margin) & (sims < config.ceiling)
    best: tuple[int, int] | None = None
    for start, stop in _split(_runs(low), breaks):
        if stop - 1 >= recent_from and (best is None or stop - start > best[1] - best[0]):
            best = (start, stop)
    if best is None:
        return SecondSpeakerResult(False, level, 0, None, "only the enrolled voice")
    length = best[1] - best[0]
    run_similarity = float(sims[best[0] : best[1]].mean())
    if length < config.min_run_windows:
        return SecondSpeakerResult(False, level, length, run_similarity, "only the enrolled voice")
    return SecondSpeakerResult(
        True, level, length, run_similarity, "another voice was heard alongside the enrolled voice"
    )


def second_speaker_in_audio(
    samples: np.ndarray,
    reference: np.ndarray,
    encoder: GE2EEncoder,
    config: SecondSpeakerConfig | None = None,
) -> SecondSpeakerResult:
    """Run the rule over a stretch of audio (16 kHz mono), e.g. 10-15 s of conversation.

    Only the speech (webrtcvad segments, in order) is analyzed: windows of silence or noise
    also score low against the enrolled voice and must not pass for another speaker.
    """
    segments = detect_speech(to_float32(samples))
    if not segments:
        return SecondSpeakerResult(False, None, 0, None, "no speech")
    audio = normalise_volume(np.concatenate([s.samples for s in segments]))
    windows = encoder.embed_utterances([audio], rate=ANALYSIS_RATE)[0]
    return detect_second_speaker(windows.partials @ reference, config)
