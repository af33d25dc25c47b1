"""``python -m proctoring.bench frames [--faces DIR] [--json]``: face pipeline speed.

Builds 640x480 webcam-like frames with one face from the shared photos: each
photo, fitted into the frame, drifts a few pixels per frame as a seated
person does. The clips are the first ``--photos`` photos (sorted by path) whose
first frame enrolls, none picked by hand. Each clip is enrolled on its first
frame and then analyzed by a fresh ``FaceVerifier`` (one per interview), and
by the seeds' full-frame detect-and-encode, in the same run, pinned to one CPU
core and timed in process CPU time. Accuracy on the same frames is printed
next to the speed (share of frames whose verdict is a match, share of frames
where exactly one face was counted), so speed is not bought with missed
faces. The last line JSON has fps_per_core, seed_fps_per_core and speedup,
plus the figures of our pipeline with each shortcut turned off:
``every_frame_*`` encodes every frame (``reverify_every`` 1), ``no_tracking_*``
searches the whole frame every frame (``full_scan_every`` 1, no still-scene test).
The clips drift as a whole (the photo's background moves too), so the still-scene
test of :mod:`proctoring.face.scene` rarely skips a pass here: the figure is for a
moving scene, not the still one most interviews show.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from proctoring.face.enroll import enroll
from proctoring.face.original_method import original_encode, original_same_person
from proctoring.face.policy import FaceEnrollConfig
from proctoring.face.track import TrackConfig
from proctoring.face.verify import FaceVerifier, Verdict
from proctoring.imaging import RGBImage, fit_within, load_rgb

FRAME_WIDTH, FRAME_HEIGHT = 640, 480
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def photos(faces: Path) -> Iterator[RGBImage]:
    """Every photo under ``faces``, fitted within 90% of the frame."""
    for path in sorted(faces.rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES:
            yield fit_within(load_rgb(path), int(FRAME_WIDTH * 0.9), int(FRAME_HEIGHT * 0.9))


def clips_of(faces: Path, count: int, length: int) -> list[list[RGBImage]]:
    """The first ``count`` clips whose first frame enrolls (one clear face)."""
    clips = []
    for photo in photos(faces):
        frames = clip(photo, length)
        if enroll([frames[0]], policy=FaceEnrollConfig(min_frames=1)).accepted:
            clips.append(frames)
        if len(clips) == count:
            break
    return clips


def clip(photo: RGBImage, length: int) -> list[RGBImage]:
    """A 640x480 clip of the photo drifting 2 px right and 1 px down per frame."""
    frames = []
    height, width = photo.shape[:2]
    top0, left0 = (FRAME_HEIGHT - height) // 2 - length // 2, (FRAME_WIDTH - width) // 2 - length
    for step in range(length):
        frame = np.full((FRAME_HEIGHT, FRAME_WIDTH, 3), 96, dtype=np.uint8)
        top, left = max(0, top0 + step), max(0, left0 + 2 * step)
        frame[top : top + height, left : left + width] = photo[
            : FRAME_HEIGHT - top, : FRAME_WIDTH - left
        ]
        frames.append(frame)
    return frames


def pin_to_one_core() -> None:
    """Run on a single CPU so that per-core figures mean what they say."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


@dataclass(frozen=True)
class Timing:
    """CPU seconds over all judged frames, and what was seen on them."""

    seconds: float
    frames: int
    matches: int
    one_face: int

    @property
    def fps(self) -> float:
        return self.frames / self.seconds

    def rates(self, prefix: str) -> dict[str, float]:
        return {
            f"{prefix}match_rate": round(self.matches / self.frames, 4),
            f"{prefix}one_face_rate": round(self.one_face / self.frames, 4),
        }


def time_ours(
    clips: list[list[RGBImage]],
    reverify_every: int,
    full_scan_every: int,
    still_scan_every: int | None = None,
) -> Timing:
    seconds, frames, matches, one_face = 0.0, 0, 0, 0
    for frames_of_clip in clips:
        enrollment = enroll([frames_of_clip[0]], policy=FaceEnrollConfig(min_frames=1)).enrollment
        if enrollment is None:
            raise RuntimeError("a benchmark clip could not be enrolled")
        verifier = FaceVerifier(
            enrollment,
            reverify_every=reverify_every,
            tracking=TrackConfig(
                full_scan_every=full_scan_every,
                still_scan_every=max(full_scan_every, still_scan_every or full_scan_every),
            ),
        )
        start = time.process_time()
        observations = [verifier.analyze(frame) for frame in frames_of_clip[1:]]
        seconds += time.process_time() - start
        frames += len(observations)
        matches += sum(o.verdict is Verdict.MATCH for o in observations)
        one_face += sum(o.face_count == 1 for o in observations)
    return Timing(seconds, frames, matches, one_face)


def time_seed(clips: list[list[RGBImage]]) -> Timing:
    seconds, frames, matches, one_face = 0.0, 0, 0, 0
    for frames_of_clip in clips:
        known = original_encode(frames_of_clip[0])[0]
        start = time.process_time()
        encoded = [original_encode(frame) for frame in frames_of_clip[1:]]
        seconds += time.process_time() - start
        frames += len(encoded)
        matches += sum(any(original_same_person(known, f)[0] for f in faces) for faces in encoded)
        one_face += sum(len(faces) == 1 for faces in encoded)
    return Timing(seconds, frames, matches, one_face)


def run(args: argparse.Namespace) -> int:
    pin_to_one_core()
    clips = clips_of(args.faces, args.photos, args.clip_length + 1)
    ours = time_ours(clips, args.reverify_every, args.full_scan_every, args.still_scan_every)
    every = time_ours(clips, 1, args.full_scan_every, args.still_scan_every)
    untracked = time_ours(clips, args.reverify_every, 1)  # no tracking, no scene test
    seed = time_seed(clips)
    result: dict[str, Any] = {
        "frames": ours.frames,
        "fps_per_core": round(ours.fps, 2),
        "seed_fps_per_core": round(seed.fps, 2),
        "speedup": round(seed.seconds / ours.seconds, 2),
        **ours.rates(""),
        **seed.rates("seed_"),
        "reverify_every": args.reverify_every,
        "full_scan_every": args.full_scan_every,
        "still_scan_every": args.still_scan_every,
        "every_frame_fps_per_core": round(every.fps, 2),
        "every_frame_speedup": round(seed.seconds / every.seconds, 2),
        **every.rates("every_frame_"),
        "no_tracking_fps_per_core": round(untracked.fps, 2),
        "no_tracking_speedup": round(seed.seconds / untracked.seconds, 2),
        **untracked.rates("no_tracking_"),
    }
    if not args.json:
        for key, value in result.items():
            print(f"{key:26s} {value}")
    else:
        print(json.dumps(result))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("frames", help="frames per second per core, ours vs seeds")
    parser.add_argument("--faces", type=Path, default=Path("../shared/data/faces"))
    parser.add_argument("--photos", type=int, default=10, help="number of one-face photos")
    parser.add_argument("--clip-length", type=int, default=12, help="frames judged per photo")
    parser.add_argument("--reverify-every", type=int, default=4)
    parser.add_argument("--full-scan-every", type=int, default=TrackConfig().full_scan_every)
    parser.add_argument(
        "--still-scan-every",
        type=int,
        default=TrackConfig().still_scan_every,
        help="whole-frame pass bound while the scene away from the face is still",
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.set_defaults(run=run)
