"""Second-speaker detection on real voices: LibriSpeech concatenations and a real dialogue."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from proctoring.voice.audio_io import SAMPLE_RATE, load_audio
from proctoring.voice.enroll import enroll_voice
from proctoring.voice.ge2e import ANALYSIS_RATE, GE2EEncoder
from proctoring.voice.levels import normalise_volume
from proctoring.voice.second_speaker import detect_second_speaker, second_speaker_in_audio

DATA = Path(__file__).parent / "data" / "voices"


@pytest.fixture(scope="module")
def encoder() -> GE2EEncoder:
    return GE2EEncoder.load()


@pytest.fixture(scope="module")
def reference(encoder: GE2EEncoder) -> np.ndarray:
    return enroll_voice(load_audio(DATA / "librispeech" / "1688-142285-0000.flac"), encoder).vector


def test_enrolled_voice_alone_is_not_flagged(encoder: GE2EEncoder, reference: np.ndarray) -> None:
    alone = load_audio(DATA / "librispeech" / "1688-142285-0001.flac")  # 12.6 s
    result = second_speaker_in_audio(alone, reference, encoder)
    assert not result.detected, result


def test_second_librispeech_speaker_is_detected(
    encoder: GE2EEncoder, reference: np.ndarray
) -> None:
    candidate = load_audio(DATA / "librispeech" / "1688-142285-0001.flac")[: 6 * SAMPLE_RATE]
    helper = load_audio(DATA / "librispeech" / "2609-156975-0000.flac")  # 4.5 s
    result = second_speaker_in_audio(np.concatenate([candidate, helper]), reference, encoder)
    assert result.detected, result
    assert result.run_similarity is not None and result.run_similarity < 0.6


def test_stranger_alone_is_a_mismatch_not_a_second_speaker(
    encoder: GE2EEncoder, reference: np.ndarray
) -> None:
    stranger = load_audio(DATA / "librispeech" / "2609-156975-0000.flac")
    result = second_speaker_in_audio(stranger, reference, encoder)
    assert not result.detected
    assert result.reason == "enrolled voice not present"


def _solo_turns(rttm: Path, speaker: str) -> list[tuple[float, float]]:
    """Stretches (>= 0.5 s) where only ``speaker`` talks, from who-spoke-when labels."""
    turns = []
    for line in rttm.read_text().splitlines():
        fields = line.split()
        start, length = float(fields[3]), float(fields[4])
        turns.append((start, start + length, fields[7]))
    end = max(t[1] for t in turns)
    grid = np.arange(0.0, end, 0.01)
    own = np.zeros(len(grid), dtype=bool)
    other = np.zeros(len(grid), dtype=bool)
    for start, stop, who in turns:
        inside = (grid >= start) & (grid < stop)
        if who == speaker:
            own |= inside
        else:
            other |= inside
    mask = np.concatenate([[0], (own & ~other).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(mask))
    return [
        (grid[a], grid[b - 1])
        for a, b in zip(edges[0::2], edges[1::2], strict=True)
        if grid[b - 1] - grid[a] >= 0.5
    ]


def test_real_conversation(encoder: GE2EEncoder) -> None:
    audio = load_audio(DATA / "multi-speaker" / "sample.flac")
    turns = _solo_turns(DATA / "multi-speaker" / "sample.rttm", "speaker91")
    assert len(turns) == 4
    *earlier, last = turns  # enrol on the earlier solo turns, keep the last one unseen
    enrolled = np.concatenate(
        [audio[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)] for a, b in earlier]
    )
    reference = encoder.embed_utterances([normalise_volume(enrolled)], rate=ANALYSIS_RATE)[
        0
    ].embedding
    whole = second_speaker_in_audio(audio, reference, encoder)
    assert whole.detected, whole
    unseen_solo = audio[int(last[0] * SAMPLE_RATE) : int(last[1] * SAMPLE_RATE)]
    solo = second_speaker_in_audio(unseen_solo, reference, encoder)
    assert not solo.detected, solo
    assert solo.enrolled_level is not None and solo.enrolled_level > 0.8


def test_rule_needs_a_sustained_run_reaching_the_recent_windows() -> None:
    enrolled = [0.9] * 10
    glitch = [*enrolled, 0.4, 0.4, 0.4, *enrolled]  # 3 low windows: too brief
    assert not detect_second_speaker(np.array(glitch)).detected
    sustained = [*enrolled, 0.4, 0.4, 0.4, 0.4, 0.4, 0.9]
    assert detect_second_speaker(np.array(sustained)).detected
    # The same run, but older than the windows being attributed, is not reported again.
    assert not detect_second_speaker(np.array(sustained), recent_from=len(sustained) - 1).detected
    assert not detect_second_speaker(np.array([0.5] * 20)).detected  # enrolled voice absent


def test_a_run_never_spans_a_pause() -> None:
    """Low windows at the end of one segment and the start of the next, seconds apart,
    are not one stretch of another voice; the same windows in one segment are."""
    enrolled = [0.9] * 10
    low = [0.6, 0.6, 0.6, 0.6, 0.6]
    sims = np.array([*enrolled, *low, *enrolled])
    assert detect_second_speaker(sims).detected
    assert not detect_second_speaker(sims, breaks=[12]).detected  # 2 + 3 low windows
    assert detect_second_speaker(sims, breaks=[0, 10]).detected  # the run starts a segment
