"""The numpy port of dlib's face ResNet against dlib itself, on real aligned face chips."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dlib
import numpy as np
import pytest

from proctoring.face.detect import detect_faces
from proctoring.face.dlib_weights import Conv, DlibFormatError, parse_network, read_network
from proctoring.face.encode import align, encode
from proctoring.face.models import shared_encoder
from proctoring.face.quality import brighten
from proctoring.face.resnet import FaceEncoder, default_model_path
from tests.support.face_images import blurred, darkened, on_webcam_canvas, photo

TOLERANCE = 1e-5  # measured here: 3.3e-7 on embeddings, 5e-7 on distances


def _frames() -> dict[str, np.ndarray]:
    """Real photos of four people (two in one photo), and dim, small and soft copies."""
    frames = {
        name: photo(name)
        for name in ("obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg", "two_people.jpg")
    }
    frames["biden dim"] = darkened(photo("biden.jpg"), 0.3)
    frames["obama small"] = on_webcam_canvas(photo("obama2.jpg"), 0.25)
    frames["obama blurred"] = blurred(photo("obama.jpg"), 2.0)
    return frames


@pytest.fixture(scope="module")
def chips() -> list[tuple[str, np.ndarray]]:
    found = []
    for name, frame in _frames().items():
        for box in detect_faces(frame):
            found.append((name, align(frame, box).chip))
    return found


@pytest.fixture(scope="module")
def dlib_encoder() -> dlib.face_recognition_model_v1:
    return dlib.face_recognition_model_v1(str(default_model_path()))


@pytest.fixture(scope="module")
def port() -> FaceEncoder:
    return FaceEncoder.from_models()


def _distances(embeddings: np.ndarray) -> np.ndarray:
    return np.linalg.norm(embeddings[:, None] - embeddings[None], axis=2)


def test_parser_reads_the_whole_network() -> None:
    network = read_network(default_model_path())
    assert network.loss == ("loss_metric_2", pytest.approx((0.04, 0.6)))
    np.testing.assert_allclose(network.input.means, [122.782, 117.001, 104.298], rtol=1e-6)
    convs = [layer for layer in network.layers if isinstance(layer, Conv)]
    assert len(convs) == 29
    assert convs[0].filters.shape == (32, 3, 7, 7)
    assert convs[0].stride == (2, 2) and convs[0].padding == (0, 0)
    assert convs[-1].filters.shape == (256, 256, 3, 3)


def test_parser_refuses_damaged_files() -> None:
    data = default_model_path().read_bytes()
    with pytest.raises(DlibFormatError):
        parse_network(data[: len(data) // 2])
    with pytest.raises(DlibFormatError):
        parse_network(data + b"\x00")
    with pytest.raises(DlibFormatError):
        parse_network(b"\x01\x01\x05hello")


def test_port_matches_dlib_on_real_chips(
    chips: list[tuple[str, np.ndarray]],
    dlib_encoder: dlib.face_recognition_model_v1,
    port: FaceEncoder,
) -> None:
    assert len(chips) >= 9  # two_people gives two faces
    reference = np.array([dlib_encoder.compute_face_descriptor(chip, 0) for _, chip in chips])
    ported = np.array([port.compute(chip) for _, chip in chips])
    assert ported.dtype == np.float64 and ported.shape == (len(chips), 128)
    assert np.abs(ported - reference).max() < TOLERANCE
    assert np.abs(_distances(ported) - _distances(reference)).max() < TOLERANCE
    # Not trivially equal: the chips are several people, and dlib's descriptors are not
    # normalised (norms about 1.3-1.4).
    assert _distances(reference).max() > 0.6
    assert not np.allclose(np.linalg.norm(reference, axis=1), 1.0)


def test_one_jitter_is_one_plain_pass_in_dlib(
    chips: list[tuple[str, np.ndarray]], dlib_encoder: dlib.face_recognition_model_v1
) -> None:
    """dlib jitters only for num_jitters > 1, so encode() may use the port for 0 and 1."""
    chip = chips[0][1]
    plain = np.asarray(dlib_encoder.compute_face_descriptor(chip, 0))
    one = np.asarray(dlib_encoder.compute_face_descriptor(chip, 1))
    np.testing.assert_array_equal(plain, one)


def test_encode_uses_the_port_and_dlib_for_jitter(
    chips: list[tuple[str, np.ndarray]], dlib_encoder: dlib.face_recognition_model_v1
) -> None:
    frame = darkened(photo("obama.jpg"), 0.35)
    face = align(frame, detect_faces(frame)[0])
    lifted = brighten(face.chip, face.quality.luminance)
    assert not np.array_equal(lifted, face.chip)  # the dim chip is lifted before encoding
    expected = shared_encoder().compute(lifted)
    np.testing.assert_array_equal(encode(face), expected)
    np.testing.assert_array_equal(encode(face, num_jitters=1), expected)
    reference = np.asarray(dlib_encoder.compute_face_descriptor(lifted, 0))
    assert np.abs(encode(face) - reference).max() < TOLERANCE
    jittered = encode(face, num_jitters=2)  # dlib's random crops: near, not equal
    assert jittered.shape == (128,)
    assert 0 < np.linalg.norm(jittered - reference) < 0.2


def test_port_is_thread_safe(chips: list[tuple[str, np.ndarray]], port: FaceEncoder) -> None:
    sequential = [port.compute(chip) for _, chip in chips]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(port.compute, [chip for _, chip in chips] * 2))
    # A race on shared state gives garbage (differences of 0.01 and more); what threads
    # may change is BLAS's summation order when it splits a product differently under
    # load (seen: 9e-8). The embedding's own precision is 1e-6 (dlib agrees to 3.3e-7).
    for index, embedding in enumerate(parallel):
        np.testing.assert_allclose(embedding, sequential[index % len(chips)], rtol=0, atol=1e-6)


def test_port_refuses_wrong_chips(port: FaceEncoder) -> None:
    with pytest.raises(ValueError):
        port.compute(np.zeros((150, 150), dtype=np.uint8))
    with pytest.raises(ValueError):
        port.compute(np.zeros((160, 160, 3), dtype=np.uint8))
    assert Path(default_model_path()).name == "dlib_face_recognition_resnet_model_v1.dat"
