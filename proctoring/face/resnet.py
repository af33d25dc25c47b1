"""dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1``) on numpy.

Why a port: the ``dlib-bin`` wheel is built without BLAS, so one forward pass of dlib's
encoder costs 100-170 ms on a core here, while the network is small (about 0.5 GFLOP for
a 150x150 chip). Run as im2col + single-precision matrix products on numpy's BLAS, the
same network and the same weights (read from the shipped ``.dat`` by
:mod:`proctoring.face.dlib_weights`) give the same 128-d descriptor several times faster.

The network, as declared in dlib's ``dnn_face_recognition_ex.cpp`` and its Python binding:
a 7x7/2 conv (32) + affine + relu, 3x3/2 max pool, then residual blocks
``relu(block(x) + shortcut(x))`` where ``block`` = conv 3x3 (stride 1, or 2 in a
"down" block) + affine + relu + conv 3x3 + affine: 3 blocks of 32 channels, then
64 (down + 3), 128 (down + 2), 256 (down + 2), 256 (down); an average over the remaining
positions and a 256->128 linear map without bias. Semantics taken from dlib's source:

* input: ``(pixel - channel mean) / 256`` with dlib's saved means (122.782, 117.001, 104.298);
* dlib's default padding is ``size // 2`` for stride 1 and 0 otherwise, for convs and pools;
  output size ``1 + (n + 2 * pad - size) // stride``;
* a down block's shortcut is a 2x2/2 average pool of its input; ``add_prev`` adds tensors of
  different shapes by zero-extending both to the larger of each dimension (channels, and
  also rows/columns: at 8x8 the strided conv gives 3x3 while the pool gives 4x4);
* the loss layer (``loss_metric``) returns the last layer's output as is: no normalisation.

Each conv is folded with the affine (frozen batch norm) after it. The encoder holds only
read-only arrays, so one instance serves every thread; the products run BLAS on one
thread (numpy's OpenBLAS would otherwise start a thread per core for each product, which
costs more than it gains on a shared 2-core machine, as measured for the voice port).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.lib.stride_tricks import as_strided
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

from proctoring.face.dlib_weights import (
    AddPrev,
    Affine,
    Conv,
    DlibFormatError,
    DlibNetwork,
    FullyConnected,
    Layer,
    Pool,
    Relu,
    read_network,
)

CHIP_SIZE = 150
EMBEDDING_SIZE = 128
Array = NDArray[np.float32]
_T = TypeVar("_T")

# (channels, down) for each residual block, input side first, as in the dlib example.
_BLOCKS: tuple[tuple[int, bool], ...] = (
    *((32, False),) * 3,
    (64, True),
    *((64, False),) * 3,
    (128, True),
    *((128, False),) * 2,
    (256, True),
    *((256, False),) * 2,
    (256, True),
)


@dataclass(frozen=True)
class _ConvBN:
    """A conv folded with the affine after it: weights as (rows * cols * in, out), HWC order."""

    weights: Array
    bias: Array
    size: int
    stride: int
    padding: int

    @classmethod
    def fold(cls, conv: Conv, affine: Affine) -> _ConvBN:
        out, _, rows, cols = conv.filters.shape
        if rows != cols or conv.stride[0] != conv.stride[1] or len(affine.gamma) != out:
            raise DlibFormatError("unexpected conv or affine shape")
        gamma = affine.gamma.astype(np.float32)
        weights = (conv.filters * gamma[:, None, None, None]).transpose(2, 3, 1, 0)
        return cls(
            weights=np.ascontiguousarray(weights.reshape(-1, out), dtype=np.float32),
            bias=(conv.biases * gamma + affine.beta).astype(np.float32),
            size=rows,
            stride=conv.stride[0],
            padding=conv.padding[0],
        )

    def __call__(self, x: Array) -> Array:
        """Apply to one HWC image."""
        if self.padding:
            pad = self.padding
            padded = np.zeros((x.shape[0] + 2 * pad, x.shape[1] + 2 * pad, x.shape[2]), x.dtype)
            padded[pad:-pad, pad:-pad] = x
            x = padded
        x = np.ascontiguousarray(x)
        height, width, channels = x.shape
        size, stride = self.size, self.stride
        out_h = 1 + (height - size) // stride
        out_w = 1 + (width - size) // stride
        s_row, s_col, s_chan = x.strides
        patches = as_strided(
            x,
            shape=(out_h, out_w, size, size, channels),
            strides=(s_row * stride, s_col * stride, s_row, s_col, s_chan),
            writeable=False,
        ).reshape(out_h * out_w, size * size * channels)
        result = patches @ self.weights
        result += self.bias
        return result.reshape(out_h, out_w, -1)


@dataclass(frozen=True)
class _Block:
    """One residual block: ``relu(conv_b(relu(conv_a(x))) + shortcut(x))``."""

    conv_a: _ConvBN
    conv_b: _ConvBN
    down: bool

    def __call__(self, x: Array) -> Array:
        inner = self.conv_a(x)
        np.maximum(inner, 0, out=inner)
        branch = self.conv_b(inner)
        shortcut = _avg_pool_2x2(x) if self.down else x
        total = _add_zero_extended(branch, shortcut)
        np.maximum(total, 0, out=total)
        return total


def _avg_pool_2x2(x: Array) -> Array:
    """dlib's 2x2/2 average pool (no padding): the window's sum in row order, over 4."""
    out_h = 1 + (x.shape[0] - 2) // 2
    out_w = 1 + (x.shape[1] - 2) // 2
    rows, cols = slice(0, 2 * out_h, 2), slice(0, 2 * out_w, 2)
    rows1, cols1 = slice(1, 2 * out_h, 2), slice(1, 2 * out_w, 2)
    total = x[rows, cols] + x[rows, cols1]
    total += x[rows1, cols]
    total += x[rows1, cols1]
    total /= np.float32(4)
    return total


def _max_pool(x: Array, size: int, stride: int) -> Array:
    """dlib's max pool without padding, as the maximum of shifted strided views."""
    out_h = 1 + (x.shape[0] - size) // stride
    out_w = 1 + (x.shape[1] - size) // stride
    span_h, span_w = stride * (out_h - 1) + 1, stride * (out_w - 1) + 1
    result = x[0:span_h:stride, 0:span_w:stride].copy()
    for dy in range(size):
        for dx in range(size):
            if dy or dx:
                view = x[dy : dy + span_h : stride, dx : dx + span_w : stride]
                np.maximum(result, view, out=result)
    return result


