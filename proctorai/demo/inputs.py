"""The demo's inputs: faces and voices given on the command line, checked and made ready.

Anyone can run the demo on their own data, so everything a person may get wrong is
checked before the stack starts, with a one-line message that says what to fix (the
command then exits with code 2): a path that does not exist, a file that is not an
image or not audio, a photo with no face or with several, a recording too short.

Faces are framed like a webcam picture: each photo is cropped around its face and
scaled so the face is about 160 pixels wide in the 640x480 frame (a face far smaller
than a webcam's, as in a group photo, would not be what the demo means to show).
"Two people in view" is the candidate's picture and the second face side by side.

The candidate's recording is split: its first seconds are the baseline reading (as the
join page records one), the rest is what the candidate says in the interview (the whole
recording again when it is too short to split).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError
from scipy.signal import resample_poly

from proctorai.sim.media import AUDIO_RATE, BACKGROUND, FRAME_HEIGHT, TEST_MEDIA, compose_scene

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp"})
AUDIO_SUFFIXES = frozenset({".wav", ".flac"})
MAX_BASELINE_PHOTOS = 10
MIN_BASELINE_PHOTOS = 3
BASELINE_SCALES = (1.0, 0.9, 0.8)
"""Extra baseline pictures from fewer photos: the same face, a little further away."""
BASELINE_SECONDS = 15.0
"""Length of the baseline reading (the engine needs about 8 s of voiced speech)."""
MIN_SPLIT_REST_SECONDS = 8.0
"""Below this much audio after the baseline, the interview reuses the whole recording."""
MIN_OTHER_VOICE_SECONDS = 3.0
ENROLL_RATE = 16000

FACES = TEST_MEDIA / "faces"
VOICES = TEST_MEDIA / "voices"
DEFAULT_FACE = (FACES / "obama.jpg", FACES / "obama2.jpg")
DEFAULT_IMPOSTOR_FACE = (FACES / "biden.jpg",)
DEFAULT_SECOND_FACE = (FACES / "biden.jpg",)
DEFAULT_VOICE = tuple(sorted(VOICES.glob("1688-*.flac")))
DEFAULT_IMPOSTOR_VOICE = tuple(sorted(VOICES.glob("2414-*.flac")))


class InputError(ValueError):
    """A demo input that cannot be used; the message is the one line shown to the person."""


@dataclass(frozen=True)
class DemoInputs:
    """Everything the simulated candidate shows and says, and its baseline."""

    frames: dict[str, bytes]
    """640x480 RGBA frames: genuine, impostor, two_people, empty."""
    baseline_photos: list[bytes]
    """JPEG pictures of the candidate for ``POST /links/{token}/baseline/face``."""
    baseline_voice: bytes
    """A WAV reading for ``POST /links/{token}/baseline/voice``."""
    candidate_speech: NDArray[np.int16]
    """48 kHz mono: the candidate's answers in the interview."""
    other_speech: NDArray[np.int16]
    """48 kHz mono: the other person talking for the candidate."""


def expand(path: Path | None, defaults: tuple[Path, ...], suffixes: frozenset[str]) -> list[Path]:
    """The files a command-line path names: the file, or the folder's files with one of
    ``suffixes`` (sorted); ``None``: the defaults."""
    if path is None:
        return list(defaults)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in suffixes and p.is_file())
        if not found:
            kinds = ", ".join(sorted(suffixes))
            raise InputError(f"{path}: the folder holds no file ending in {kinds}")
        return found
    return [path]


def read_photo(path: Path) -> Image.Image:
    """The photo at ``path`` in RGB, or a clear error."""
    try:
        with Image.open(path) as image:
            image.load()
            return image.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"{path}: not an image we can read (JPEG or PNG expected)") from exc


def face_portrait(path: Path) -> Image.Image:
    """The photo cropped around its one face, head and shoulders, 480 pixels high.

    The crop is 2.4 face widths wide and 2.9 high with the face a little above the
    middle (out-of-photo parts are the scene's background), so the face ends up about
    165 pixels wide whatever the photo's size.
    """
    from proctoring.face import detect_faces

    photo = read_photo(path)
    boxes = detect_faces(np.asarray(photo, dtype=np.uint8))
    if not boxes:
        raise InputError(f"{path}: no face found in this photo")
    if len(boxes) > 1:
        raise InputError(f"{path}: {len(boxes)} faces in this photo; it must show one person")
    box = boxes[0]
    face = max(box.right - box.left, box.bottom - box.top)
    centre_x, centre_y = (box.left + box.right) / 2, (box.top + box.bottom) / 2
    width, height = 2.4 * face, 2.9 * face
    left, top = centre_x - width / 2, centre_y - 0.42 * height
    crop = Image.new("RGB", (round(width), round(height)), BACKGROUND)
    crop.paste(photo, (-round(left), -round(top)))  # parts outside the photo: background
    scale = FRAME_HEIGHT / crop.height
    return crop.resize((max(1, round(crop.width * scale)), FRAME_HEIGHT), Image.Resampling.LANCZOS)


