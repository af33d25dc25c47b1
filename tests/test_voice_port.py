"""The numpy GE2E port against Resemblyzer's own outputs, and the safe checkpoint loader."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from proctoring.voice.audio_io import load_audio
from proctoring.voice.ge2e import GE2EEncoder, default_weights_path, partial_starts
from proctoring.voice.mel import mel_spectrogram
from proctoring.voice.torch_legacy import (
    LEGACY_MAGIC_NUMBER,
    LEGACY_PROTOCOL_VERSION,
    LegacyCheckpointError,
    load_legacy_checkpoint,
)

DATA = Path(__file__).parent / "data" / "voices"
REFERENCE = np.load(DATA / "ge2e_reference.npz")


@pytest.fixture(scope="module")
def encoder() -> GE2EEncoder:
    return GE2EEncoder.load()


def _reference_index(name: str) -> int:
    files = [str(f) for f in REFERENCE["files"]]
    return next(i for i, f in enumerate(files) if f.endswith(name))


def test_checkpoint_loads_as_numpy_state_dict() -> None:
    checkpoint = load_legacy_checkpoint(default_weights_path())
    state = checkpoint["model_state"]
    assert state["lstm.weight_ih_l0"].shape == (1024, 40)
    assert state["lstm.weight_hh_l2"].shape == (1024, 256)
    assert state["linear.weight"].shape == (256, 256)
    assert all(isinstance(v, np.ndarray) for v in state.values())
    # The LSTM weights share one flattened storage: views at different offsets must differ.
    assert not np.array_equal(state["lstm.bias_ih_l0"], state["lstm.bias_hh_l0"])


def _legacy_bytes(payload: bytes) -> bytes:
    header = b"".join(
        pickle.dumps(part, protocol=2)
        for part in (LEGACY_MAGIC_NUMBER, LEGACY_PROTOCOL_VERSION, {"little_endian": True})
    )
    return header + payload


def test_loader_refuses_arbitrary_globals() -> None:
    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            import os

            return (os.system, ("true",))

    malicious = _legacy_bytes(pickle.dumps(Exploit(), protocol=2))
    with pytest.raises(LegacyCheckpointError, match="refusing"):
        load_legacy_checkpoint(malicious)


def test_loader_refuses_other_formats() -> None:
    with pytest.raises(LegacyCheckpointError, match="zip"):
        load_legacy_checkpoint(b"PK\x03\x04rest")
    with pytest.raises(LegacyCheckpointError, match="magic"):
        load_legacy_checkpoint(pickle.dumps(12345, protocol=2))
    truncated = default_weights_path().read_bytes()[:100_000]
    with pytest.raises(LegacyCheckpointError):
        load_legacy_checkpoint(truncated)


def test_mel_matches_librosa_reference() -> None:
    wav = load_audio(DATA / "librispeech" / "1688-142285-0000.flac")
    mel = mel_spectrogram(wav)
    expected = REFERENCE["mel_first_file"]
    assert mel.shape == expected.shape
    relative = np.abs(mel - expected) / (np.abs(expected) + 1e-6)
    assert float(relative.max()) < 1e-4


def test_partial_windows_follow_embed_utterance() -> None:
    # 3 s: 301 frames, 77-frame step; the third window is 91% covered and kept.
    assert partial_starts(48000) == [0, 77, 154]
    # 1 s: a single zero-padded window, whatever its coverage.
    assert partial_starts(16000) == [0]


@pytest.mark.parametrize("name", ["1688-142285-0000.flac", "2609-156975-0000.flac"])
def test_embeddings_agree_with_pytorch_within_1e3(encoder: GE2EEncoder, name: str) -> None:
    wav = load_audio(DATA / "librispeech" / name)
    embedding = encoder.embed_utterance(wav)
    expected = REFERENCE["embeddings"][_reference_index(name)]
    assert float(np.abs(embedding - expected).max()) <= 1e-3
    assert abs(float(np.linalg.norm(embedding)) - 1.0) < 1e-5


def test_batched_embedding_equals_one_by_one(encoder: GE2EEncoder) -> None:
    wavs = [
        load_audio(DATA / "librispeech" / n)
        for n in ("1688-142285-0002.flac", "2609-156975-0000.flac")
    ]
    together = encoder.embed_utterances(wavs)
    for wav, result in zip(wavs, together, strict=True):
        assert np.allclose(result.embedding, encoder.embed_utterance(wav), atol=1e-5)
