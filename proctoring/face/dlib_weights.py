"""Read a network saved by dlib's ``serialize(net)`` into numpy arrays, without dlib.

Why: dlib's face encoder (``dlib_face_recognition_resnet_model_v1.dat``) is a small ResNet,
but the ``dlib-bin`` wheel runs it without BLAS. Reading its weights lets
:mod:`proctoring.face.resnet` run the same network on numpy's BLAS. This module only
knows dlib's file format; the network's wiring is in ``resnet.py``.

The format (dlib's ``serialize.h`` and ``dnn/core.h``, ``dnn/layers.h``, ``cuda/tensor.h``):

* integers are *compact*: one control byte holding the byte count (low nibble) and the
  sign (``0x80``), then that many little-endian magnitude bytes;
* a string is its length (compact) then its bytes; a bool is the character ``'0'`` or ``'1'``;
* a float or double is a compact int64 mantissa then a compact int16 exponent
  (``mantissa * 2**exponent``; exponents 32000-32002 mean +inf, -inf, NaN);
* a tensor is version 2, then num_samples, k, nr, nc, then raw little-endian float32 values;
  an *alias tensor* (a view into a layer's parameter tensor) is version 1 and its 4 sizes;
* a network is written top-down by recursion: the loss layer's version and details, then
  each ``add_layer`` / tag / skip writes its version and *then* its subnetwork, so all the
  versions come first (top to bottom), then the input layer, then each computational
  layer's details and bookkeeping from the bottom up. Tags and skips (version 1) write
  nothing after their subnetwork, and dlib does not save tag numbers: which tag an
  ``add_prev`` reads is known only from the network's C++ type.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float32]

_FLOAT_SPECIALS = {32000: float("inf"), 32001: float("-inf"), 32002: float("nan")}


class DlibFormatError(ValueError):
    """The file is not a dlib network this reader understands."""


@dataclass(frozen=True)
class InputRGB:
    """``input_rgb_image[_sized]``: pixels become ``(value - mean) / 256`` per channel."""

    means: Array  # red, green, blue


@dataclass(frozen=True)
class Conv:
    """``con_``: filters shaped (out, in, rows, cols) applied as a correlation, plus bias."""

    filters: Array
    biases: Array
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class Affine:
    """``affine_`` (a frozen batch norm): ``x * gamma + beta``, per channel in conv mode."""

    gamma: Array
    beta: Array


@dataclass(frozen=True)
class Relu:
    """``relu_``."""


@dataclass(frozen=True)
class Pool:
    """``max_pool_`` / ``avg_pool_``; a window of 0 means the whole input (``*_everything``)."""

    kind: str  # "max" or "avg"
    window: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]


@dataclass(frozen=True)
class AddPrev:
    """``add_prev_``: adds a tagged earlier output (the tag is not in the file)."""


@dataclass(frozen=True)
class FullyConnected:
    """``fc_``: ``x @ weights`` with weights shaped (inputs, outputs), plus optional bias."""

    weights: Array
    biases: Array | None


Layer = Conv | Affine | Relu | Pool | AddPrev | FullyConnected


@dataclass(frozen=True)
class DlibNetwork:
    """A parsed network: its input layer, computational layers bottom-up, and its shape.

    ``structure`` lists the network's nodes top-down as saved: ``"layer"`` for a
    computational layer, ``"tag_or_skip"`` for a tag or skip node (indistinguishable in
    the file). ``loss`` names the loss layer with its saved parameters.
    """

    input: InputRGB
    layers: tuple[Layer, ...]
    structure: tuple[str, ...]
    loss: tuple[str, tuple[float, ...]]


class _Reader:
    """Sequential reader of dlib's serialization primitives over one bytes buffer."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.pos = 0

    def _take(self, count: int) -> bytes:
        end = self.pos + count
        if end > len(self._data):
            raise DlibFormatError("unexpected end of file")
        chunk = self._data[self.pos : end]
        self.pos = end
        return chunk

    def integer(self, signed: bool = True) -> int:
        control = self._take(1)[0]
        size = control & 0x0F
        negative = bool(control & 0x80)
        if size == 0 or size > 8 or (negative and not signed) or control & 0x70:
            raise DlibFormatError(f"bad integer control byte at offset {self.pos - 1}")
        value = int.from_bytes(self._take(size), "little")
        return -value if negative else value

    def string(self) -> str:
        length = self.integer(signed=False)
        return self._take(length).decode("ascii", errors="replace")

    def boolean(self) -> bool:
        char = self._take(1)
        if char not in (b"0", b"1"):
            raise DlibFormatError(f"bad bool at offset {self.pos - 1}")
        return char == b"1"

    def real(self) -> float:
        if self.pos >= len(self._data):
            raise DlibFormatError("unexpected end of file")
        if self._data[self.pos] & 0x70:
            raise DlibFormatError("old text float format is not supported")
        mantissa = self.integer()
        exponent = self.integer()
        if exponent in _FLOAT_SPECIALS:
            return _FLOAT_SPECIALS[exponent]
        return float(np.ldexp(np.float64(mantissa), exponent))

    def tensor(self) -> Array:
        version = self.integer()
        if version != 2:
            raise DlibFormatError(f"unexpected tensor version {version}")
        shape = tuple(self.integer() for _ in range(4))
        if min(shape) < 0:
            raise DlibFormatError("negative tensor size")
        count = int(np.prod(shape))
        values = np.frombuffer(self._take(4 * count), dtype="<f4").astype(np.float32)
        return values.reshape(shape)

    def alias_tensor(self) -> tuple[int, int, int, int]:
        version = self.integer()
        if version != 1:
            raise DlibFormatError(f"unexpected alias tensor version {version}")
        n, k, nr, nc = (self.integer() for _ in range(4))
        return n, k, nr, nc

    def at_end(self) -> bool:
        return self.pos == len(self._data)


