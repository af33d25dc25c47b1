"""Read PyTorch's legacy ``torch.save`` checkpoints into numpy arrays, without PyTorch.

Why: the GE2E speaker encoder's published weights ship as ``resemblyzer/pretrained.pt``,
written by an old PyTorch in the *legacy* (pre-zip) format, and PyTorch cannot be installed
here. That format is a plain sequence of pickle streams followed by raw tensor bytes:

1. the magic number, 2. the protocol version, 3. system info (endianness, type sizes),
4. the checkpoint object, in which each tensor is a call to ``torch._utils._rebuild_tensor_v2``
   whose first argument is a *persistent id* naming a storage
   (``("storage", <StorageClass>, key, location, numel, view_metadata)``),
5. the list of storage keys, then for each key: its element count (int64 little-endian)
   followed by the storage's raw bytes.

Unpickling arbitrary files runs arbitrary code, so the unpickler here resolves only the few
globals a checkpoint of tensors needs (``collections.OrderedDict``, the tensor rebuild
function and the storage classes) and refuses everything else.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001

# Storage classes a legacy checkpoint may name, mapped to their numpy element type.
_STORAGE_DTYPES: dict[str, np.dtype[Any]] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class LegacyCheckpointError(ValueError):
    """The file is not a legacy PyTorch checkpoint this loader can read safely."""


@dataclass(frozen=True)
class _StorageType:
    """Stands in for a ``torch.<Name>Storage`` class: only its element type matters."""

    name: str
    dtype: np.dtype[Any]


@dataclass(frozen=True)
class _StorageRef:
    """A storage named by a persistent id; its bytes come after the pickled object."""

    key: str
    dtype: np.dtype[Any]
    numel: int


@dataclass(frozen=True)
class _PendingTensor:
    """A tensor whose storage bytes have not been read yet (strides in elements)."""

    storage: _StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(
    storage: _StorageRef,
    storage_offset: int,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    requires_grad: bool = False,
    backward_hooks: Any = None,
    metadata: Any = None,
) -> _PendingTensor:
    """Record the view; the real array is built once every storage has been read."""
    if not isinstance(storage, _StorageRef):
        raise LegacyCheckpointError("tensor does not refer to a storage")
    return _PendingTensor(storage, int(storage_offset), tuple(size), tuple(stride))


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that knows only the globals a checkpoint of plain tensors uses."""

    def __init__(self, file: BinaryIO, allow_tensors: bool) -> None:
        super().__init__(file)
        self._allow_tensors = allow_tensors

    def find_class(self, module: str, name: str) -> Any:
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if self._allow_tensors:
            if module == "torch._utils" and name == "_rebuild_tensor_v2":
                return _rebuild_tensor_v2
            if module == "torch" and name in _STORAGE_DTYPES:
                return _StorageType(name, _STORAGE_DTYPES[name])
        raise LegacyCheckpointError(f"refusing to load global {module}.{name}")

    def persistent_load(self, pid: Any) -> _StorageRef:
        if not self._allow_tensors:
            raise LegacyCheckpointError("unexpected persistent id")
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise LegacyCheckpointError("unsupported persistent id")
        storage_type, key, _location, numel = pid[1], pid[2], pid[3], pid[4]
        view_metadata = pid[5] if len(pid) > 5 else None
        if not isinstance(storage_type, _StorageType) or view_metadata is not None:
            raise LegacyCheckpointError("unsupported storage reference")
        return _StorageRef(str(key), storage_type.dtype, int(numel))


def _load_plain(stream: BinaryIO) -> Any:
    return _RestrictedUnpickler(stream, allow_tensors=False).load()


def _materialise(obj: Any, storages: dict[str, np.ndarray]) -> Any:
    """Replace every pending tensor in ``obj`` by a numpy array (a copy, not a view)."""
    if isinstance(obj, _PendingTensor):
        flat = storages[obj.storage.key]
        itemsize = flat.dtype.itemsize
        needed = obj.offset + sum((n - 1) * s for n, s in zip(obj.shape, obj.stride, strict=True))
        if obj.shape and min(obj.shape) > 0 and needed >= flat.size:
            raise LegacyCheckpointError("tensor view runs past its storage")
        view = np.lib.stride_tricks.as_strided(
            flat[obj.offset :],
            shape=obj.shape,
            strides=tuple(s * itemsize for s in obj.stride),
            writeable=False,
        )
        return np.array(view, copy=True)
    if isinstance(obj, collections.OrderedDict):
        return collections.OrderedDict((k, _materialise(v, storages)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: _materialise(v, storages) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_materialise(v, storages) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_materialise(v, storages) for v in obj)
    return obj


def _read_storages(stream: BinaryIO, refs: dict[str, _StorageRef]) -> dict[str, np.ndarray]:
    keys = _load_plain(stream)
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise LegacyCheckpointError("storage key list is malformed")
    storages: dict[str, np.ndarray] = {}
    for key in keys:
        header = stream.read(8)
        if len(header) != 8:
            raise LegacyCheckpointError("file ends inside the storage table")
        (numel,) = struct.unpack("<q", header)
        ref = refs.get(key)
        if ref is None or numel != ref.numel:
            raise LegacyCheckpointError("storage size does not match its reference")
        nbytes = numel * ref.dtype.itemsize
        raw = stream.read(nbytes)
        if len(raw) != nbytes:
            raise LegacyCheckpointError("file ends inside a storage")
        storages[key] = np.frombuffer(raw, dtype=ref.dtype)
    return storages


def _collect_refs(obj: Any, refs: dict[str, _StorageRef]) -> None:
    if isinstance(obj, _PendingTensor):
        refs[obj.storage.key] = obj.storage
    elif isinstance(obj, dict):
        for value in obj.values():
            _collect_refs(value, refs)
    elif isinstance(obj, list | tuple):
        for value in obj:
            _collect_refs(value, refs)


def load_legacy_checkpoint(source: str | Path | bytes) -> Any:
    """Load a legacy-format ``torch.save`` file; tensors come back as numpy arrays.

    ``source`` is a path or the file's bytes. Raises ``LegacyCheckpointError`` on anything
    unexpected (zip-format checkpoints, unknown globals, truncated data).
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if data[:2] == b"PK":
        raise LegacyCheckpointError("zip-format checkpoint; only the legacy format is supported")
    stream = io.BytesIO(data)
    try:
        if _load_plain(stream) != LEGACY_MAGIC_NUMBER:
            raise LegacyCheckpointError("not a legacy PyTorch checkpoint (bad magic number)")
        if _load_plain(stream) != LEGACY_PROTOCOL_VERSION:
            raise LegacyCheckpointError("unsupported legacy protocol version")
        sys_info = _load_plain(stream)
        if not isinstance(sys_info, dict) or not sys_info.get("little_endian", False):
            raise LegacyCheckpointError("only little-endian checkpoints are supported")
        obj = _RestrictedUnpickler(stream, allow_tensors=True).load()
        refs: dict[str, _StorageRef] = {}
        _collect_refs(obj, refs)
        storages = _read_storages(stream, refs)
    except (pickle.UnpicklingError, EOFError, struct.error) as exc:
        raise LegacyCheckpointError("checkpoint is truncated or malformed") from exc
    return _materialise(obj, storages)
