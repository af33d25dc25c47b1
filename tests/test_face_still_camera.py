"""Issue 17: a second person shown by a fake camera playing one still picture.

The picture is the full-length ``biden.jpg`` fitted into 640x480 as the browser tests'
fake camera shows it (face about 75 px wide), and the lower simulcast layers of that
camera (320x240, 160x120: face 37 and 18 px) which the agent may receive. The face must
be found in every frame of the unchanging picture, and a frame in which the detector
finds nobody must not read as a confident "no face" unless the deepest search found
nobody too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from contracts.anomaly import AnomalyType
from proctoring.face import FaceEnrollment, FaceVerifier, enroll, track
from proctoring.face.detect import DetectionConfig, FaceBox, detect_fallback, lift_if_dark
from proctoring.face.track import FaceTracker
from proctoring.face.verify import NO_FACE, FaceObservation, Verdict
from proctoring.face_signals import face_readings, observe_face
from proctoring.imaging import RGBImage, resize
from proctoring.monitor import ProctoringMonitor
from proctoring.smoothing import Reading
from tests.support.face_images import on_webcam_canvas, photo

WIDTH, HEIGHT = 640, 480
GREY = (118, 124, 131)  # the browser tests' letterbox colour


def still_camera(layer_width: int = WIDTH) -> RGBImage:
    """The full-length photo fitted into 640x480 on grey, shrunk to a simulcast layer."""
    picture = photo("biden_full_length.jpg")
    scale = min(WIDTH / picture.shape[1], HEIGHT / picture.shape[0])
    fitted = resize(picture, scale)
    canvas = np.empty((HEIGHT, WIDTH, 3), dtype=np.uint8)
    canvas[:] = GREY
    top, left = (HEIGHT - fitted.shape[0]) // 2, (WIDTH - fitted.shape[1]) // 2
    canvas[top : top + fitted.shape[0], left : left + fitted.shape[1]] = fitted
    return canvas if layer_width == WIDTH else resize(canvas, layer_width / WIDTH)


@pytest.fixture(scope="module")
def enrollment() -> FaceEnrollment:
    result = enroll([photo(name) for name in ("obama.jpg", "obama2.jpg", "obama_480p.jpg")])
    assert result.enrollment is not None
    return result.enrollment


@pytest.mark.parametrize("layer_width", [640, 320, 160])
def test_the_small_face_of_a_still_camera_is_found_at_every_layer(layer_width: int) -> None:
    """Before the fix the 160x120 layer (an 18 px face) was searched at its own size."""
    boxes = detect_fallback(lift_if_dark(still_camera(layer_width)), DetectionConfig())
    assert len(boxes) == 1
    assert boxes[0].width == pytest.approx(75 * layer_width / WIDTH, rel=0.25)


@pytest.mark.parametrize("layer_width", [640, 160])
def test_the_face_stays_found_while_the_picture_does_not_change(layer_width: int) -> None:
    tracker = FaceTracker()
    frame = still_camera(layer_width)
    counts = [len(tracker.find(frame).boxes) for _ in range(30)]
    assert counts == [1] * 30


def test_the_still_camera_at_a_low_layer_never_reads_as_no_face(
    enrollment: FaceEnrollment,
) -> None:
    """The agent's path: verifier, readings, monitor; 30 s of one 160x120 picture."""
    verifier = FaceVerifier(enrollment)
    monitor = ProctoringMonitor("int-17", clock=lambda: 0.0)
    frame = still_camera(160)
    events = []
    for step in range(60):
        observation = verifier.analyze(frame)
        assert observation.face_count == 1
        events += observe_face(monitor, observation, 1000.0 + step / 2)
    assert not [e for e in events if e.type is AnomalyType.NO_FACE]


def test_nobody_found_without_a_confirmed_absence_is_uncertain() -> None:
    unconfirmed = FaceObservation(0, (), Verdict.UNCERTAIN, NO_FACE, absence_confirmed=False)
    confirmed = FaceObservation(0, (), Verdict.UNCERTAIN, NO_FACE, absence_confirmed=True)
    assert face_readings(unconfirmed)[AnomalyType.NO_FACE] is Reading.UNCERTAIN
    assert face_readings(confirmed)[AnomalyType.NO_FACE] is Reading.ANOMALOUS


def counting_deep(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    runs: list[int] = []
    real = track.detect_deep

    def counted(*args: Any) -> list[FaceBox]:
        runs.append(1)
        return real(*args)

    monkeypatch.setattr(track, "detect_deep", counted)
    return runs


def test_a_face_only_the_deep_pass_finds_is_not_called_absent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A face of about 24 px in 640x480: the usual passes miss it, the deep pass does not."""
    runs = counting_deep(monkeypatch)
    frame = on_webcam_canvas(photo("obama3.jpg"), 0.14)
    frame[(frame == 96).all(axis=2)] = GREY  # a lit room: no lifting of a dark frame
    assert detect_fallback(lift_if_dark(frame), DetectionConfig()) == []
    found = FaceTracker().find(frame)
    assert len(found.boxes) == 1 and runs == [1]


def test_an_empty_room_is_confirmed_by_the_deep_pass_and_searched_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A real scene with nobody in it (a suit and a wall): absent with confidence once
    the deep pass found nobody; the unchanged picture gets a deep pass periodically."""
    runs = counting_deep(monkeypatch)
    frame = np.ascontiguousarray(resize(photo("obama.jpg")[420:, :200], 3.2)[:480, :640])
    tracker = FaceTracker()
    found = [tracker.find(frame) for _ in range(tracker.settings.still_scan_every + 1)]
    assert all(not f.boxes and f.absence_confirmed for f in found)
    assert len(runs) == 2  # the first frame, and the periodic search of the still picture


def test_a_blank_picture_is_absent_without_a_deep_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = counting_deep(monkeypatch)
    found = FaceTracker().find(np.full((HEIGHT, WIDTH, 3), 20, dtype=np.uint8))
    assert not found.boxes and found.absence_confirmed and runs == []
