"""The adapters from the biometric engines to monitor readings, on real faces and voices."""

from __future__ import annotations

import numpy as np
import soundfile

from agent.proctor.engines import LIVE, REFERENCE_PHOTO, LiveFaceSignals, LiveVoiceSignals
from contracts.anomaly import AnomalyType
from proctorai.sim.media import (
    CANDIDATE_SPEAKER,
    OTHER_SPEAKER,
    face_path,
    frame_from_image,
    speaker_files,
)
from proctoring.smoothing import Reading


def _frame(name: str | None) -> np.ndarray:
    rgba = np.frombuffer(frame_from_image(face_path(name) if name else None), dtype=np.uint8)
    return rgba.reshape(480, 640, 4)[:, :, :3].copy()


def _by_signal(readings: list) -> dict[AnomalyType, Reading]:
    return {r.signal: r.reading for r in readings}


def test_face_adapter_enrolls_live_then_flags_another_person() -> None:
    adapter = LiveFaceSignals(None, live_frames=3)
    genuine = _frame("obama.jpg")
    first = _by_signal(adapter.analyze(genuine, 1.0))
    assert first[AnomalyType.FACE_MISMATCH] is Reading.UNCERTAIN  # nobody enrolled yet
    assert first[AnomalyType.NO_FACE] is Reading.CLEAN
    adapter.analyze(genuine, 1.5)
    assert not adapter.enrolled
    adapter.analyze(genuine, 1.6)
    assert adapter.enrolled and adapter.enrolled_at == 1.6

    assert (
        _by_signal(adapter.analyze(_frame("obama2.jpg"), 2.0))[AnomalyType.FACE_MISMATCH]
        is Reading.CLEAN
    )
    impostor = adapter.analyze(_frame("biden.jpg"), 2.5)
    assert _by_signal(impostor)[AnomalyType.FACE_MISMATCH] is Reading.ANOMALOUS
    assert impostor[0].evidence["enrollment"] == LIVE
    assert float(impostor[0].evidence["distance"]) > 0.6  # type: ignore[arg-type]

    two = _by_signal(adapter.analyze(_frame("two_people.jpg"), 3.0))
    assert two[AnomalyType.MULTIPLE_FACES] is Reading.ANOMALOUS
    assert two[AnomalyType.FACE_MISMATCH] is Reading.CLEAN  # the candidate is one of them
    empty = _by_signal(adapter.analyze(_frame(None), 3.5))
    assert empty[AnomalyType.NO_FACE] is Reading.ANOMALOUS
    assert empty[AnomalyType.FACE_MISMATCH] is Reading.UNCERTAIN


def test_live_enrollment_is_checked_against_the_reference_photo() -> None:
    """With no baseline (a deployment allowing live enrollment), whoever is on camera first
    must still look like the recruiter's reference photo (issue 11, item 1): an impostor
    from the first frame is judged against the reference photo instead of enrolled."""
    reference = _frame("obama2.jpg")
    adapter = LiveFaceSignals(None, live_frames=3, reference=reference)
    impostor = _frame("biden.jpg")
    for t in (1.0, 1.5, 2.0):
        adapter.analyze(impostor, t)
    assert adapter.enrolled
    assert adapter.enrollment_source == REFERENCE_PHOTO
    judged = adapter.analyze(impostor, 2.5)
    assert _by_signal(judged)[AnomalyType.FACE_MISMATCH] is Reading.ANOMALOUS
    assert judged[0].evidence["enrollment"] == REFERENCE_PHOTO

    genuine = LiveFaceSignals(None, live_frames=3, reference=reference)
    for t in (1.0, 1.5, 2.0):
        genuine.analyze(_frame("obama.jpg"), t)
    assert genuine.enrolled and genuine.enrollment_source == LIVE
    seen = genuine.analyze(_frame("obama.jpg"), 2.5)
    assert _by_signal(seen)[AnomalyType.FACE_MISMATCH] is Reading.CLEAN
    assert seen[0].evidence["reference_checked"] is True


