"""Who is shown when, and how the camera degrades it: the frame sequences of the benchmark.

People come from ``../shared/data/faces``: ``people/`` (train and test) and
``knn_examples/train/`` (the folder names the person, as
:func:`proctoring.bench.degrade.person_of` reads it), plus the one shot of
``short_hamilton_clip.mp4`` where a single face fills the frame (its frames at 2 per
second, as one more person). A photo counts when exactly one face is found in it once
fitted into a 640x480 webcam frame; near-duplicates of one photo are kept once.

Each person's usable photos are split once, in path order: the first
``max(1, (n - 1) // 2)`` are the enrollment (a clean baseline), the rest are shown in
the genuine sequence; someone with a single photo is only ever an impostor.

A sequence is a list of :class:`Shot` (one photo held for a few seconds); every camera
frame of a shot moves and scales the photo a little (a seated candidate), and its
degradation family is applied at a level that drifts slowly over the sequence (light
going down and back up, a link getting worse and better), so a sequence passes through
the family's whole range instead of one draw.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from proctoring.bench.degrade import IMAGE_SUFFIXES, NEAR_DUPLICATE_DISTANCE, person_of
from proctoring.face.detect import detect_faces
from proctoring.face.encode import align, encode
from proctoring.imaging import RGBImage, fit_within, load_rgb, resize

WIDTH, HEIGHT = 640, 480
FOLDERS = ("people", "knn_examples/train")
CLIP = "short_hamilton_clip.mp4"
CLIP_PERSON = "hamilton_clip"
CLIP_SHOT = (3.8, 7.9)
"""Seconds of the clip's one shot with a single large face (found by looking; the shots
before and after show other or no faces)."""
FAMILIES = ("clean", "dim", "noise", "blur", "jpeg", "240p", "180p", "mixed")


@dataclass(frozen=True)
class Person:
    """One person's photos, split into a clean enrollment and the ones shown live."""

    name: str
    enroll: tuple[RGBImage, ...]
    show: tuple[RGBImage, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Shot:
    """One photo of ``person`` held from ``start`` for ``seconds``."""

    person: str
    photo: int
    start: float
    seconds: float


def split_count(photos: int) -> int:
    """How many of a person's photos enroll (the rest are shown)."""
    return max(1, (photos - 1) // 2)


def _usable(frames: list[tuple[str, str, RGBImage]]) -> dict[str, list[tuple[str, RGBImage]]]:
    """Frames with exactly one face, near-duplicates of a person's frame dropped."""
    kept: dict[str, list[tuple[str, RGBImage, np.ndarray]]] = {}
    for name, person, frame in frames:
        boxes = detect_faces(frame)
        if len(boxes) != 1:
            continue
        embedding = encode(align(frame, boxes[0]))
        mine = kept.setdefault(person, [])
        if all(float(np.linalg.norm(v - embedding)) >= NEAR_DUPLICATE_DISTANCE for *_, v in mine):
            mine.append((name, frame, embedding))
    return {p: [(n, f) for n, f, _ in items] for p, items in kept.items()}


def _clip_frames(path: Path) -> list[tuple[str, str, RGBImage]]:
    import av

    frames: list[tuple[str, str, RGBImage]] = []
    next_at = CLIP_SHOT[0]
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            at = float(frame.time or 0.0)
            if CLIP_SHOT[0] <= at <= CLIP_SHOT[1] and at >= next_at:
                picture = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
                frames.append((f"{CLIP}@{at:.2f}s", CLIP_PERSON, picture))
                next_at += 0.5
    return frames


def load_people(faces: Path, with_clip: bool = True) -> list[Person]:
    """Everyone with at least one usable photo, sorted by name (see the module docstring)."""
    frames: list[tuple[str, str, RGBImage]] = []
    for folder in FOLDERS:
        for path in sorted((faces / folder).rglob("*")):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                relative = path.relative_to(faces)
                picture = fit_within(load_rgb(path), int(WIDTH * 0.9), int(HEIGHT * 0.9))
                frames.append((relative.as_posix(), person_of(relative), picture))
    if with_clip and (faces / CLIP).exists():
        frames += _clip_frames(faces / CLIP)
    people = []
    for name, items in sorted(_usable(frames).items()):
        count = split_count(len(items)) if len(items) > 1 else 1
        pictures = tuple(frame for _, frame in items)
        people.append(
            Person(
                name=name,
                enroll=pictures[:count],
                show=pictures[count:] if len(items) > 1 else pictures,
                sources=tuple(n for n, _ in items),
            )
        )
    return people


def shots_for(
    person: str, photos: int, seconds: float, rng: np.random.Generator, hold: tuple[float, float]
) -> list[Shot]:
    """Photos of ``person`` in turn (a random order per round), each held ``hold`` s."""
    shots: list[Shot] = []
    t = 0.0
    order: list[int] = []
    while t < seconds:
        if not order:
            order = [int(i) for i in rng.permutation(photos)]
        length = min(float(rng.uniform(*hold)), seconds - t)
        shots.append(Shot(person, order.pop(0), t, length))
        t += length
    return shots


def shot_at(shots: Sequence[Shot], t: float) -> Shot:
    """The shot showing at ``t`` (the last one past the end)."""
    for shot in shots:
        if t < shot.start + shot.seconds:
            return shot
    return shots[-1]


def placed(picture: RGBImage, rng: np.random.Generator) -> RGBImage:
    """The photo in a grey 640x480 frame, shifted up to 8 px and scaled by 0.95-1.05."""
    scale = float(rng.uniform(0.95, 1.05))
    small = resize(picture, scale) if abs(scale - 1.0) > 1e-3 else picture
    canvas = np.full((HEIGHT, WIDTH, 3), 96, dtype=np.uint8)
    height, width = min(small.shape[0], HEIGHT), min(small.shape[1], WIDTH)
    dy, dx = (int(v) for v in rng.integers(-8, 9, size=2))
    top = min(max(0, (HEIGHT - height) // 2 + dy), HEIGHT - height)
    left = min(max(0, (WIDTH - width) // 2 + dx), WIDTH - width)
    canvas[top : top + height, left : left + width] = small[:height, :width]
    return canvas


def drift(t: float, period: float, phase: float) -> float:
    """The degradation level at ``t``: 0 (mild) to 1 (worst), slowly up and down."""
    return 0.5 - 0.5 * math.cos(2 * math.pi * t / period + phase)


def _dim(frame: RGBImage, level: float, rng: np.random.Generator) -> RGBImage:
    gain = 0.6 - 0.4 * level  # 60% down to 20% of the light
    noise = rng.normal(0.0, 2.0 + 4.0 * level, frame.shape)
    return np.clip(frame * gain + noise, 0, 255).astype(np.uint8)


def _noise(frame: RGBImage, level: float, rng: np.random.Generator) -> RGBImage:
    noise = rng.normal(0.0, 4.0 + 12.0 * level, frame.shape)  # sensor noise, low light gain
    return np.clip(frame * 0.85 + noise, 0, 255).astype(np.uint8)


def _blur(frame: RGBImage, level: float, rng: np.random.Generator) -> RGBImage:
    radius = 0.8 + 3.2 * level
    return np.asarray(Image.fromarray(frame).filter(ImageFilter.GaussianBlur(radius)))


def _jpeg(frame: RGBImage, level: float, rng: np.random.Generator) -> RGBImage:
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, "JPEG", quality=round(45 - 35 * level))  # 45 to 10
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"))


Step = Callable[[RGBImage, float, np.random.Generator], RGBImage]


def _layer(rows: int) -> Step:
    def down_up(frame: RGBImage, level: float, rng: np.random.Generator) -> RGBImage:
        """A simulcast layer of ``rows`` lines, upscaled back to 640x480 by the viewer."""
        cols = round(frame.shape[1] * rows / frame.shape[0])
        image = Image.fromarray(frame).resize((cols, rows), Image.Resampling.BOX)
        size = (frame.shape[1], frame.shape[0])
        frame = np.asarray(image.resize(size, Image.Resampling.BILINEAR))
        return _jpeg(frame, 0.3 + 0.5 * level, rng)  # the layer's codec at a drifting bitrate

    return down_up


def degraded(frame: RGBImage, family: str, level: float, rng: np.random.Generator) -> RGBImage:
    """``frame`` as the camera and the link deliver it under ``family`` at ``level``."""
    steps: tuple[Step, ...] = {
        "clean": (),
        "dim": (_dim,),
        "noise": (_noise,),
        "blur": (_blur,),
        "jpeg": (_jpeg,),
        "240p": (_layer(240),),
        "180p": (_layer(180),),
        "mixed": (_dim, _blur, _layer(240)),
    }[family]
    for step in steps:
        frame = step(frame, level * (0.6 if family == "mixed" else 1.0), rng)
    return frame


@dataclass(frozen=True)
class SequencePlan:
    """One sequence to replay: the shots, and for an impostor trial when the swap is."""

    kind: str  # "genuine" or "impostor"
    target: str
    family: str
    shots: tuple[Shot, ...]
    duration: float
    key: int
    period: float
    phase: float
    swap_at: float | None = None
    impostor: str | None = None


HOLD = (3.0, 8.0)
"""Seconds each photo is held: a few seconds, as a candidate sits between movements."""


def plan_sequences(
    cast: Sequence[tuple[str, int, bool]],
    seconds_per_person: float,
    seed: int,
    families: Sequence[str] = FAMILIES,
    bound: float = 10.0,
    impostors_per_person: int | None = None,
) -> list[SequencePlan]:
    """Every sequence of a run, from ``cast``: (name, photos shown, can be enrolled).

    Each enrollable person gets one genuine sequence per family (``seconds_per_person``
    shared among the families), and one impostor trial per other person (or a drawn
    ``impostors_per_person`` of them): 8-12 s of the genuine person, then the other
    person until ``bound`` seconds after the swap. Families rotate over the trials.
    Everything is drawn from ``seed``: the same seed gives the same plans.
    """
    rng = np.random.default_rng(seed)
    photos = {name: count for name, count, _ in cast}
    targets = [name for name, _, enrollable in cast if enrollable]
    plans: list[SequencePlan] = []
    per_family = seconds_per_person / len(families)
    for index, target in enumerate(targets):
        for family in families:
            plans.append(
                SequencePlan(
                    kind="genuine",
                    target=target,
                    family=family,
                    shots=tuple(shots_for(target, photos[target], per_family, rng, HOLD)),
                    duration=per_family,
                    key=len(plans),
                    period=float(rng.uniform(30.0, 90.0)),
                    phase=float(rng.uniform(0.0, 2 * math.pi)),
                )
            )
        others = [name for name, _, _ in cast if name != target]
        if impostors_per_person is not None and impostors_per_person < len(others):
            chosen = rng.choice(len(others), size=impostors_per_person, replace=False)
            others = [others[int(i)] for i in sorted(chosen)]
        for trial, other in enumerate(others):
            swap_at = float(rng.uniform(8.0, 12.0))
            before = shots_for(target, photos[target], swap_at, rng, HOLD)
            after = [
                Shot(s.person, s.photo, s.start + swap_at, s.seconds)
                for s in shots_for(other, photos[other], bound + 1.0, rng, HOLD)
            ]
            plans.append(
                SequencePlan(
                    kind="impostor",
                    target=target,
                    family=families[(index + trial) % len(families)],
                    shots=tuple(before + after),
                    duration=swap_at + bound + 1.0,
                    key=len(plans),
                    period=float(rng.uniform(30.0, 90.0)),
                    phase=float(rng.uniform(0.0, 2 * math.pi)),
                    swap_at=swap_at,
                    impostor=other,
                )
            )
    return plans


def scene_of(
    plan: SequencePlan, pictures: dict[str, tuple[RGBImage, ...]], seed: int
) -> Callable[[float], RGBImage]:
    """The camera frame at ``t`` of a plan: the shot's photo placed and degraded, with
    per-frame draws seeded by (seed, plan, time) so a frame is the same whenever drawn."""

    def scene(t: float) -> RGBImage:
        shot = shot_at(plan.shots, t)
        rng = np.random.default_rng([seed, plan.key, round(t * 1000)])
        frame = placed(pictures[shot.person][shot.photo], rng)
        return degraded(frame, plan.family, drift(t, plan.period, plan.phase), rng)

    return scene