def _split(params: Array, sizes: tuple[int, ...]) -> list[Array]:
    """Cut a layer's flat parameter tensor into consecutive pieces of the given sizes."""
    flat = params.reshape(-1)
    if flat.size != sum(sizes):
        raise DlibFormatError("parameter tensor size does not match its views")
    pieces, start = [], 0
    for size in sizes:
        pieces.append(flat[start : start + size])
        start += size
    return pieces


def _read_conv(reader: _Reader, version: str) -> Conv:
    if version not in ("con_4", "con_5", "con_6"):
        raise DlibFormatError(f"unsupported conv version {version}")
    params = reader.tensor()
    num_filters = reader.integer()
    rows, cols = reader.integer(), reader.integer()
    stride = (reader.integer(), reader.integer())
    padding = (reader.integer(), reader.integer())
    filters_shape = reader.alias_tensor()
    biases_shape = reader.alias_tensor()
    for _ in range(4):  # learning-rate and weight-decay multipliers: training only
        reader.real()
    use_bias = reader.boolean() if version in ("con_5", "con_6") else True
    if version == "con_6" and reader.boolean():
        raise DlibFormatError("conv with fused relu is not supported")
    if filters_shape[0] != num_filters or filters_shape[2:] != (rows, cols):
        raise DlibFormatError("conv filter shape does not match its sizes")
    filter_size = int(np.prod(filters_shape))
    bias_size = num_filters if use_bias else 0
    filters, biases = _split(params, (filter_size, bias_size))
    if not use_bias:
        biases = np.zeros(num_filters, dtype=np.float32)
    del biases_shape  # (1, num_filters, 1, 1), or empty when the bias is disabled
    return Conv(filters.reshape(filters_shape), biases, stride, padding)


def _read_affine(reader: _Reader, version: str) -> Affine:
    if version not in ("affine_", "affine_2"):
        raise DlibFormatError(f"unsupported affine version {version}")
    params = reader.tensor()
    gamma_shape = reader.alias_tensor()
    beta_shape = reader.alias_tensor()
    mode = reader.integer()
    if version == "affine_2" and reader.boolean():
        raise DlibFormatError("disabled affine layers are not supported")
    if mode != 0 or gamma_shape != beta_shape:
        raise DlibFormatError("only conv-mode affine layers are supported")
    size = int(np.prod(gamma_shape))
    gamma, beta = _split(params, (size, size))
    return Affine(gamma, beta)


def _read_pool(reader: _Reader, version: str) -> Pool:
    kind = "max" if version.startswith("max") else "avg"
    window = (reader.integer(), reader.integer())
    stride = (reader.integer(), reader.integer())
    padding = (reader.integer(), reader.integer())
    return Pool(kind, window, stride, padding)


