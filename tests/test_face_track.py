"""Following the face between frames, on real photos in 640x480 webcam frames.

What must hold while most frames skip the whole-frame search and the encoder:
a second face entering anywhere is counted within the documented bound, and a
match is never reused for a face that moved, changed size, changed count or
belongs to someone else sitting in the same place.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest

from proctoring.face import FaceEnrollment, FaceVerifier, Verdict, enroll, track
from proctoring.face.detect import FaceBox
from proctoring.face.track import FaceTracker, TrackConfig
from proctoring.imaging import RGBImage, resize
from tests.support.face_images import darkened, pasted, photo, webcam_frame, without_face


@pytest.fixture(scope="module")
def enrollment() -> FaceEnrollment:
    result = enroll([photo(name) for name in ("obama.jpg", "obama2.jpg", "obama_480p.jpg")])
    assert result.enrollment is not None
    return result.enrollment


def candidate(step: int, shift: tuple[int, int] = (0, -60), scale: float = 0.7) -> RGBImage:
    """The candidate on the left of the frame, swaying by a pixel or two."""
    return webcam_frame(photo("obama3.jpg"), (shift[0] + step % 2, shift[1] + step % 3), scale)


def with_visitor(frame: RGBImage) -> RGBImage:
    """Someone else (a face about 115 px wide) in the bottom right corner."""
    visitor = resize(photo("biden.jpg"), 0.5)
    return pasted(frame, visitor, 480 - visitor.shape[0], 640 - visitor.shape[1])


@pytest.mark.parametrize("entry", [3, 4, 5])
def test_a_second_face_anywhere_is_counted_within_the_bound(
    enrollment: FaceEnrollment, entry: int
) -> None:
    """The visitor enters at each phase of the whole-frame pass cycle."""
    settings = TrackConfig()
    live = FaceVerifier(enrollment, tracking=settings)
    before = [live.analyze(candidate(step)) for step in range(entry)]
    assert all(o.face_count == 1 and o.verdict is Verdict.MATCH for o in before)
    assert not all(o.full_scan for o in before), "the candidate's face was never tracked"
    bound = settings.full_scan_every  # the entry frame and full_scan_every - 1 more
    after = [live.analyze(with_visitor(candidate(entry + k))) for k in range(bound)]
    assert any(o.face_count == 2 for o in after)
    assert after[-1].face_count == 2 or after[-2].face_count == 2


def test_while_two_faces_are_in_view_every_frame_is_searched_whole(
    enrollment: FaceEnrollment,
) -> None:
    live = FaceVerifier(enrollment)
    for step in range(3):
        live.analyze(with_visitor(candidate(step)))
    crowded = [live.analyze(with_visitor(candidate(step))) for step in range(3, 6)]
    assert all(o.full_scan and o.face_count == 2 for o in crowded)
    assert all(o.verdict is Verdict.MATCH and not o.carried_over for o in crowded)


def test_a_small_face_is_followed_without_the_full_resolution_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 45 px face: only the costly fallback finds it in the whole frame; once
    known it is found around its last place, and the fallback is not run again."""
    fallback_runs: list[int] = []
    real_fallback = track.detect_fallback

    def counted(*args: Any) -> list[FaceBox]:
        fallback_runs.append(1)
        return real_fallback(*args)

    monkeypatch.setattr(track, "detect_fallback", counted)
    tracker = FaceTracker(settings=TrackConfig(still_scan_every=3))  # the plain cadence
    frames = [candidate(step, shift=(0, 0), scale=0.32) for step in range(7)]
    found = [tracker.find(frame) for frame in frames]
    assert all(len(f.boxes) == 1 for f in found)
    assert all(35 <= f.boxes[0].width <= 65 for f in found)
    assert [f.full_scan for f in found] == [True, False, False, True, False, False, True]
    assert len(fallback_runs) == 1


def test_a_lost_face_is_searched_for_in_the_whole_frame() -> None:
    tracker = FaceTracker()
    tracker.find(candidate(0))
    empty = webcam_frame(without_face())
    gone = tracker.find(empty)
    assert gone.boxes == () and gone.full_scan


