"""Baseline enrollment through the candidate's join link, with real faces and real speech.

The engine's verdicts reach the candidate as plain reasons; a rejected baseline stores
nothing; face and voice both enrolled make the interview ready, and the agent's
context then carries the embeddings.
"""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import soundfile

from proctoring.face import FaceEnrollment
from proctoring.voice import VoiceEnrollment
from tests.api.conftest import Api

DATA = Path(__file__).resolve().parent.parent / "data"
FACES = DATA / "faces"
SPEECH = DATA / "voices" / "librispeech"


def _token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def _photos(*names: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("photos", (name, (FACES / name).read_bytes(), "image/jpeg")) for name in names]


def _webm_opus(flac: Path) -> bytes:
    """The recording as a browser's MediaRecorder makes it: WebM with Opus at 48 kHz."""
    samples, rate = soundfile.read(flac, dtype="int16")
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="webm") as container:
        stream = container.add_stream("libopus", rate=48000)
        stream.layout = "mono"  # type: ignore[union-attr]
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        for resampled in resampler.resample(frame):
            for packet in stream.encode(resampled):  # type: ignore[union-attr]
                container.mux(packet)
        for packet in stream.encode(None):  # type: ignore[union-attr]
            container.mux(packet)
    return buffer.getvalue()


def test_face_then_voice_baseline_makes_the_interview_ready(api: Api) -> None:
    body = api.create_ok()
    token = _token_of(body["candidate_link"])

    face = api.client.post(
        f"/links/{token}/baseline/face", files=_photos("obama.jpg", "obama2.jpg", "obama3.jpg")
    )
    assert face.status_code == 200, face.text
    assert face.json()["accepted"] is True
    assert face.json()["ready"] is False
    assert all(frame["accepted"] for frame in face.json()["frames"])
    assert (
        api.client.get(f"/interviews/{body['id']}", headers=api.recruiter).json()["status"]
        == "created"
    )

    audio = _webm_opus(SPEECH / "1688-142285-0000.flac")
    voice = api.client.post(
        f"/links/{token}/baseline/voice", files={"audio": ("baseline.webm", audio, "audio/webm")}
    )
    assert voice.status_code == 200, voice.text
    assert voice.json()["accepted"] is True
    assert voice.json()["ready"] is True
    assert voice.json()["status"] == "ready"
    assert voice.json()["details"]["speech_seconds"] >= 8

    detail = api.client.get(f"/interviews/{body['id']}", headers=api.recruiter).json()
    assert detail["status"] == "ready"
    context = api.client.get(f"/agent/interviews/{body['id']}/context", headers=api.service).json()
    face_enrollment = FaceEnrollment.from_json(context["face_enrollment"])
    assert len(face_enrollment.embeddings) >= 3
    voice_enrollment = VoiceEnrollment.from_json(context["voice_enrollment"])
    assert np.isclose(np.linalg.norm(voice_enrollment.vector), 1.0, atol=1e-3)
    kinds = sorted(ref["kind"] for ref in context["enrollment"])
    assert kinds == ["baseline_image"] * 3 + ["reference_photo"]


def test_rejected_face_baseline_says_why_and_stores_nothing(api: Api) -> None:
    body = api.create_ok()
    token = _token_of(body["candidate_link"])
    before = api.state()
    response = api.client.post(
        f"/links/{token}/baseline/face",
        files=_photos("obama.jpg", "two_people.jpg", "obama2.jpg"),
    )
    assert response.status_code == 422, response.text
    result = response.json()
    assert result["accepted"] is False
    rejected = [frame for frame in result["frames"] if not frame["accepted"]]
    assert [frame["index"] for frame in rejected] == [1]
    assert "face" in rejected[0]["reason"].lower()
    assert result["detail"]
    assert api.state() == before


def test_baseline_of_someone_else_than_the_reference_photo_is_rejected(api: Api) -> None:
    body = api.create_ok(
        reference_photo=("ref.jpg", (FACES / "biden.jpg").read_bytes(), "image/jpeg")
    )
    before = api.state()
    response = api.client.post(
        f"/links/{_token_of(body['candidate_link'])}/baseline/face",
        files=_photos("obama.jpg", "obama2.jpg", "obama3.jpg"),
    )
    assert response.status_code == 422, response.text
    assert "reference" in response.json()["detail"].lower()
    assert api.state() == before


def test_short_or_unreadable_voice_baseline_is_refused(api: Api) -> None:
    body = api.create_ok()
    token = _token_of(body["candidate_link"])
    before = api.state()
    short = (SPEECH / "1688-142285-0002.flac").read_bytes()
    response = api.client.post(
        f"/links/{token}/baseline/voice", files={"audio": ("short.flac", short, "audio/flac")}
    )
    assert response.status_code == 422, response.text
    assert "at least" in response.json()["detail"]
    garbage = api.client.post(
        f"/links/{token}/baseline/voice",
        files={"audio": ("notes.webm", b"this is not audio at all" * 50, "audio/webm")},
    )
    assert garbage.status_code == 415
    assert "WebM" in garbage.json()["detail"]
    assert api.state() == before


def test_baseline_needs_the_candidate_link_and_enough_photos(api: Api) -> None:
    body = api.create_ok()
    before = api.state()
    proctor = api.client.post(
        f"/links/{_token_of(body['proctor_link'])}/baseline/face",
        files=_photos("obama.jpg", "obama2.jpg", "obama3.jpg"),
    )
    assert proctor.status_code == 403
    assert "candidate" in proctor.json()["detail"]
    too_few = api.client.post(
        f"/links/{_token_of(body['candidate_link'])}/baseline/face",
        files=_photos("obama.jpg"),
    )
    assert too_few.status_code == 422
    assert "between 3 and 10 photos" in too_few.json()["detail"]
    forged = api.client.post(
        "/links/not-a-real-token/baseline/face", files=_photos("obama.jpg", "obama2.jpg")
    )
    assert forged.status_code == 401
    assert api.state() == before
