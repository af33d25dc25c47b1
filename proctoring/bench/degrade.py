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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

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


# --- Wider conditions (issue 12): what other cameras, rooms and links deliver. ---
# Each takes (frame, box, rng) like the classic ones and returns a frame of the same
# size (except where a later step needs it otherwise), deterministic for one rng state.


def _height(box: FaceBox) -> int:
    return max(box.bottom - box.top, 1)


def _rescale(frame: RGBImage, size: tuple[int, int]) -> RGBImage:
    return np.asarray(_pil(frame).resize(size, Image.Resampling.BILINEAR))


def _downscale_to(lines: int) -> Degradation:
    def downscale(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
        height, width = frame.shape[:2]
        scale = min(1.0, lines / height)
        low = (max(1, round(width * scale)), max(1, round(height * scale)))
        return _rescale(_rescale(frame, low), (width, height))

    downscale.__name__ = f"down{lines}"
    downscale.__doc__ = (
        f"Whole frame to {lines} lines and back up: what a congested simulcast layer shows."
    )
    return downscale


down240 = _downscale_to(240)
down180 = _downscale_to(180)


def motion_blur(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
    """Directional (line) blur of 4-10% of the face width at a random angle: a head
    moving during the exposure, which a Gaussian blur does not look like."""
    length = max(3, round(box.width * rng.uniform(0.04, 0.10)))
    angle = rng.uniform(0, np.pi)
    height, width = frame.shape[:2]
    pad = length
    padded = np.pad(frame.astype(np.float32), ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    total = np.zeros((height, width, 3), dtype=np.float32)
    for step in np.linspace(-length / 2, length / 2, length):
        dx, dy = round(step * np.cos(angle)), round(step * np.sin(angle))
        total += padded[pad + dy : pad + dy + height, pad + dx : pad + dx + width]
    return np.clip(total / length + 0.5, 0, 255).astype(np.uint8)


def low_light(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
    """A dark room on a small sensor: 12-30% of the light, shot noise that grows with
    the signal (Poisson-like, sd = sqrt(k * value)), read noise, and a camera gain that
    brings the picture half-way back up (amplifying the noise with it)."""
    gain = rng.uniform(0.12, 0.30)
    noise = np.random.default_rng(rng.randrange(2**32))
    signal = frame.astype(np.float64) * gain
    shot = noise.normal(0, 1, frame.shape) * np.sqrt(rng.uniform(0.5, 1.5) * signal)
    read = noise.normal(0, rng.uniform(1.5, 3.0), frame.shape)
    amplified = (signal + shot + read) * rng.uniform(1.5, 2.0)
    return np.clip(amplified, 0, 255).astype(np.uint8)


def gamma(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
    """A wrong tone curve: gamma 0.5-0.7 (washed out) or 1.6-2.2 (crushed shadows)."""
    value = rng.uniform(0.5, 0.7) if rng.random() < 0.5 else rng.uniform(1.6, 2.2)
    table = np.clip(255.0 * (np.arange(256) / 255.0) ** value + 0.5, 0, 255).astype(np.uint8)
    return table[frame]


def white_balance(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
    """A colour cast: warm (tungsten) or cool (daylight on an indoor setting) gains of
    15-35% on red and blue in opposite directions."""
    strength = rng.uniform(0.15, 0.35)
    sign = 1.0 if rng.random() < 0.5 else -1.0
    gains = np.array([1 + sign * strength, 1.0, 1 - sign * strength])
    return np.clip(frame.astype(np.float64) * gains, 0, 255).astype(np.uint8)


def _face_mask(shape: tuple[int, ...], box: FaceBox, grow: float) -> np.ndarray:
    """Soft elliptic mask (1 on the face, 0 far from it) of a box grown by ``grow``."""
    height, width = shape[:2]
    cy, cx = (box.top + box.bottom) / 2, (box.left + box.right) / 2
    ry, rx = max(_height(box), 1) * grow / 2, max(box.width, 1) * grow / 2
    ys, xs = np.ogrid[:height, :width]
    r = np.sqrt(((ys - cy) / ry) ** 2 + ((xs - cx) / rx) ** 2)
    return np.clip(1.5 - r, 0.0, 1.0)[:, :, None]


def backlight(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
    """A window behind the candidate: the background blown out towards white, the face
    exposed at 30-55% (the camera meters for the bright background)."""
    face_gain = rng.uniform(0.30, 0.55)
    glare = rng.uniform(0.55, 0.85)
    image = frame.astype(np.float64)
    bright = image * (1 - glare) + 255.0 * glare
    mask = _face_mask(frame.shape, box, grow=1.7)
    out = mask * image * face_gain + (1 - mask) * bright
    return np.clip(out, 0, 255).astype(np.uint8)


SKIN_TONES = ((224, 172, 140), (198, 134, 94), (141, 85, 56), (92, 58, 40))


def _draw(frame: RGBImage, paint: Callable[[ImageDraw.ImageDraw], None]) -> RGBImage:
    image = _pil(frame).copy()
    paint(ImageDraw.Draw(image))
    return np.asarray(image)


def occlude_hand(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
    """A hand over the mouth and chin: a skin-coloured ellipse covering 25-45% of the
    face's height from the chin up, slightly off-centre, with soft edges."""
    colour = SKIN_TONES[rng.randrange(len(SKIN_TONES))]
    w, h = box.width, _height(box)
    cx = (box.left + box.right) / 2 + rng.uniform(-0.15, 0.15) * w
    top = box.bottom - rng.uniform(0.25, 0.45) * h
    ellipse = (cx - 0.45 * w, top, cx + 0.45 * w, box.bottom + 0.35 * h)
    mask = Image.new("L", (frame.shape[1], frame.shape[0]), 0)
    ImageDraw.Draw(mask).ellipse(ellipse, fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(max(1.0, 0.02 * w)))  # soft edge only
    hand = Image.new("RGB", mask.size, colour)
    return np.asarray(Image.composite(hand, _pil(frame), mask))


def occlude_mug(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
    """A mug raised to the mouth: a dark rectangle 35-50% of the face wide covering the
    lower 30-45% of the face, to one side."""
    w, h = box.width, _height(box)
    width = rng.uniform(0.35, 0.50) * w
    left = box.left + rng.uniform(0.1, 0.9) * w - width / 2
    top = box.bottom - rng.uniform(0.30, 0.45) * h
    shade = rng.randint(20, 70)
    rectangle = (left, top, left + width, box.bottom + 0.6 * h)
    return _draw(frame, lambda d: d.rectangle(rectangle, fill=(shade, shade, shade + 10)))


def occlude_hair(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
    """Hair over the forehead: 6-12 dark strands, 2-5% of the face wide, from above the
    box down to 25-45% of the face's height (fringe in the eyes at the longest)."""
    w, h = box.width, _height(box)
    shade = rng.randint(15, 60)
    strands = []
    for _ in range(rng.randint(6, 12)):
        x0 = box.left + rng.uniform(0.05, 0.95) * w
        x1 = x0 + rng.uniform(-0.15, 0.15) * w
        y1 = box.top + rng.uniform(0.25, 0.45) * h
        strands.append(
            ((x0, box.top - 0.2 * h), (x1, y1), max(1, round(rng.uniform(0.02, 0.05) * w)))
        )

    def paint(draw: ImageDraw.ImageDraw) -> None:
        for start, end, thickness in strands:
            draw.line((start, end), fill=(shade, shade - 5 if shade > 5 else 0, 0), width=thickness)

    return _draw(frame, paint)


def _jpeg_at(quality: int) -> Degradation:
    def jpeg_fixed(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
        buffer = io.BytesIO()
        _pil(frame).save(buffer, "JPEG", quality=quality)
        buffer.seek(0)
        return np.asarray(Image.open(buffer).convert("RGB"))

    jpeg_fixed.__name__ = f"jpeg_q{quality}"
    jpeg_fixed.__doc__ = f"JPEG at quality {quality}."
    return jpeg_fixed


VIDEO_FRAMES = 8
VIDEO_FPS = 15
VIDEO_CODECS = {"vp8": "libvpx", "h264": "libx264"}


def video_codec_available(codec: str) -> bool:
    """Whether PyAV's bundled FFmpeg has the encoder for ``vp8`` or ``h264``."""
    import av

    return VIDEO_CODECS[codec] in av.codecs_available


def video_roundtrip(frame: RGBImage, codec: str, bitrate: int, seed: int) -> RGBImage:
    """Encode ``VIDEO_FRAMES`` frames of the still (each with its own faint sensor
    noise, as a webcam gives) at ``bitrate`` bit/s and return the last one decoded: the
    artefacts of a rate-limited real-time stream, not those of one key frame."""
    import av

    height, width = frame.shape[:2]
    even = np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
    noise = np.random.default_rng(seed)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="matroska") as output:
        stream = cast("av.VideoStream", output.add_stream(VIDEO_CODECS[codec], rate=VIDEO_FPS))
        stream.width, stream.height = even.shape[1], even.shape[0]
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = bitrate
        stream.thread_count = 1
        if codec == "h264":
            stream.options = {"preset": "ultrafast", "tune": "zerolatency"}
        else:
            stream.options = {"deadline": "realtime", "cpu-used": "8", "threads": "1"}
        for index in range(VIDEO_FRAMES):
            jitter = noise.integers(-2, 3, even.shape)
            noisy = np.clip(even.astype(np.int16) + jitter, 0, 255).astype(np.uint8)
            video_frame = av.VideoFrame.from_ndarray(noisy, format="rgb24")
            video_frame.pts = index
            for packet in stream.encode(video_frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    buffer.seek(0)
    last = even
    with cast("av.container.InputContainer", av.open(buffer)) as source:
        for decoded in source.decode(video=0):
            last = np.asarray(decoded.to_ndarray(format="rgb24"), dtype=np.uint8)
    return np.ascontiguousarray(last[:height, :width])


def _video_at(codec: str, kbps: int) -> Degradation:
    def video(frame: RGBImage, box: FaceBox, rng: random.Random) -> RGBImage:
        return video_roundtrip(frame, codec, kbps * 1000, rng.randrange(2**32))

    video.__name__ = f"{codec}_{kbps}k"
    video.__doc__ = f"{codec.upper()} at {kbps} kbit/s (640x480, {VIDEO_FPS} fps)."
    return video


VIDEO_KBPS = (100, 250, 500)
WIDE_ONLY: dict[str, tuple[Degradation, ...]] = {
    "down240": (down240,),
    "down180": (down180,),
    "motion_blur": (motion_blur,),
    "low_light": (low_light,),
    "gamma": (gamma,),
    "white_balance": (white_balance,),
    "backlight": (backlight,),
    "occlude_hand": (occlude_hand,),
    "occlude_mug": (occlude_mug,),
    "occlude_hair": (occlude_hair,),
    **{f"jpeg_q{q}": (_jpeg_at(q),) for q in (60, 30, 15, 8)},
    "down180_motion_blur": (down180, motion_blur),
    "low_light_jpeg_q30": (low_light, _jpeg_at(30)),
    "backlight_down240": (backlight, down240),
    "white_balance_gamma_occlude_hair": (white_balance, gamma, occlude_hair),
    "occlude_hand_down240": (occlude_hand, down240),
}


def video_kinds() -> dict[str, tuple[Degradation, ...]]:
    """VP8 / H.264 conditions whose encoder PyAV has here (none when it has neither)."""
    kinds: dict[str, tuple[Degradation, ...]] = {}
    for codec in VIDEO_CODECS:
        if not video_codec_available(codec):
            continue
        for kbps in VIDEO_KBPS:
            kinds[f"{codec}_{kbps}k"] = (_video_at(codec, kbps),)
        kinds[f"low_light_{codec}_{VIDEO_KBPS[1]}k"] = (low_light, _video_at(codec, VIDEO_KBPS[1]))
        kinds[f"down240_motion_blur_{codec}_{VIDEO_KBPS[0]}k"] = (
            down240,
            motion_blur,
            _video_at(codec, VIDEO_KBPS[0]),
        )
    return kinds


def wide_kinds() -> dict[str, tuple[Degradation, ...]]:
    """Every condition: today's ten, the wider families and the video codecs."""
    return {**KINDS, **WIDE_ONLY, **video_kinds()}


def kind_rng(seed: int, kind: str, name: str) -> random.Random:
    """One generator per (seed, condition, photo): a condition's draw does not depend
    on which other conditions were drawn before it, so adding one changes no other."""
    digest = hashlib.sha256(f"{seed}/{kind}/{name}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


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


def write_pairs(path: Path, pairs: Sequence[tuple[str | int, ...]], family: bool = False) -> None:
    """Pairs CSV ``file_x,file_y,same`` (and ``family`` when asked: readers that
    know only the first three columns are unaffected)."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_x", "file_y", "same", *(["family"] if family else [])])
        writer.writerows(pairs)


def write_images(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """``images.csv``: every image written, whose it is, from which photo, which family."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "person", "photo", "family"])
        writer.writerows(rows)


def build(faces: Path, out: Path, seed: int, conditions: str = "classic") -> tuple[int, int, int]:
    """Write the clean and degraded images and both CSVs; return counts.

    ``conditions="classic"`` writes today's ten conditions, exactly as before (same
    draws for a seed). ``"wide"`` writes those same images and then every wider family
    (each drawn from its own generator, see ``kind_rng``), adds a ``family`` column to
    ``pairs_degraded.csv`` and writes ``images.csv`` (what ``faces-cv`` reads).
    """
    rng = random.Random(seed)
    sources = load_sources(faces)
    clean = {}
    images: list[tuple[str, str, str, str]] = []
    for source in sources:
        relative = f"clean/{source.person}/{source.name}.png"
        write_image(source.frame, out / relative)
        clean[id(source)] = relative
        images.append((relative, source.person, source.name, "clean"))
    degraded: list[tuple[Source, str, str]] = []
    for source in sources:
        for kind, steps in KINDS.items():
            relative = f"degraded/{kind}/{source.person}/{source.name}.png"
            write_image(degrade(source, steps, rng), out / relative)
            degraded.append((source, relative, kind))
    if conditions == "wide":
        extra = {k: v for k, v in wide_kinds().items() if k not in KINDS}
        for source in sources:
            for kind, steps in extra.items():
                relative = f"degraded/{kind}/{source.person}/{source.name}.png"
                frame = degrade(source, steps, kind_rng(seed, kind, source.name))
                write_image(frame, out / relative)
                degraded.append((source, relative, kind))
    images.extend((path, y.person, y.name, kind) for y, path, kind in degraded)

    clean_pairs = [
        (clean[id(x)], clean[id(y)], int(x.person == y.person))
        for x in sources
        for y in sources
        if x is not y
    ]
    genuine = [
        (clean[id(x)], path, 1, kind)
        for x in sources
        for y, path, kind in degraded
        if x is not y and x.person == y.person
    ]
    impostor_pool = [
        (clean[id(x)], path, 0, kind)
        for x in sources
        for y, path, kind in degraded
        if x.person != y.person
    ]
    impostor = rng.sample(impostor_pool, min(len(impostor_pool), len(genuine)))
    write_pairs(out / "pairs_clean.csv", clean_pairs)
    if conditions == "wide":
        write_pairs(out / "pairs_degraded.csv", genuine + impostor, family=True)
        write_images(out / "images.csv", images)
    else:
        write_pairs(out / "pairs_degraded.csv", [row[:3] for row in genuine + impostor])
    return len(sources), len(clean_pairs), len(genuine) + len(impostor)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="proctorai bench degrade",
        description="Write degraded copies of face photos and the pairs CSVs to judge them.",
    )
    parser.add_argument("--faces", type=Path, required=True, help="folder of face photos")
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random draws")
    parser.add_argument(
        "--conditions",
        choices=("classic", "wide"),
        default="classic",
        help="classic: today's ten conditions; wide: also the wider families (issue 12)",
    )
    args = parser.parse_args(argv)
    photos, clean_pairs, degraded_pairs = build(args.faces, args.out, args.seed, args.conditions)
    print(
        f"{photos} photos, {clean_pairs} clean pairs, {degraded_pairs} degraded pairs "
        f"written to {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
