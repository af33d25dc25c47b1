"""dlib models used by the face pipeline, one set per thread.

dlib's detector and its ResNet encoder keep scratch buffers inside the
object, so two threads must never share one instance. Each worker thread
therefore gets its own copies, loaded on first use. The models are read-only
weights, not interview state: nothing about a candidate is kept here.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from typing import Any

import dlib

with warnings.catch_warnings():
    # face_recognition_models still imports the deprecated pkg_resources.
    warnings.simplefilter("ignore", UserWarning)
    import face_recognition_models


@dataclass(frozen=True)
class FaceModels:
    """The three dlib models one thread needs to detect, align and encode faces."""

    detector: Any
    landmarks: Any
    encoder: Any


_local = threading.local()


def thread_models() -> FaceModels:
    """Return this thread's models, loading them the first time it asks."""
    models: FaceModels | None = getattr(_local, "models", None)
    if models is None:
        models = FaceModels(
            detector=dlib.get_frontal_face_detector(),
            landmarks=dlib.shape_predictor(
                face_recognition_models.pose_predictor_five_point_model_location()
            ),
            encoder=dlib.face_recognition_model_v1(
                face_recognition_models.face_recognition_model_location()
            ),
        )
        _local.models = models
    return models
