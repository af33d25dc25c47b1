"""Per-frame verdicts on real photos: match, mismatch, uncertain, face counts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from proctoring.face import FaceEnrollment, FaceVerifier, Verdict, enroll
from proctoring.face.verify import IN_BAND, NO_FACE
from tests.support.face_images import blurred, darkened, on_webcam_canvas, photo, without_face


@pytest.fixture(scope="module")
def enrollment() -> FaceEnrollment:
    result = enroll([photo(name) for name in ("obama.jpg", "obama2.jpg", "obama_480p.jpg")])
    assert result.enrollment is not None
    return result.enrollment


def verifier(enrollment: FaceEnrollment) -> FaceVerifier:
    return FaceVerifier(enrollment, reverify_every=1)


def test_same_person_matches(enrollment: FaceEnrollment) -> None:
    observation = verifier(enrollment).analyze(photo("obama3.jpg"))
    assert observation.face_count == 1
    assert observation.verdict is Verdict.MATCH
    assert observation.distance is not None and observation.distance <= 0.6


def test_other_person_mismatches(enrollment: FaceEnrollment) -> None:
    observation = verifier(enrollment).analyze(photo("biden.jpg"))
    assert observation.face_count == 1
    assert observation.verdict is Verdict.MISMATCH
    assert observation.distance is not None and observation.distance > 0.68


def test_two_faces_are_counted_and_the_candidate_found(enrollment: FaceEnrollment) -> None:
    observation = verifier(enrollment).analyze(photo("two_people.jpg"))
    assert observation.face_count == 2
    assert len(observation.boxes) == 2
    assert observation.verdict is Verdict.MATCH


def test_no_face_is_uncertain_not_mismatch(enrollment: FaceEnrollment) -> None:
    observation = verifier(enrollment).analyze(without_face())
    assert observation.face_count == 0
    assert observation.verdict is Verdict.UNCERTAIN
    assert observation.reason == NO_FACE


def test_candidate_in_the_dark_is_uncertain(enrollment: FaceEnrollment) -> None:
    observation = verifier(enrollment).analyze(darkened(photo("obama3.jpg"), 0.05))
    assert observation.face_count == 1
    assert observation.verdict is Verdict.UNCERTAIN
    assert observation.reason.startswith("It is too dark")


def test_heavily_blurred_candidate_is_uncertain(enrollment: FaceEnrollment) -> None:
    observation = verifier(enrollment).analyze(blurred(photo("obama3.jpg"), 12))
    assert observation.verdict is Verdict.UNCERTAIN
    assert observation.reason == IN_BAND


def test_tiny_candidate_is_uncertain(enrollment: FaceEnrollment) -> None:
    observation = verifier(enrollment).analyze(on_webcam_canvas(photo("obama3.jpg"), 0.16))
    assert observation.verdict is Verdict.UNCERTAIN
    assert observation.reason == NO_FACE or observation.reason.startswith("The face is too small")


def test_recent_match_is_carried_over_only_while_the_face_stays(
    enrollment: FaceEnrollment,
) -> None:
    live = FaceVerifier(enrollment, reverify_every=3)
    frame = photo("obama3.jpg")
    first, second, third, fourth = (live.analyze(frame) for _ in range(4))
    assert [o.carried_over for o in (first, second, third, fourth)] == [False, True, True, False]
    assert all(o.verdict is Verdict.MATCH for o in (first, second, third, fourth))
    impostor = live.analyze(photo("biden.jpg"))
    assert not impostor.carried_over
    assert impostor.verdict is Verdict.MISMATCH


def test_threads_share_a_verifier_safely(enrollment: FaceEnrollment) -> None:
    live = verifier(enrollment)
    frames = [photo("obama3.jpg"), photo("biden.jpg")] * 3
    with ThreadPoolExecutor(max_workers=3) as pool:
        verdicts = list(pool.map(lambda f: live.analyze(f).verdict, frames))
    assert verdicts == [Verdict.MATCH, Verdict.MISMATCH] * 3


def test_observation_evidence_is_plain_json(enrollment: FaceEnrollment) -> None:
    evidence = verifier(enrollment).analyze(photo("obama3.jpg")).to_dict()
    assert evidence["verdict"] == "match"
    assert evidence["face_count"] == 1
    assert set(evidence["quality"]) == {
        "face_px",
        "luminance",
        "contrast",
        "sharpness",
        "detector_score",
    }
    assert not any(isinstance(value, np.ndarray) for value in evidence.values())