def _global_average(x: Array) -> Array:
    """dlib's ``avg_pool_everything``: per channel, positions summed in row order, then
    divided by their count."""
    positions = x.reshape(-1, x.shape[2])
    total = positions[0].copy()
    for row in positions[1:]:
        total += row
    total /= np.float32(len(positions))
    return total


def _add_zero_extended(a: Array, b: Array) -> Array:
    """dlib's ``add_prev``: sum of two HWC tensors, each zero-extended to the larger shape."""
    if a.shape == b.shape:
        return a + b
    shape = tuple(max(p, q) for p, q in zip(a.shape, b.shape, strict=True))
    total = np.zeros(shape, dtype=np.float32)
    total[: a.shape[0], : a.shape[1], : a.shape[2]] += a
    total[: b.shape[0], : b.shape[1], : b.shape[2]] += b
    return total


def _expected_structure() -> tuple[str, ...]:
    """The saved node sequence (top-down) of the network this module implements."""
    bottom_up = ["layer"] * 4  # conv, affine, relu, max pool
    for _, down in _BLOCKS:
        bottom_up += ["tag_or_skip"] + ["layer"] * 5  # tag1, conv, affine, relu, conv, affine
        if down:
            bottom_up += ["tag_or_skip"] * 2 + ["layer"]  # tag2, skip1, avg pool
        bottom_up += ["layer"] * 2  # add_prev, relu
    bottom_up += ["layer"] * 2  # avg pool everything, fc
    return tuple(reversed(bottom_up))


class _LayerStream:
    """Hands out a network's layers bottom-up, checking each is of the expected kind."""

    def __init__(self, layers: Sequence[Layer]) -> None:
        self._layers: Iterator[Layer] = iter(layers)

    def take(self, kind: type[_T]) -> _T:
        layer = next(self._layers, None)
        if not isinstance(layer, kind):
            raise DlibFormatError(f"expected a {kind.__name__} layer, found {layer!r:.60}")
        return layer

    def conv_bn(self, stride: int) -> _ConvBN:
        conv = self.take(Conv)
        expected_padding = 1 if stride == 1 else 0
        if conv.stride != (stride, stride) or conv.padding[0] != expected_padding:
            raise DlibFormatError("unexpected conv stride or padding")
        return _ConvBN.fold(conv, self.take(Affine))

    def done(self) -> bool:
        return next(self._layers, None) is None


