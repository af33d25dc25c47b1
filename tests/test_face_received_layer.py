"""Two people in a frame the agent really received: the 480x360 layer, through VP8.

Under CPU load livekit-server delivered the simulated candidate's 640x480 camera as its
480x360 layer; the whole-frame pass then shrank nothing and ran at 480 px, where the two
faces of ``two_people.jpg`` are about 72 px wide, under HOG's window. Only one was found,
in every frame of the 5 s both were in view, and ``multiple_faces`` never reached the
proctor (the flaky end-to-end test). Both frames here are the ones the agent judged.
"""

from __future__ import annotations

import pytest

from proctorai.demo.inputs import load_inputs
from proctoring.face import FaceEnrollment, FaceVerifier, Verdict, enroll
from proctoring.face.detect import detect_faces
from proctoring.face.track import TrackConfig
from proctoring.imaging import image_to_rgb
from tests.support.face_images import photo

RECEIVED = "received/{}_480x360_vp8.png"


@pytest.fixture(scope="module")
def enrollment() -> FaceEnrollment:
    result = enroll([photo(name) for name in ("obama.jpg", "obama2.jpg", "obama3.jpg")])
    assert result.enrollment is not None
    return result.enrollment


def test_both_faces_of_the_received_layer_are_found() -> None:
    frame = photo(RECEIVED.format("two_people"))
    assert frame.shape[:2] == (360, 480)
    assert len(detect_faces(frame)) == 2


def test_a_second_person_is_counted_while_the_candidate_is_followed(
    enrollment: FaceEnrollment,
) -> None:
    """The candidate alone (followed, whole-frame passes skipped while the scene is
    still), then the two-person scene: counted within the tracker's bound."""
    settings = TrackConfig()
    live = FaceVerifier(enrollment, tracking=settings)
    alone = photo(RECEIVED.format("obama"))
    before = [live.analyze(alone) for _ in range(8)]
    assert all(o.face_count == 1 and o.verdict is Verdict.MATCH for o in before)
    two = photo(RECEIVED.format("two_people"))
    after = [live.analyze(two).face_count for _ in range(settings.full_scan_every)]
    assert after[-1] == 2, f"face counts after the second person came in: {after}"
    assert all(live.analyze(two).face_count == 2 for _ in range(4)), "lost again"


def test_a_scene_still_being_refined_by_the_codec_is_searched_again() -> None:
    """The demo's "second person in view", as received: the whole-frame pass on the first
    frame of the new scene (the codec had not refined it yet) found one face; the next
    frames, sharper, differed from it too little to count as a change, so the passes
    were skipped for 6 s and the second person was never counted. A scene is only
    trusted as still once two passes saw it alike."""
    enrollment = _demo_enrollment()
    live = FaceVerifier(enrollment)
    for _ in range(8):
        live.analyze(photo(RECEIVED.format("demo_alone")))
    first = live.analyze(photo(RECEIVED.format("demo_two_first")))
    assert first.full_scan and first.face_count == 1
    counts = [live.analyze(photo(RECEIVED.format("demo_two"))).face_count for _ in range(4)]
    assert 2 in counts, f"face counts once the picture sharpened: {counts}"


def _demo_enrollment() -> FaceEnrollment:
    inputs = load_inputs()
    pictures = [image_to_rgb(picture) for picture in inputs.baseline_photos]
    result = enroll(pictures)
    assert result.enrollment is not None
    return result.enrollment
