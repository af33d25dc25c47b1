"""Write degraded copies of the shared face photos and the pairs CSVs to judge them.

Usage::

    uv run python -m proctoring.bench.degrade --faces ../shared/data/faces --out /tmp/faces-bench

Every photo with exactly one face becomes a "webcam frame" (fitted within
640x480) under ``clean/``; near-duplicates of one photo (the same picture at
several sizes) are kept once. Each clean frame then gets degraded copies under
``degraded/<kind>/``: small (face 45-70 px), dim (a quarter to 45% of the light, with
sensor noise), blurred, heavily JPEG-compressed, and combinations. Parameters
are drawn from ranges with a fixed seed, so a run is reproducible and another
``--seed`` gives a fresh draw (used to calibrate on one draw and report on
another).

Two CSVs with the header ``file_x,file_y,same`` are written, paths relative
to ``--out``: ``pairs_clean.csv`` (clean against clean, every ordered pair of
different photos) and ``pairs_degraded.csv`` (clean ``file_x`` for enrollment,
degraded ``file_y`` to judge: every genuine pair and as many impostor pairs,
drawn at random).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import random
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from proctoring.face.detect import FaceBox, detect_faces
from proctoring.face.encode import align, encode
from proctoring.imaging import RGBImage, fit_within, load_rgb

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
NEAR_DUPLICATE_DISTANCE = 0.15


@dataclass(frozen=True)
class Source:
    """One usable photo: who it shows, where it goes, its frame and face."""

    person: str
    name: str
    frame: RGBImage
    box: FaceBox


def person_of(relative: Path) -> str:
    """Name the person in a photo from the shared data's layout.

    ``<set>/train/<person>/...`` names the folder; otherwise the file name,
    without ``test_``/``unknown_`` prefixes or size and number suffixes
    (``obama-240p``, ``obama_small``, ``biden2`` are Obama, Obama, Biden).
    """
    parts = relative.parts
    if "train" in parts[:-1]:
        return parts[parts.index("train") + 1].replace("-", "_").lower()
    stem = relative.stem.lower().replace("-", "_")
    stem = re.sub(r"^(test_)?(unknown_)?", "", stem)
    stem = re.sub(r"(_\d+p|_small|_?test)?\d*$", "", stem)
    return stem


def discover(faces: Path) -> Iterator[tuple[Path, str]]:
    """Yield (path, person) for every image under ``faces``, each content once."""
    seen: set[str] = set()
    for path in sorted(faces.rglob("*")):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        yield path, person_of(path.relative_to(faces))


def load_sources(faces: Path) -> list[Source]:
    """Load the single-face photos as 640x480 webcam frames, near-duplicates dropped."""
    kept: list[tuple[Source, np.ndarray]] = []
    for path, person in discover(faces):
        frame = fit_within(load_rgb(path), 640, 480)
        boxes = detect_faces(frame)
        if len(boxes) != 1:
            continue
        embedding = encode(align(frame, boxes[0]))
        duplicate = any(
            other.person == person
            and float(np.linalg.norm(vector - embedding)) < NEAR_DUPLICATE_DISTANCE
            for other, vector in kept
        )
        if not duplicate:
            name = path.relative_to(faces).with_suffix("").as_posix().replace("/", "-")
            kept.append((Source(person, name, frame, boxes[0]), embedding))
    return [source for source, _ in kept]


def _pil(frame: RGBImage) -> Image.Image:
    return Image.fromarray(frame)


def small(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
    """Shrink the frame until the face is 45-70 px wide (a distant candidate)."""
    scale = min(1.0, rng.uniform(45, 70) / max(box.width, 1))
    size = (max(1, round(frame.shape[1] * scale)), max(1, round(frame.shape[0] * scale)))
    return np.asarray(_pil(frame).resize(size, Image.Resampling.BILINEAR))


def dim(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
    """Cut the light to 25-45% and add the sensor noise a dark webcam shows."""
    gain = rng.uniform(0.25, 0.45)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(2, 5), frame.shape)
    return np.clip(frame.astype(np.float64) * gain + noise, 0, 255).astype(np.uint8)


def blur(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
    """Gaussian blur of 1-2.5% of the face width (out of focus or moving)."""
    radius = max(0.8, box.width * rng.uniform(0.01, 0.025))
    return np.asarray(_pil(frame).filter(ImageFilter.GaussianBlur(radius)))


def jpeg(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
    """Re-encode at JPEG quality 10-25, like a starved video link."""
    buffer = io.BytesIO()
    _pil(frame).save(buffer, "JPEG", quality=rng.randint(10, 25))
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"))


Degradation = Callable[[RGBImage, FaceBox, random.Random], RGBImage]
KINDS: dict[str, tuple[Degradation, ...]] = {
    "small": (small,),
    "dim": (dim,),
    "blur": (blur,),
    "jpeg": (jpeg,),
    "small_jpeg": (small, jpeg),
    "dim_jpeg": (dim, jpeg),
    "dim_blur": (dim, blur),
    "blur_jpeg": (blur, jpeg),
    "small_dim": (small, dim),
    "dim_blur_jpeg": (dim, blur, jpeg),
}


def degrade(source: Source, steps: tuple[Degradation, ...], rng: random.Random) -> RGBImage:
    """Apply degradation steps in order (the box is rescaled for later steps)."""
    frame, box = source.frame, source.box
    for step in steps:
        before = frame.shape[1]
        frame = step(frame, box, rng)
        factor = frame.shape[1] / before
        box = FaceBox(
            top=round(box.top * factor),
            right=round(box.right * factor),
            bottom=round(box.bottom * factor),
            left=round(box.left * factor),
            score=box.score,
        )
    return frame


def write_image(frame: RGBImage, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(frame).save(path, "PNG")


def write_pairs(path: Path, pairs: list[tuple[str, str, int]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_x", "file_y", "same"])
        writer.writerows(pairs)


def build(faces: Path, out: Path, seed: int) -> tuple[int, int, int]:
    """Write the clean and degraded images and both CSVs; return counts."""
    rng = random.Random(seed)
    sources = load_sources(faces)
    clean = {}
    for source in sources:
        relative = f"clean/{source.person}/{source.name}.png"
        write_image(source.frame, out / relative)
        clean[id(source)] = relative
    degraded: list[tuple[Source, str]] = []
    for source in sources:
        for kind, steps in KINDS.items():
            relative = f"degraded/{kind}/{source.person}/{source.name}.png"
            write_image(degrade(source, steps, rng), out / relative)
            degraded.append((source, relative))

    clean_pairs = [
        (clean[id(x)], clean[id(y)], int(x.person == y.person))
        for x in sources
        for y in sources
        if x is not y
    ]
    genuine = [
        (clean[id(x)], path, 1)
        for x in sources
        for y, path in degraded
        if x is not y and x.person == y.person
    ]
    impostor_pool = [
        (clean[id(x)], path, 0) for x in sources for y, path in degraded if x.person != y.person
    ]
    impostor = rng.sample(impostor_pool, min(len(impostor_pool), len(genuine)))
    write_pairs(out / "pairs_clean.csv", clean_pairs)
    write_pairs(out / "pairs_degraded.csv", genuine + impostor)
    return len(sources), len(clean_pairs), len(genuine) + len(impostor)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="proctorai bench degrade",
        description="Write degraded copies of face photos and the pairs CSVs to judge them.",
    )
    parser.add_argument("--faces", type=Path, required=True, help="folder of face photos")
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random draws")
    args = parser.parse_args(argv)
    photos, clean_pairs, degraded_pairs = build(args.faces, args.out, args.seed)
    print(
        f"{photos} photos, {clean_pairs} clean pairs, {degraded_pairs} degraded pairs "
        f"written to {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
