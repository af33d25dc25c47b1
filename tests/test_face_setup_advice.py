"""Set-up advice from a baseline frame, on real faces darkened, shrunk, backlit, blurred.

Each degradation is made here from a real photo (tests/data/faces) put on a webcam-like
640x480 canvas; the advice must name what is wrong with it, and a good photo gets none.
"""

from __future__ import annotations

import numpy as np
import pytest

from proctoring.face import Advice, FaceVerifyConfig, baseline_advice, enroll, frame_advice
from proctoring.face.setup_advice import (
    BACKLIT,
    BLURRED,
    DARK,
    FAR,
    MESSAGES,
    AdviceLimits,
    advice,
    live_face_px,
)
from proctoring.imaging import RGBImage, resize
from tests.support.face_images import blurred, darkened, photo, webcam_frame

CANVAS_GREY = 96  # webcam_frame's background


def _good() -> RGBImage:
    return webcam_frame(photo("obama.jpg"))


def _backlit(frame: RGBImage, face_gain: float = 0.5, light: int = 235) -> RGBImage:
    """The face under-exposed and the background a bright window behind it."""
    result = darkened(frame, face_gain)
    result[(frame == CANVAS_GREY).all(axis=2)] = light
    return result


def _codes(frame: RGBImage) -> list[str]:
    return [item.code for item in frame_advice(frame)]


@pytest.mark.parametrize("name", ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"])
def test_a_good_photo_gets_no_advice(name: str) -> None:
    assert frame_advice(webcam_frame(photo(name))) == []


def test_a_dark_face_is_told_to_add_light_in_front() -> None:
    assert _codes(darkened(_good(), 0.45)) == [DARK]
    assert "turn on a light in front of you" in MESSAGES[DARK]


def test_a_distant_face_is_told_to_come_closer() -> None:
    assert _codes(webcam_frame(photo("obama.jpg"), scale=0.65)) == [FAR]


def test_a_backlit_face_is_told_to_turn_towards_the_light() -> None:
    assert _codes(_backlit(_good())) == [BACKLIT]


def test_a_blurred_face_is_told_to_hold_still() -> None:
    assert _codes(blurred(_good(), 1.1)) == [BLURRED]


def test_each_advised_set_up_is_still_accepted_as_a_baseline() -> None:
    """The advice is for set-ups the enrollment accepts (it never decides acceptance)."""
    for frame in (
        darkened(_good(), 0.45),
        webcam_frame(photo("obama.jpg"), scale=0.65),
        _backlit(_good()),
        blurred(_good(), 1.1),
    ):
        assert enroll([frame] * 3).accepted
        assert frame_advice(frame)


def test_a_frame_too_dark_to_find_a_face_is_told_to_add_light() -> None:
    assert _codes(np.full((480, 640, 3), 20, dtype=np.uint8)) == [DARK]
    assert _codes(np.full((480, 640, 3), 120, dtype=np.uint8)) == []


def test_face_size_is_judged_at_the_layer_the_agent_receives() -> None:
    """A 720p camera is received at its ~360 px layer: the face is half as wide there."""
    assert live_face_px(120, 480) == 120
    assert live_face_px(240, 720) == 120
    close = webcam_frame(photo("obama.jpg"), scale=1.2)  # a ~180 px face at 480p
    as_720p = resize(close, 1.5)  # the same picture, filmed at 960x720: ~135 px at 360p
    assert _codes(as_720p) == []
    framed = webcam_frame(photo("obama.jpg"), scale=0.85)  # a ~116 px face: fine at 480p,
    assert _codes(framed) == []
    assert _codes(resize(framed, 1.5)) == [FAR]  # but ~87 px on a 720p camera's 360p layer


def test_limits_follow_the_live_clear_gate_with_a_margin() -> None:
    clear = FaceVerifyConfig().clear
    limits = AdviceLimits.from_live()
    assert limits.min_luminance > clear.min_luminance
    assert limits.min_face_px > clear.min_face_px
    assert limits.min_sharpness > clear.min_sharpness
    assert limits.min_luminance > FaceVerifyConfig().gate.min_luminance


def test_the_baseline_advice_is_what_most_frames_show() -> None:
    dark, far = advice(DARK), advice(FAR)
    assert baseline_advice([[dark], [dark], [], [far]]) == [dark]
    assert baseline_advice([[far, dark], [dark, far]]) == [dark, far]  # fixed order
    assert baseline_advice([[], [], [dark]]) == []
    assert baseline_advice([]) == []
    assert Advice("dark", MESSAGES[DARK]).to_dict() == {"code": "dark", "message": MESSAGES[DARK]}
