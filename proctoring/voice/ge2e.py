"""GE2E speaker encoder (Resemblyzer's published d-vector model) running on numpy.

Why a port: the weights are public (``resemblyzer/pretrained.pt``) but the reference code
needs PyTorch, which cannot be installed here. The network is small: a 3-layer LSTM of 256
units over 40-channel mel frames, then a 256->256 linear layer, ReLU and L2 normalisation of
the last hidden state. An utterance is cut into 1.6 s partial windows (160 frames, 1.3 per
second); its embedding is the L2-normalised mean of the partial embeddings, exactly as
``VoiceEncoder.embed_utterance`` does. Partials of many utterances go through the LSTM
together in one batch, which is where numpy gets its speed.

The encoder keeps only read-only weights, so one instance can be shared by many threads.
The matrices are small (a few hundred rows), so the forward pass runs BLAS on one thread:
measured here, OpenBLAS's own threads made it 10x slower on a loaded 2-core machine, and a
server analyzing several candidates at once gets its parallelism from the sessions instead.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits

from proctoring.voice.mel import HOP_LENGTH, N_MELS, mel_spectrogram
from proctoring.voice.torch_legacy import load_legacy_checkpoint

PARTIAL_FRAMES = 160  # 1.6 s of 10 ms frames
PARTIAL_RATE = 1.3  # partial windows per second of audio
MIN_COVERAGE = 0.75  # keep a zero-padded last window only if it is this full
# Live analysis uses a denser 2.5 windows per second (0.4 s step): finer time resolution for
# spotting a second voice, and the same verification accuracy as 1.3 (measured).
ANALYSIS_RATE = 2.5
HIDDEN_SIZE = 256
EMBEDDING_SIZE = 256
NUM_LAYERS = 3
MODEL_NAME = "ge2e-resemblyzer-0.1.4"
_BATCH_PARTIALS = 256  # partial windows per LSTM batch: bounds memory, keeps BLAS busy


def default_weights_path() -> Path:
    """Where the resemblyzer wheel installed its ``pretrained.pt`` (without importing it)."""
    located = importlib.metadata.distribution("resemblyzer").locate_file(
        "resemblyzer/pretrained.pt"
    )
    return Path(str(located))


def partial_starts(
    n_samples: int, rate: float = PARTIAL_RATE, min_coverage: float = MIN_COVERAGE
) -> list[int]:
    """First mel frame of each partial window for an utterance of ``n_samples`` samples.

    Windows step by ``1 / rate`` seconds and cover the whole utterance; the last one is
    dropped when less than ``min_coverage`` of it holds audio, unless it is the only one.
    """
    if not 0 < min_coverage <= 1:
        raise ValueError("min_coverage must be in (0, 1]")
    n_frames = int(np.ceil((n_samples + 1) / HOP_LENGTH))
    frame_step = int(np.round((16000 / rate) / HOP_LENGTH))
    if not 0 < frame_step <= PARTIAL_FRAMES:
        raise ValueError("rate out of range for 1.6 s partial windows")
    steps = max(1, n_frames - PARTIAL_FRAMES + frame_step + 1)
    starts = list(range(0, steps, frame_step))
    last_start = starts[-1] * HOP_LENGTH
    coverage = (n_samples - last_start) / (PARTIAL_FRAMES * HOP_LENGTH)
    if coverage < min_coverage and len(starts) > 1:
        starts.pop()
    return starts


@dataclass(frozen=True)
class UtteranceEmbedding:
    """An utterance's embedding with the partial-window embeddings it averages.

    ``partial_offsets`` are the sample offsets where each 1.6 s partial window starts.
    """

    embedding: np.ndarray
    partials: np.ndarray
    partial_offsets: tuple[int, ...]


def _l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, np.finfo(np.float32).tiny)


class GE2EEncoder:
    """Numpy forward pass of the GE2E LSTM speaker encoder."""

    def __init__(self, model_state: Mapping[str, np.ndarray]) -> None:
        def weight(name: str) -> np.ndarray:
            array = np.ascontiguousarray(model_state[name], dtype=np.float32)
            array.setflags(write=False)
            return array

        self._w_ih = [weight(f"lstm.weight_ih_l{k}").T.copy() for k in range(NUM_LAYERS)]
        self._w_hh = [weight(f"lstm.weight_hh_l{k}").T.copy() for k in range(NUM_LAYERS)]
        self._bias = [
            weight(f"lstm.bias_ih_l{k}") + weight(f"lstm.bias_hh_l{k}") for k in range(NUM_LAYERS)
        ]
        self._linear_w = weight("linear.weight").T.copy()
        self._linear_b = weight("linear.bias")
        if self._w_ih[0].shape != (N_MELS, 4 * HIDDEN_SIZE):
            raise ValueError("weights do not match a 40-mel, 256-unit GE2E encoder")

    @classmethod
    def load(cls, path: str | Path | None = None) -> GE2EEncoder:
        """Load the published weights (default: the ones in the resemblyzer wheel)."""
        checkpoint = load_legacy_checkpoint(path or default_weights_path())
        return cls(checkpoint["model_state"])

    def _lstm_last_hidden(self, mels: np.ndarray) -> np.ndarray:
        """Run the 3 LSTM layers over ``(batch, frames, 40)``; return the last layer's h_T."""
        sequence = np.ascontiguousarray(mels.transpose(1, 0, 2), dtype=np.float32)  # (T, B, I)
        steps, batch, _ = sequence.shape
        hidden = np.zeros((batch, HIDDEN_SIZE), dtype=np.float32)
        size = HIDDEN_SIZE
        for layer in range(NUM_LAYERS):
            inputs = sequence @ self._w_ih[layer] + self._bias[layer]  # (T, B, 4H)
            hidden = np.zeros((batch, size), dtype=np.float32)
            cell = np.zeros((batch, size), dtype=np.float32)
            last_layer = layer == NUM_LAYERS - 1
            outputs = None if last_layer else np.empty((steps, batch, size), dtype=np.float32)
            for t in range(steps):
                gates = inputs[t] + hidden @ self._w_hh[layer]
                # PyTorch gate order: input, forget, cell candidate, output.
                sig_if = expit(gates[:, : 2 * size])
                candidate = np.tanh(gates[:, 2 * size : 3 * size])
                out_gate = expit(gates[:, 3 * size :])
                cell = sig_if[:, size:] * cell + sig_if[:, :size] * candidate
                hidden = out_gate * np.tanh(cell)
                if outputs is not None:
                    outputs[t] = hidden
            if outputs is not None:
                sequence = outputs
        return hidden

    def embed_partials(self, mels: np.ndarray) -> np.ndarray:
        """Embeddings of a batch of ``(batch, 160, 40)`` mel windows, shape ``(batch, 256)``."""
        if mels.ndim != 3 or mels.shape[2] != N_MELS:
            raise ValueError("expected mels of shape (batch, frames, 40)")
        results = []
        with threadpool_limits(limits=1, user_api="blas"):
            for start in range(0, mels.shape[0], _BATCH_PARTIALS):
                hidden = self._lstm_last_hidden(mels[start : start + _BATCH_PARTIALS])
                raw = np.maximum(hidden @ self._linear_w + self._linear_b, 0.0)
                results.append(_l2_normalise(raw))
        if not results:
            return np.zeros((0, EMBEDDING_SIZE), dtype=np.float32)
        return np.concatenate(results).astype(np.float32)

    def embed_utterances(
        self,
        wavs: Sequence[np.ndarray],
        rate: float = PARTIAL_RATE,
        min_coverage: float = MIN_COVERAGE,
    ) -> list[UtteranceEmbedding]:
        """Embed several 16 kHz float utterances, batching all their partials together."""
        windows: list[np.ndarray] = []
        layout: list[tuple[int, tuple[int, ...]]] = []
        with threadpool_limits(limits=1, user_api="blas"):
            for wav in wavs:
                samples = np.asarray(wav, dtype=np.float32)
                starts = partial_starts(len(samples), rate, min_coverage)
                needed = (starts[-1] + PARTIAL_FRAMES) * HOP_LENGTH
                if needed >= len(samples):
                    samples = np.pad(samples, (0, needed - len(samples)))
                mel = mel_spectrogram(samples)
                windows.extend(mel[s : s + PARTIAL_FRAMES] for s in starts)
                layout.append((len(starts), tuple(s * HOP_LENGTH for s in starts)))
            partials = self.embed_partials(np.stack(windows)) if windows else np.zeros((0, 0))
        results = []
        index = 0
        for count, offsets in layout:
            chunk = partials[index : index + count]
            index += count
            embedding = _l2_normalise(chunk.mean(axis=0)).astype(np.float32)
            results.append(UtteranceEmbedding(embedding, chunk, offsets))
        return results

    def embed_utterance(
        self, wav: np.ndarray, rate: float = PARTIAL_RATE, min_coverage: float = MIN_COVERAGE
    ) -> np.ndarray:
        """The 256-d L2-normalised embedding of one 16 kHz float utterance."""
        return self.embed_utterances([wav], rate, min_coverage)[0].embedding