def _read_fc(reader: _Reader, version: str) -> FullyConnected:
    if version not in ("fc_2", "fc_3"):
        raise DlibFormatError(f"unsupported fc version {version}")
    outputs = reader.integer(signed=False)
    inputs = reader.integer(signed=False)
    params = reader.tensor()
    weights_shape = reader.alias_tensor()
    reader.alias_tensor()  # biases view
    bias_mode = reader.integer()  # 0: has bias, 1: no bias
    for _ in range(4):
        reader.real()
    use_bias = reader.boolean() if version == "fc_3" else True
    if weights_shape[:2] != (inputs, outputs):
        raise DlibFormatError("fc weight shape does not match its sizes")
    if bias_mode == 0 and use_bias:
        weights, biases = _split(params, (inputs * outputs, outputs))
        return FullyConnected(weights.reshape(inputs, outputs), biases)
    (weights,) = _split(params, (inputs * outputs,))
    return FullyConnected(weights.reshape(inputs, outputs), None)


def _read_layer(reader: _Reader) -> Layer:
    version = reader.string()
    if version.startswith("con_"):
        return _read_conv(reader, version)
    if version.startswith("affine_"):
        return _read_affine(reader, version)
    if version in ("relu_", "relu_2"):
        if version == "relu_2" and reader.boolean():
            raise DlibFormatError("disabled relu layers are not supported")
        return Relu()
    if version in ("max_pool_2", "avg_pool_2"):
        return _read_pool(reader, version)
    if version == "add_prev_":
        return AddPrev()
    if version.startswith("fc_"):
        return _read_fc(reader, version)
    raise DlibFormatError(f"unsupported layer {version!r}")


def _read_input(reader: _Reader) -> InputRGB:
    version = reader.string()
    if version not in ("input_rgb_image", "input_rgb_image_sized"):
        raise DlibFormatError(f"unsupported input layer {version!r}")
    means = np.array([reader.real() for _ in range(3)], dtype=np.float32)
    if version == "input_rgb_image_sized":
        reader.integer(signed=False)
        reader.integer(signed=False)
    return InputRGB(means)


def _read_loss(reader: _Reader) -> tuple[str, tuple[float, ...]]:
    if reader.integer() != 1:
        raise DlibFormatError("unexpected loss layer version")
    name = reader.string()
    if name == "loss_metric_2":
        return name, (reader.real(), reader.real())  # margin, distance threshold
    raise DlibFormatError(f"unsupported loss layer {name!r}")


def _skip_bookkeeping(reader: _Reader, version: int, bottom: bool) -> None:
    """Skip what ``add_layer`` saves after its details: flags and training buffers."""
    for _ in range(3):
        reader.boolean()
    reader.tensor()  # x_grad
    reader.tensor()  # cached_output
    if bottom or version >= 2:
        reader.tensor()  # grad_final (bottom layer) or params_grad
    if bottom and version >= 3:
        reader.integer(signed=False)  # sample expansion factor


def parse_network(data: bytes) -> DlibNetwork:
    """Parse the bytes of a dlib network file (loss layer on top, one RGB input layer)."""
    reader = _Reader(data)
    loss = _read_loss(reader)
    versions: list[int] = []
    while True:
        start = reader.pos
        version = reader.integer()
        if version not in (1, 2, 3):
            reader.pos = start  # the input layer's name begins here
            break
        versions.append(version)
        if version == 3:  # only the bottom add_layer has version 3
            break
    layer_versions = [v for v in versions if v >= 2]
    if not layer_versions:
        raise DlibFormatError("no layers found")
    network_input = _read_input(reader)
    layers: list[Layer] = []
    for index, version in enumerate(reversed(layer_versions)):
        layers.append(_read_layer(reader))
        _skip_bookkeeping(reader, version, bottom=index == 0)
    if not reader.at_end():
        raise DlibFormatError("trailing bytes after the network")
    structure = tuple("layer" if v >= 2 else "tag_or_skip" for v in versions)
    return DlibNetwork(network_input, tuple(layers), structure, loss)


def read_network(path: Path | str) -> DlibNetwork:
    """Read a dlib network file (see :func:`parse_network`)."""
    return parse_network(Path(path).read_bytes())