def _speech(speaker: str) -> list[np.ndarray]:
    return [soundfile.read(str(p), dtype="int16")[0] for p in speaker_files(speaker)]


def _feed(adapter: LiveVoiceSignals, pcm: np.ndarray, t0: float) -> list:
    readings = []
    silence = np.zeros(16000, dtype=np.int16)
    audio = np.concatenate([pcm, silence])
    for offset in range(0, audio.size, 16000):
        chunk = audio[offset : offset + 16000]
        readings += adapter.push(chunk, t0 + (offset + chunk.size) / 16000)
    return readings


def test_voice_adapter_enrolls_from_live_speech_then_flags_another_voice() -> None:
    adapter = LiveVoiceSignals(None, speech_seconds=8.0)
    candidate = _speech(CANDIDATE_SPEAKER)
    t = 1000.0
    assert adapter.push(candidate[0][: 16000 * 5], t + 5) == []  # 5 s: not enough yet
    assert adapter.enrolled_at is None
    _feed(adapter, candidate[0][16000 * 5 :], t + 5)
    t += candidate[0].size / 16000 + 1
    assert adapter.enrolled_at is not None  # enrolled on the first ~10 s of speech

    same = _feed(adapter, candidate[3], t)
    t += candidate[3].size / 16000 + 1
    assert same and {r.reading for r in same if r.signal is AnomalyType.VOICE_MISMATCH} == {
        Reading.CLEAN
    }
    other = _feed(adapter, _speech(OTHER_SPEAKER)[0], t)
    mismatch = [r for r in other if r.signal is AnomalyType.VOICE_MISMATCH]
    assert mismatch and all(r.reading is Reading.ANOMALOUS for r in mismatch)
    assert all(r.t > t for r in mismatch)  # epoch times follow the stream
    assert mismatch[0].evidence["enrollment"] == LIVE


async def test_the_baseline_the_api_accepted_is_used_as_is() -> None:
    """The API stores the baseline's embeddings (never the voice recording): the agent
    enrolls from them, and falls back to live enrollment when they are unusable."""
    from agent.api_client import ControlAPIClient
    from agent.proctor.engines import (
        BASELINE,
        build_face_signals,
        build_voice_signals,
        shared_voice_encoder,
    )
    from agent.settings import AgentSettings
    from contracts.interview_context import InterviewContext
    from proctoring.face import enroll
    from proctoring.voice.audio_io import load_audio
    from proctoring.voice.enroll import enroll_voice
    from tests.support.contexts import context_body

    face = enroll([_frame("obama.jpg"), _frame("obama2.jpg"), _frame("obama.jpg")])
    assert face.enrollment is not None
    voice = enroll_voice(load_audio(speaker_files(CANDIDATE_SPEAKER)[0]), shared_voice_encoder())
    body = context_body("i-1", status="in_progress", candidate_name="A. Candidate")
    settings = AgentSettings(_env_file=None)  # type: ignore[call-arg]
    client = ControlAPIClient("http://127.0.0.1:9", "unused")  # nothing to download
    try:
        stored = InterviewContext.model_validate(
            {
                **body,
                "face_enrollment": face.enrollment.to_json(),
                "voice_enrollment": voice.to_json(),
            }
        )
        face_adapter = await build_face_signals(stored, client, settings)
        voice_adapter = await build_voice_signals(stored, client, settings)
        assert face_adapter.enrolled and face_adapter.enrollment_source == BASELINE
        assert voice_adapter.enrollment_source == BASELINE
        readings = _by_signal(face_adapter.analyze(_frame("biden.jpg"), 2.0))
        assert readings[AnomalyType.FACE_MISMATCH] is Reading.ANOMALOUS

        broken = InterviewContext.model_validate(
            {**body, "face_enrollment": "{not json", "voice_enrollment": '{"model": "x"}'}
        )
        assert (await build_face_signals(broken, client, settings)).enrollment_source == LIVE
        assert (await build_voice_signals(broken, client, settings)).enrollment_source == LIVE
    finally:
        await client.aclose()
