"""The wider degradation families of ``proctoring.bench.degrade``: every one returns an
RGB uint8 frame of the input's size, changes it, and is the same for the same seed."""

from __future__ import annotations

import random

import numpy as np
import pytest

from proctoring.bench.degrade import (
    KINDS,
    WIDE_ONLY,
    FaceBox,
    Source,
    degrade,
    kind_rng,
    video_codec_available,
    video_kinds,
    video_roundtrip,
    wide_kinds,
)


def _source() -> Source:
    rng = np.random.default_rng(0)
    frame = rng.integers(40, 220, (361, 483, 3), dtype=np.uint8)  # odd sizes on purpose
    frame[130:250, 150:270] = (200, 150, 120)  # a face-like patch
    return Source("ann", "ann0", frame, FaceBox(top=130, right=270, bottom=250, left=150, score=1))


WIDE_NAMES = sorted(WIDE_ONLY)


@pytest.mark.parametrize("kind", WIDE_NAMES)
def test_wide_degradation_shape_type_and_determinism(kind: str) -> None:
    source = _source()
    steps = WIDE_ONLY[kind]
    first = degrade(source, steps, kind_rng(0, kind, source.name))
    again = degrade(source, steps, kind_rng(0, kind, source.name))
    assert first.dtype == np.uint8 and first.shape == source.frame.shape
    assert np.array_equal(first, again)
    assert not np.array_equal(first, source.frame)


@pytest.mark.parametrize("kind", ["low_light", "motion_blur", "occlude_hand", "occlude_hair"])
def test_another_seed_gives_another_draw(kind: str) -> None:
    source = _source()
    steps = WIDE_ONLY[kind]
    a = degrade(source, steps, kind_rng(0, kind, source.name))
    b = degrade(source, steps, kind_rng(1, kind, source.name))
    assert not np.array_equal(a, b)


def test_downscale_loses_detail_but_keeps_size() -> None:
    tall = np.random.default_rng(1).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    big = Source("ann", "big", tall, FaceBox(100, 300, 300, 100, 1))
    for kind in ("down240", "down180"):
        smoothed = degrade(big, WIDE_ONLY[kind], random.Random(0))
        assert smoothed.shape == tall.shape and smoothed.std() < tall.std() * 0.8
    short = Source("ann", "short", tall[:150, :200], FaceBox(10, 60, 60, 10, 1))
    # a frame already under 180 lines has nothing to lose
    assert np.array_equal(degrade(short, WIDE_ONLY["down180"], random.Random(0)), short.frame)


def test_occlusions_paint_inside_the_face_box() -> None:
    source = _source()
    for kind in ("occlude_hand", "occlude_mug", "occlude_hair"):
        out = degrade(source, WIDE_ONLY[kind], kind_rng(0, kind, source.name))
        changed = np.any(out != source.frame, axis=2)
        inside = changed[130:250, 150:270].mean()
        outside = changed[:, :30].mean()
        assert inside > 0.05, kind
        assert inside > outside, kind


def test_backlight_darkens_face_and_brightens_background() -> None:
    source = _source()
    out = degrade(source, WIDE_ONLY["backlight"], random.Random(0)).astype(float)
    original = source.frame.astype(float)
    assert out[170:210, 190:230].mean() < original[170:210, 190:230].mean() * 0.7
    assert out[:10, :10].mean() > original[:10, :10].mean()


def test_wide_keeps_the_classic_conditions_first_and_unchanged() -> None:
    kinds = wide_kinds()
    assert list(kinds)[: len(KINDS)] == list(KINDS)
    assert all(kinds[name] == steps for name, steps in KINDS.items())


@pytest.mark.skipif(
    not (video_codec_available("vp8") and video_codec_available("h264")),
    reason="PyAV without VP8/H.264 encoders",
)
@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_video_roundtrip_shape_and_determinism(codec: str) -> None:
    frame = _source().frame
    first = video_roundtrip(frame, codec, 100_000, seed=3)
    again = video_roundtrip(frame, codec, 100_000, seed=3)
    assert first.shape == frame.shape and first.dtype == np.uint8
    assert np.array_equal(first, again)
    assert not np.array_equal(first, frame)
    assert np.abs(first.astype(int) - frame.astype(int)).mean() < 40
    assert any(name.startswith(codec) for name in video_kinds())
