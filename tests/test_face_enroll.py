"""Enrollment on real photos: accepted baselines, and each rejection with its reason."""

from __future__ import annotations

import numpy as np
import pytest

from proctoring.face import FaceEnrollConfig, FaceEnrollment, enroll
from proctoring.face.enroll import INCONSISTENT, NO_FACE, REFERENCE_MISMATCH, TWO_FACES
from tests.support.face_images import blurred, darkened, photo, without_face

OBAMA = ("obama.jpg", "obama2.jpg", "obama_480p.jpg")
ONE = FaceEnrollConfig(min_frames=1)


@pytest.fixture(scope="module")
def obama_frames() -> list[np.ndarray]:
    return [photo(name) for name in OBAMA]


def test_three_good_frames_are_enrolled(obama_frames: list[np.ndarray]) -> None:
    result = enroll(obama_frames)
    assert result.accepted
    assert all(check.accepted for check in result.frames)
    assert result.enrollment is not None
    assert len(result.enrollment.embeddings) == 3
    assert result.enrollment.reference_distance is None


def test_enrollment_survives_json(obama_frames: list[np.ndarray]) -> None:
    enrollment = enroll(obama_frames).enrollment
    assert enrollment is not None
    restored = FaceEnrollment.from_json(enrollment.to_json())
    assert len(restored.embeddings) == 3
    for before, after in zip(enrollment.embeddings, restored.embeddings, strict=True):
        np.testing.assert_allclose(before, after, atol=1e-6)


def test_json_of_another_model_is_refused() -> None:
    with pytest.raises(ValueError):
        FaceEnrollment.from_dict({"version": 1, "model": "other", "embeddings": [[0.0] * 128]})


@pytest.mark.parametrize(
    ("frame", "reason_start"),
    [
        (photo("two_people.jpg"), TWO_FACES),
        (without_face(), NO_FACE),
        (darkened(photo("obama.jpg"), 0.15), "It is too dark"),
        (blurred(photo("obama.jpg"), 3), "The picture is too blurred"),
        (photo("obama.jpg")[::3, ::3].copy(), "The face is too small"),
    ],
    ids=["two-faces", "no-face", "too-dark", "too-blurred", "too-small"],
)
def test_bad_frame_is_rejected_with_its_reason(frame: np.ndarray, reason_start: str) -> None:
    result = enroll([frame], policy=ONE)
    assert not result.accepted
    check = result.frames[0]
    assert not check.accepted
    assert check.reason is not None and check.reason.startswith(reason_start)
    assert result.reasons == ("Only 0 of the pictures were usable; we need at least 1.",)


def test_too_few_good_frames_are_refused(obama_frames: list[np.ndarray]) -> None:
    frames = [obama_frames[0], photo("two_people.jpg"), without_face()]
    result = enroll(frames)
    assert not result.accepted
    assert [check.accepted for check in result.frames] == [True, False, False]
    assert result.reasons == ("Only 1 of the pictures were usable; we need at least 3.",)


def test_baseline_of_two_people_is_refused(obama_frames: list[np.ndarray]) -> None:
    result = enroll([*obama_frames[:2], photo("biden.jpg")])
    assert not result.accepted
    assert result.reasons == (INCONSISTENT,)


def test_reference_photo_of_the_same_person_is_accepted(obama_frames: list[np.ndarray]) -> None:
    result = enroll(obama_frames, reference=photo("obama3.jpg"))
    assert result.enrollment is not None
    assert result.enrollment.reference_distance is not None
    assert result.enrollment.reference_distance < 0.6


def test_reference_photo_of_another_person_is_refused(obama_frames: list[np.ndarray]) -> None:
    result = enroll(obama_frames, reference=photo("biden.jpg"))
    assert not result.accepted
    assert result.reasons == (REFERENCE_MISMATCH,)
