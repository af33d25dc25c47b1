"""The demo's inputs: other people's faces and voices, and clear errors for bad ones."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image
from scipy.signal import resample_poly

from proctorai.cli import main
from proctorai.demo.inputs import (
    BASELINE_SECONDS,
    MIN_BASELINE_PHOTOS,
    InputError,
    load_inputs,
    split_voice,
)
from proctorai.sim.media import AUDIO_RATE, FRAME_HEIGHT, FRAME_WIDTH, face_path, speaker_files


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run ``proctorai demo`` with bad input: exit code 2 and one line on stderr, before
    anything is started."""
    assert main(["demo", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("proctorai demo: ") and "\n" not in err
    return err


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "no such file or folder" in _check(capsys, "--face", str(tmp_path / "nobody.jpg"))


def test_not_an_image(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    assert "not an image" in _check(capsys, "--impostor-face", str(text))


def test_no_face(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    wall = tmp_path / "wall.png"
    Image.new("RGB", (640, 480), (120, 130, 140)).save(wall)
    assert "no face found" in _check(capsys, "--second-face", str(wall))


def test_two_faces_where_one_person_is_needed(capsys: pytest.CaptureFixture[str]) -> None:
    err = _check(capsys, "--face", str(face_path("two_people.jpg")))
    assert "2 faces" in err and "one person" in err


def test_folder_without_images(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("no pictures here")
    assert "holds no file ending in" in _check(capsys, "--face", str(tmp_path))


def test_unreadable_audio(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fake = tmp_path / "voice.wav"
    fake.write_bytes(b"RIFF but not really a wav file")
    assert "not audio we can read" in _check(capsys, "--voice", str(fake))


def test_too_short_other_voice(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    short = tmp_path / "short.wav"
    soundfile.write(short, np.zeros(8000), 16000)
    assert "shorter than" in _check(capsys, "--impostor-voice", str(short))


def test_defaults_give_frames_a_baseline_and_speech() -> None:
    inputs = load_inputs()
    assert set(inputs.frames) == {"genuine", "impostor", "two_people", "empty"}
    assert all(len(f) == FRAME_WIDTH * FRAME_HEIGHT * 4 for f in inputs.frames.values())
    assert len(inputs.baseline_photos) == MIN_BASELINE_PHOTOS  # two photos, completed
    for photo in inputs.baseline_photos:
        assert Image.open(io.BytesIO(photo)).format == "JPEG"
    reading, rate = soundfile.read(io.BytesIO(inputs.baseline_voice))
    assert rate == 16000 and len(reading) == pytest.approx(BASELINE_SECONDS * rate, abs=rate)
    assert inputs.candidate_speech.size > 15 * AUDIO_RATE  # the rest of speaker 1688
    assert inputs.other_speech.size > 10 * AUDIO_RATE  # speaker 2414


def test_one_photo_and_one_file_of_another_rate_are_enough(tmp_path: Path) -> None:
    """A single face photo is completed to three baseline pictures; a 44.1 kHz WAV works."""
    samples, _ = soundfile.read(str(speaker_files("1688")[0]))
    wav = tmp_path / "me.wav"
    soundfile.write(wav, resample_poly(samples, 441, 160), 44100)
    inputs = load_inputs(face=face_path("obama2.jpg"), voice=wav)
    assert len(inputs.baseline_photos) == MIN_BASELINE_PHOTOS


def test_a_short_recording_is_both_baseline_and_speech() -> None:
    rate = 16000
    samples = np.random.default_rng(0).normal(0, 0.1, 18 * rate)
    reading, speech = split_voice(samples, rate)
    assert soundfile.info(io.BytesIO(reading)).duration == pytest.approx(BASELINE_SECONDS)
    assert speech.size == 18 * AUDIO_RATE  # too little left after the baseline: all of it
    with pytest.raises(InputError):
        load_inputs(face=Path("/nonexistent/face.jpg"))