def test_carry_over_needs_the_same_place_size_and_look(enrollment: FaceEnrollment) -> None:
    """With reverify_every large, only a change may force the encoder."""
    live = FaceVerifier(enrollment, reverify_every=50)
    first, second = live.analyze(candidate(0)), live.analyze(candidate(1))
    assert not first.carried_over and second.carried_over
    crowded = [live.analyze(with_visitor(candidate(s))) for s in range(2, 5)]
    assert any(o.face_count == 2 for o in crowded)
    assert not any(o.carried_over for o in crowded if o.face_count == 2)
    alone_again = live.analyze(candidate(5))
    assert alone_again.face_count == 1 and not alone_again.carried_over
    assert live.analyze(candidate(6)).carried_over
    moved = live.analyze(candidate(7, shift=(0, 90)))
    assert not moved.carried_over and moved.verdict is Verdict.MATCH
    assert live.analyze(candidate(8, shift=(0, 90))).carried_over
    resized = live.analyze(candidate(9, shift=(0, 90), scale=1.0))
    assert not resized.carried_over
    assert live.analyze(candidate(10, shift=(0, 90), scale=1.0)).carried_over


def test_someone_else_in_the_same_seat_is_encoded_at_once(enrollment: FaceEnrollment) -> None:
    """Biden's box overlaps Obama's by more than SAME_PLACE_IOU here: only the look
    check stands between the swap and a reused match."""
    live = FaceVerifier(enrollment, reverify_every=50)
    obama = [live.analyze(webcam_frame(photo("obama3.jpg"), (s % 2, s % 3))) for s in range(3)]
    assert [o.carried_over for o in obama] == [False, True, True]
    swapped = live.analyze(webcam_frame(photo("biden.jpg"), scale=0.85))
    assert obama[-1].boxes[0].iou(swapped.boxes[0]) >= 0.5
    assert not swapped.carried_over
    assert swapped.verdict is Verdict.MISMATCH


def test_slow_drift_is_measured_from_the_last_encoded_box(enrollment: FaceEnrollment) -> None:
    """12 px a frame never moves the box much between two frames, but the carried
    match stops once it has drifted away from where the face was encoded."""
    live = FaceVerifier(enrollment, reverify_every=50)
    observations = [live.analyze(candidate(0, shift=(0, -150 + 12 * s))) for s in range(10)]
    boxes = [o.boxes[0] for o in observations]
    assert all(a.iou(b) >= 0.5 for a, b in pairwise(boxes))
    encoded = [s for s, o in enumerate(observations) if not o.carried_over]
    assert len(encoded) >= 2 and encoded[0] == 0
    assert all(o.verdict is Verdict.MATCH for o in observations)


def test_a_face_gone_dark_is_judged_again_not_carried(enrollment: FaceEnrollment) -> None:
    live = FaceVerifier(enrollment, reverify_every=50)
    live.analyze(candidate(0))
    dark = live.analyze(darkened(candidate(1), 0.05))
    assert not dark.carried_over
    assert dark.verdict is Verdict.UNCERTAIN and dark.distance is None


def test_a_still_scene_skips_the_whole_frame_pass_up_to_its_bound() -> None:
    """Nothing changes away from the face: once two whole-frame passes saw the same
    scene, the pass runs only every ``still_scan_every`` frames instead of every
    ``full_scan_every``."""
    settings = TrackConfig(full_scan_every=3, still_scan_every=6)
    tracker = FaceTracker(settings=settings)
    found = [tracker.find(candidate(0)) for _ in range(13)]
    assert all(len(f.boxes) == 1 for f in found)
    # frame 3's pass settles the scene; frames 6, 7, 8 and 12 were due and skipped
    assert [i for i, f in enumerate(found) if f.full_scan] == [0, 3, 9]
    assert tracker.skipped_scans == 4


def test_a_change_away_from_the_face_brings_the_whole_frame_pass_back_at_once() -> None:
    """Someone entering a still scene is searched for on the frame they appear in."""
    tracker = FaceTracker(settings=TrackConfig(full_scan_every=3, still_scan_every=12))
    still = [tracker.find(candidate(0)) for _ in range(6)]
    assert [f.full_scan for f in still] == [True, False, False, True, False, False]
    entered = tracker.find(with_visitor(candidate(0)))
    assert entered.full_scan and len(entered.boxes) == 2


def test_an_empty_picture_is_not_searched_again_while_it_stays_the_same() -> None:
    """Nobody in view: the whole search (with its full-resolution fallback) runs once,
    then only every ``still_scan_every`` frames, and at once when someone appears."""
    tracker = FaceTracker(settings=TrackConfig(full_scan_every=3, still_scan_every=5))
    empty = webcam_frame(without_face())
    found = [tracker.find(empty) for _ in range(6)]
    assert all(f.boxes == () for f in found)
    assert [f.full_scan for f in found] == [True, False, False, False, False, True]
    back = tracker.find(candidate(0))
    assert back.full_scan and len(back.boxes) == 1
