"""Models used by the face pipeline: dlib's per thread, the numpy encoder per process.

dlib's detector and its ResNet encoder keep scratch buffers inside the
object, so two threads must never share one instance. Each worker thread
therefore gets its own copies, loaded on first use. dlib's own encoder is now
only needed for jittered encodings (``num_jitters`` > 1), so it is loaded
only when one is asked for. The numpy port of that encoder
(:mod:`proctoring.face.resnet`) holds read-only arrays and allocates per call,
so one instance serves every thread of the process. The models are read-only
weights, not interview state: nothing about a candidate is kept here.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

import dlib

from proctoring.face.resnet import FaceEncoder

with warnings.catch_warnings():
    # face_recognition_models still imports the deprecated pkg_resources.
    warnings.simplefilter("ignore", UserWarning)
    import face_recognition_models


@dataclass
class FaceModels:
    """The dlib models one thread needs to detect and align faces (and to jitter)."""

    detector: Any
    landmarks: Any
    _encoder: Any = field(default=None, repr=False)

    @property
    def encoder(self) -> Any:
        """dlib's own ResNet encoder, loaded the first time this thread needs it."""
        if self._encoder is None:
            self._encoder = dlib.face_recognition_model_v1(
                face_recognition_models.face_recognition_model_location()
            )
        return self._encoder


_local = threading.local()
_shared_lock = threading.Lock()
_shared_encoder: FaceEncoder | None = None


def thread_models() -> FaceModels:
    """Return this thread's models, loading them the first time it asks."""
    models: FaceModels | None = getattr(_local, "models", None)
    if models is None:
        models = FaceModels(
            detector=dlib.get_frontal_face_detector(),
            landmarks=dlib.shape_predictor(
                face_recognition_models.pose_predictor_five_point_model_location()
            ),
        )
        _local.models = models
    return models


def shared_encoder() -> FaceEncoder:
    """Return the process's numpy face encoder, reading its weights on first use."""
    global _shared_encoder
    with _shared_lock:
        if _shared_encoder is None:
            _shared_encoder = FaceEncoder.from_models()
        return _shared_encoder