def _portraits(paths: list[Path]) -> list[Image.Image]:
    return [face_portrait(path) for path in paths]


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def baseline_pictures(portraits: list[Image.Image]) -> list[bytes]:
    """3 to 10 webcam-like pictures of the candidate; fewer photos are completed with the
    same faces a little smaller (``BASELINE_SCALES``)."""
    scenes = [compose_scene([p]) for p in portraits[:MAX_BASELINE_PHOTOS]]
    for scale in BASELINE_SCALES[1:]:
        for portrait in portraits:
            if len(scenes) >= MIN_BASELINE_PHOTOS:
                break
            scenes.append(compose_scene([portrait], scale))
    while len(scenes) < MIN_BASELINE_PHOTOS:  # a single photo: repeat the smallest framing
        scenes.append(scenes[-1])
    return [_jpeg(scene) for scene in scenes]


def read_speech(paths: list[Path]) -> tuple[NDArray[np.float64], int]:
    """The recordings joined, as mono float at their (common) rate, or a clear error."""
    pieces: list[NDArray[np.float64]] = []
    rate: int | None = None
    for path in paths:
        try:
            samples, file_rate = soundfile.read(str(path), dtype="float64", always_2d=True)
        except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
            raise InputError(f"{path}: not audio we can read (WAV or FLAC expected)") from exc
        mono = samples.mean(axis=1)
        if rate is not None and int(file_rate) != rate:
            mono = _resample(mono, int(file_rate), rate)
        rate = rate or int(file_rate)
        pieces.append(mono)
    if rate is None:
        raise InputError("no recording given")
    return np.concatenate(pieces), rate


def _resample(samples: NDArray[np.float64], rate: int, target: int) -> NDArray[np.float64]:
    if rate == target:
        return samples
    ratio = Fraction(target, rate)
    resampled: NDArray[np.float64] = resample_poly(samples, ratio.numerator, ratio.denominator)
    return resampled


def _int16(samples: NDArray[np.float64]) -> NDArray[np.int16]:
    return np.clip(samples * 32767.0, -32768, 32767).astype(np.int16)


def _wav(samples: NDArray[np.float64], rate: int) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, _resample(samples, rate, ENROLL_RATE), ENROLL_RATE, format="WAV")
    return buffer.getvalue()


def split_voice(samples: NDArray[np.float64], rate: int) -> tuple[bytes, NDArray[np.int16]]:
    """The baseline reading (WAV) and the interview speech (48 kHz int16)."""
    cut = int(BASELINE_SECONDS * rate)
    rest = samples[cut:]
    live = rest if rest.size >= MIN_SPLIT_REST_SECONDS * rate else samples
    return _wav(samples[:cut], rate), _int16(_resample(live, rate, AUDIO_RATE))


def load_inputs(
    face: Path | None = None,
    impostor_face: Path | None = None,
    second_face: Path | None = None,
    voice: Path | None = None,
    impostor_voice: Path | None = None,
) -> DemoInputs:
    """Check and prepare every input (``None``: the files shipped in ``demo/media``)."""
    candidate = _portraits(expand(face, DEFAULT_FACE, IMAGE_SUFFIXES))
    impostor = _portraits(expand(impostor_face, DEFAULT_IMPOSTOR_FACE, IMAGE_SUFFIXES))[0]
    second = _portraits(expand(second_face, DEFAULT_SECOND_FACE, IMAGE_SUFFIXES))[0]
    voice_samples, voice_rate = read_speech(expand(voice, DEFAULT_VOICE, AUDIO_SUFFIXES))
    other_samples, other_rate = read_speech(
        expand(impostor_voice, DEFAULT_IMPOSTOR_VOICE, AUDIO_SUFFIXES)
    )
    if other_samples.size < MIN_OTHER_VOICE_SECONDS * other_rate:
        raise InputError(
            f"{impostor_voice}: the other person's recording is shorter than "
            f"{MIN_OTHER_VOICE_SECONDS:.0f} s"
        )
    baseline_voice, candidate_speech = split_voice(voice_samples, voice_rate)
    frames = {
        "genuine": compose_scene([candidate[0]]),
        "impostor": compose_scene([impostor]),
        "two_people": compose_scene([candidate[0], second]),
        "empty": compose_scene([]),
    }
    return DemoInputs(
        frames={name: scene.convert("RGBA").tobytes() for name, scene in frames.items()},
        baseline_photos=baseline_pictures(candidate),
        baseline_voice=baseline_voice,
        candidate_speech=candidate_speech,
        other_speech=_int16(_resample(other_samples, other_rate, AUDIO_RATE)),
    )