class FaceEncoder:
    """The 128-d face descriptor of an aligned 150x150 RGB chip, as dlib computes it."""

    def __init__(self, network: DlibNetwork) -> None:
        if network.structure != _expected_structure():
            raise DlibFormatError("not dlib's face recognition ResNet v1")
        layers = _LayerStream(network.layers)
        self._means = network.input.means.astype(np.float32)
        self._stem = _ConvBN.fold(layers.take(Conv), layers.take(Affine))
        layers.take(Relu)
        pool = layers.take(Pool)
        if (pool.kind, pool.window, pool.stride, pool.padding) != ("max", (3, 3), (2, 2), (0, 0)):
            raise DlibFormatError("unexpected stem pooling")
        blocks = []
        for channels, down in _BLOCKS:
            conv_a = layers.conv_bn(2 if down else 1)
            layers.take(Relu)
            conv_b = layers.conv_bn(1)
            if conv_b.weights.shape[1] != channels:
                raise DlibFormatError("unexpected block width")
            if down:
                shortcut = layers.take(Pool)
                if (shortcut.kind, shortcut.window, shortcut.stride) != ("avg", (2, 2), (2, 2)):
                    raise DlibFormatError("unexpected shortcut pooling")
            layers.take(AddPrev)
            layers.take(Relu)
            blocks.append(_Block(conv_a, conv_b, down))
        self._blocks = tuple(blocks)
        if layers.take(Pool).window != (0, 0):
            raise DlibFormatError("expected a global average pool")
        fc = layers.take(FullyConnected)
        if fc.biases is not None or fc.weights.shape != (256, EMBEDDING_SIZE):
            raise DlibFormatError("unexpected final linear layer")
        self._fc = np.ascontiguousarray(fc.weights, dtype=np.float32)
        if not layers.done():
            raise DlibFormatError("extra layers after the final linear layer")

    @classmethod
    def load(cls, path: Path | str) -> FaceEncoder:
        """Read the weights from a ``dlib_face_recognition_resnet_model_v1.dat`` file."""
        return cls(read_network(path))

    @classmethod
    def from_models(cls) -> FaceEncoder:
        """Read the model file the ``face_recognition_models`` package installed."""
        return cls.load(default_model_path())

    def compute(self, chip: NDArray[np.uint8]) -> NDArray[np.float64]:
        """Descriptor of an aligned chip (as ``dlib.get_face_chip`` cuts it): dlib's
        ``compute_face_descriptor(chip)`` with 0 or 1 jitters, to float rounding."""
        if chip.shape != (CHIP_SIZE, CHIP_SIZE, 3) or chip.dtype != np.uint8:
            raise ValueError("expected a 150x150x3 uint8 RGB chip")
        with _one_blas_thread():
            x = (chip.astype(np.float32) - self._means) / np.float32(256)
            x = self._stem(x)
            np.maximum(x, 0, out=x)
            x = _max_pool(x, 3, 2)
            for block in self._blocks:
                x = block(x)
            pooled = _global_average(x)
            descriptor = pooled @ self._fc
        return descriptor.astype(np.float64)


def default_model_path() -> Path:
    """Where ``face_recognition_models`` keeps dlib's ResNet weights."""
    import warnings

    with warnings.catch_warnings():
        # face_recognition_models still imports the deprecated pkg_resources.
        warnings.simplefilter("ignore", UserWarning)
        import face_recognition_models

    return Path(face_recognition_models.face_recognition_model_location())


_controller_lock = threading.Lock()
_controller: ThreadpoolController | None = None


def _one_blas_thread() -> AbstractContextManager[Any]:
    """A context limiting BLAS to one thread (the controller is built once: it is slow)."""
    global _controller
    with _controller_lock:
        if _controller is None:
            _controller = ThreadpoolController()
        controller = _controller
    return controller.limit(limits=1, user_api="blas")
