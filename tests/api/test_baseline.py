"""Baseline enrollment through the candidate's join link, with real faces and real speech.

The engine's verdicts reach the candidate as plain reasons; a rejected baseline stores
nothing; face and voice both enrolled make the interview ready, and the agent's
context then carries the embeddings.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import soundfile
from PIL import Image

from control_api.uploads import CheckedImage
from proctoring import face
from proctoring.face import EnrollmentResult, FaceEnrollment
from proctoring.imaging import image_to_rgb
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


def test_a_damaged_baseline_photo_is_named_and_nothing_is_stored(api: Api) -> None:
    """Baseline photos are decoded by the engine workers, not on the request: a photo
    whose header reads but whose data stops half-way still gets its own clear 422."""
    body = api.create_ok()
    before = api.state()
    photos = _photos("obama.jpg", "obama2.jpg", "obama3.jpg")
    name, data, kind = photos[1][1]
    photos[1] = ("photos", (name, data[: len(data) // 2], kind))
    response = api.client.post(
        f"/links/{_token_of(body['candidate_link'])}/baseline/face", files=photos
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        "photos[1]: the image could not be decoded (damaged or truncated): upload the photo again"
    )
    assert api.state() == before


def _marked_photo(size: tuple[int, int], image_format: str, orientation: int) -> bytes:
    """A grey photo with a red square in its stored top-left corner, saved with an EXIF
    orientation (6: the camera was turned, the viewer rotates it 90 degrees clockwise)."""
    image = Image.new("RGB", size, (128, 128, 128))
    image.paste((255, 0, 0), (0, 0, size[0] // 8, size[1] // 8))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, exif=exif)
    return buffer.getvalue()


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_a_large_photo_is_decoded_downscaled_and_upright(image_format: str) -> None:
    """A 2560x1440 photo taken sideways reaches the engine as 720x1280, upright: the
    red corner is where the viewer sees it (top right), not where it was stored."""
    frame = image_to_rgb(_marked_photo((2560, 1440), image_format, orientation=6))
    assert frame.shape == (1280, 720, 3)
    assert frame.dtype == np.uint8
    red, grey = frame[40, 680].astype(int), frame[40, 40].astype(int)
    assert red[0] > 200 and red[1] < 60, red
    assert abs(grey - 128).max() < 20, grey


def test_a_webcam_photo_is_handed_over_as_it_is() -> None:
    data = (FACES / "obama.jpg").read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        full = np.asarray(image.convert("RGB"))
    assert np.array_equal(image_to_rgb(data), full)


def test_the_engine_sees_each_photo_bounded_and_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What ``face.enroll`` is handed (the engine replaced by a recorder): frames no
    at most 1280 px on their longer side, decoded only as it reaches each one."""
    from control_api.enrollment import service

    photo = _marked_photo((2000, 1500), "PNG", orientation=1)
    images = [CheckedImage(photo, "image/png", 2000, 1500)] * 4
    seen: list[tuple[int, ...]] = []
    decoded: list[int] = []
    real_decode = service.image_to_rgb

    def counting_decode(data: bytes) -> np.ndarray:
        decoded.append(len(seen))
        return real_decode(data)

    def recording_enroll(frames: Any, reference: Any = None) -> EnrollmentResult:
        for frame in frames:
            seen.append(frame.shape)
        return EnrollmentResult(None, ())

    monkeypatch.setattr(service, "image_to_rgb", counting_decode)
    monkeypatch.setattr(face, "enroll", recording_enroll)
    service.check_faces(images, reference=None)
    assert seen == [(960, 1280, 3)] * 4
    assert decoded == [0, 1, 2, 3]  # each decoded after the previous one was looked at
