"""The streaming analyzer fed like the agent feeds it: small int16 frames of real speech."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from proctoring.voice.analyzer import VoiceAnalyzer, VoiceConfig, VoiceObservation
from proctoring.voice.audio_io import SAMPLE_RATE, load_audio, to_int16
from proctoring.voice.enroll import VoiceEnrollment, enroll_voice
from proctoring.voice.ge2e import GE2EEncoder
from proctoring.voice.verify import Verdict

DATA = Path(__file__).parent / "data" / "voices" / "librispeech"
RECEIVED = Path(__file__).parent / "data" / "voices" / "received"
FRAME = 320  # 20 ms, as a WebRTC audio frame


@pytest.fixture(scope="module")
def encoder() -> GE2EEncoder:
    return GE2EEncoder.load()


@pytest.fixture(scope="module")
def enrollment(encoder: GE2EEncoder) -> VoiceEnrollment:
    return enroll_voice(load_audio(DATA / "1688-142285-0000.flac"), encoder)


def _stream(analyzer: VoiceAnalyzer, audio: np.ndarray) -> list[VoiceObservation]:
    pcm = to_int16(audio)
    observations: list[VoiceObservation] = []
    for start in range(0, len(pcm), FRAME):
        observations += analyzer.push(pcm[start : start + FRAME])
    return observations + analyzer.flush()


def test_enrolled_speaker_stream(encoder: GE2EEncoder, enrollment: VoiceEnrollment) -> None:
    audio = load_audio(DATA / "1688-142285-0001.flac")
    observations = _stream(VoiceAnalyzer(enrollment, encoder=encoder), audio)
    assert observations
    judged = [o for o in observations if o.verdict is not Verdict.UNCERTAIN]
    assert judged and all(o.verdict is Verdict.SAME for o in judged)
    assert not any(o.second_speaker for o in observations)
    starts = [o.start for o in observations]
    assert starts == sorted(starts)
    assert observations[-1].end <= len(audio) / SAMPLE_RATE + 1e-6


def test_helper_joining_is_flagged(encoder: GE2EEncoder, enrollment: VoiceEnrollment) -> None:
    candidate = load_audio(DATA / "1688-142285-0001.flac")[: 6 * SAMPLE_RATE]
    pause = np.zeros(SAMPLE_RATE, dtype=np.float32)
    helper = load_audio(DATA / "2609-156975-0000.flac")
    observations = _stream(
        VoiceAnalyzer(enrollment, encoder=encoder), np.concatenate([candidate, pause, helper])
    )
    assert observations[0].verdict is Verdict.SAME
    assert not observations[0].second_speaker
    helper_part = [o for o in observations if o.start >= 6.5]
    assert any(o.verdict is Verdict.DIFFERENT for o in helper_part)
    assert any(o.second_speaker for o in helper_part)
    flagged = next(o for o in helper_part if o.second_speaker)
    assert "another voice" in flagged.reason
    json.dumps(flagged.to_dict())  # evidence for the event log must be plain JSON


def test_silence_yields_no_observations(encoder: GE2EEncoder, enrollment: VoiceEnrollment) -> None:
    analyzer = VoiceAnalyzer(enrollment, encoder=encoder)
    assert _stream(analyzer, np.zeros(5 * SAMPLE_RATE, dtype=np.float32)) == []


def test_history_is_bounded(encoder: GE2EEncoder, enrollment: VoiceEnrollment) -> None:
    config = VoiceConfig(history_windows=8)
    analyzer = VoiceAnalyzer(enrollment, config, encoder=encoder)
    _stream(analyzer, load_audio(DATA / "1688-142285-0001.flac"))
    assert len(analyzer._history) == 8


def test_enrollment_from_another_model_is_refused(
    encoder: GE2EEncoder, enrollment: VoiceEnrollment
) -> None:
    foreign = VoiceEnrollment(enrollment.embedding, "other-model", 10.0, -20.0)
    with pytest.raises(ValueError):
        VoiceAnalyzer(foreign, encoder=encoder)


def test_restart_stream_drops_the_open_segment(
    encoder: GE2EEncoder, enrollment: VoiceEnrollment
) -> None:
    """Audio lost mid-speech: what came before the gap is never judged with what follows."""
    speech = to_int16(load_audio(DATA / "1688-142285-0001.flac")[: 4 * SAMPLE_RATE])
    silence = np.zeros(2 * SAMPLE_RATE, dtype=np.int16)
    analyzer = VoiceAnalyzer(enrollment, encoder=encoder)
    before = analyzer.push(speech[: 3 * SAMPLE_RATE])  # still speaking: segment open
    analyzer.restart_stream()
    after = analyzer.push(np.concatenate([speech[3 * SAMPLE_RATE :], silence]))
    after += analyzer.flush()
    # without the restart the open 3 s would end in one segment with the last second;
    # after it, only the audio pushed after the gap (1 s of speech) is judged,
    # with times counted from the restart
    assert all(o.end <= 3.0 + 1e-6 for o in after)
    assert after and all(o.speech_seconds <= 1.5 for o in after)  # VAD hangover included
    control = VoiceAnalyzer(enrollment, encoder=encoder)
    joined = control.push(np.concatenate([speech, silence])) + control.flush()
    assert not before and any(o.speech_seconds > 2.5 for o in joined)


def test_one_speaker_as_received_in_a_loaded_room_is_not_a_second_speaker(
    encoder: GE2EEncoder, enrollment: VoiceEnrollment
) -> None:
    """The candidate's answers as the agent received them (Opus, CPU load): two answers
    seconds apart, each opening on quiet breath and room noise that scores low against
    the enrolled voice. Joined across the pause those windows made a run long enough for
    "another voice"; a run never spans a pause now, and the enrolled voice alone is heard."""
    audio = load_audio(RECEIVED / "1688_room_under_load.flac")
    observations = _stream(VoiceAnalyzer(enrollment, encoder=encoder), audio)
    assert len(observations) >= 2
    assert not any(o.second_speaker for o in observations), [o.reason for o in observations]
    assert any(o.verdict is Verdict.SAME for o in observations)
