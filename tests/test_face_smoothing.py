"""Real face engine output through the real smoother: what a proctor would be shown.

A two-minute timeline of 640x480 webcam frames at 2 frames per second, built
from real photos: the enrolled candidate (Obama), a one-frame glitch of
someone else, a ten-second swap to someone else (Biden), a minute of the
candidate in the dark, and a stretch with a second person in view. Every
frame goes through one ``FaceVerifier`` (tracking and carry-over included) and
``observe_face`` into a ``ProctoringMonitor`` at the standard preset.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contracts.anomaly import AnomalyEvent, AnomalyState, AnomalyType
from proctoring.face import FaceBox, FaceEnrollment, FaceObservation, FaceVerifier, Verdict, enroll
from proctoring.face.track import TrackConfig
from proctoring.face_signals import FACE_SIGNALS, face_readings, observe_face
from proctoring.imaging import RGBImage
from proctoring.monitor import ProctoringMonitor
from proctoring.smoothing import Reading
from tests.support.face_images import darkened, photo, webcam_frame

FPS = 2.0
Scene = Callable[[int], RGBImage]


def obama(step: int) -> RGBImage:
    return webcam_frame(photo("obama3.jpg"), (step % 2, step % 3))


def biden(step: int) -> RGBImage:
    return webcam_frame(photo("biden.jpg"), (step % 2, step % 3), scale=0.85)


def obama_in_the_dark(step: int) -> RGBImage:
    return darkened(obama(step), 0.05)


def two_people(step: int) -> RGBImage:
    return webcam_frame(photo("two_people.jpg"), (step % 2, step % 3))


# (scene, seconds) in order, one frame every 0.5 s; the times below follow from these.
TIMELINE: list[tuple[Scene, float]] = [
    (obama, 15.0),  # frames at 0-14.5 s
    (biden, 0.5),  # 15 s: one frame of someone else
    (obama, 9.5),  # 15.5-24.5 s
    (biden, 10.0),  # 25-34.5 s: a sustained swap
    (obama, 10.0),  # 35-44.5 s
    (obama_in_the_dark, 60.0),  # 45-104.5 s
    (obama, 5.0),  # 105-109.5 s
    (two_people, 6.0),  # 110-115.5 s
    (obama, 8.0),  # 116-123.5 s
]
SWAP_AT, SWAP_LAST = 25.0, 34.5
TWO_AT, TWO_LAST = 110.0, 115.5


@pytest.fixture(scope="module")
def enrollment() -> FaceEnrollment:
    result = enroll([photo(name) for name in ("obama.jpg", "obama2.jpg", "obama_480p.jpg")])
    assert result.enrollment is not None
    return result.enrollment


@pytest.fixture(scope="module")
def run(enrollment: FaceEnrollment) -> tuple[list[AnomalyEvent], list[FaceObservation]]:
    """Every frame of the timeline through the verifier and the monitor."""
    monitor = ProctoringMonitor("9b0c6f3e-0000-4000-8000-000000000001", "standard")
    verifier = FaceVerifier(enrollment)
    events: list[AnomalyEvent] = []
    observations: list[FaceObservation] = []
    step = 0
    for scene, seconds in TIMELINE:
        for _ in range(round(seconds * FPS)):
            t = step / FPS
            observation = verifier.analyze(scene(step))
            observations.append(observation)
            events += observe_face(monitor, observation, t)
            step += 1
    events += monitor.close(step / FPS)
    return events, observations


def test_only_the_swap_and_the_second_person_raise_events(
    run: tuple[list[AnomalyEvent], list[FaceObservation]],
) -> None:
    events, _ = run
    assert [(e.type, e.state) for e in events] == [
        (AnomalyType.FACE_MISMATCH, AnomalyState.STARTED),
        (AnomalyType.FACE_MISMATCH, AnomalyState.ENDED),
        (AnomalyType.MULTIPLE_FACES, AnomalyState.STARTED),
        (AnomalyType.MULTIPLE_FACES, AnomalyState.ENDED),
    ]


def test_the_swap_starts_when_it_began_and_ends_when_the_candidate_is_back(
    run: tuple[list[AnomalyEvent], list[FaceObservation]],
) -> None:
    started, ended = run[0][0], run[0][1]
    assert started.started_at == SWAP_AT
    assert SWAP_AT < started.confirmed_at <= SWAP_AT + 6.0
    assert ended.ended_at == SWAP_LAST
    assert ended.evidence["closed_by"] == "clean"
    assert started.evidence["verdict"] == "mismatch"


def test_the_second_person_is_raised_from_their_arrival_until_they_leave(
    run: tuple[list[AnomalyEvent], list[FaceObservation]],
) -> None:
    started, ended = run[0][2], run[0][3]
    bound = (TrackConfig().full_scan_every - 1) / FPS
    assert TWO_AT <= started.started_at <= TWO_AT + bound
    assert started.evidence["face_count"] == 2
    assert ended.ended_at == TWO_LAST
    assert ended.evidence["closed_by"] == "clean"


def test_the_dark_minute_is_uncertain_not_a_mismatch(
    run: tuple[list[AnomalyEvent], list[FaceObservation]],
) -> None:
    _, observations = run
    dark = observations[round(45 * FPS) : round(105 * FPS)]
    assert len(dark) == 120
    assert all(o.face_count == 1 for o in dark)
    assert all(o.verdict is Verdict.UNCERTAIN for o in dark)
    assert all(o.reason.startswith("It is too dark") for o in dark)


def test_the_glitch_and_the_swap_were_really_seen_by_the_engine(
    run: tuple[list[AnomalyEvent], list[FaceObservation]],
) -> None:
    """The smoother had something to ignore: the glitch frame was judged a mismatch."""
    _, observations = run
    assert observations[round(15 * FPS)].verdict is Verdict.MISMATCH
    swap = observations[round(SWAP_AT * FPS) : round((SWAP_LAST + 0.5) * FPS)]
    assert all(o.verdict is Verdict.MISMATCH and not o.carried_over for o in swap)


def box() -> FaceBox:
    return FaceBox(top=10, right=110, bottom=110, left=10, score=1.0)


@pytest.mark.parametrize(
    ("faces", "verdict", "expected"),
    [
        (1, Verdict.MATCH, (Reading.CLEAN, Reading.CLEAN, Reading.CLEAN)),
        (1, Verdict.MISMATCH, (Reading.ANOMALOUS, Reading.CLEAN, Reading.CLEAN)),
        (1, Verdict.UNCERTAIN, (Reading.UNCERTAIN, Reading.CLEAN, Reading.CLEAN)),
        (2, Verdict.MATCH, (Reading.CLEAN, Reading.ANOMALOUS, Reading.CLEAN)),
        (0, Verdict.UNCERTAIN, (Reading.UNCERTAIN, Reading.CLEAN, Reading.ANOMALOUS)),
    ],
)
def test_readings_of_each_signal(
    faces: int, verdict: Verdict, expected: tuple[Reading, Reading, Reading]
) -> None:
    observation = FaceObservation(faces, (box(),) * faces, verdict, "reason")
    readings = face_readings(observation)
    assert tuple(readings[signal] for signal in FACE_SIGNALS) == expected
