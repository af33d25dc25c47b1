"""The seeds' face check, kept as the baseline every benchmark compares against.

The seeds encoded the full frame with face_recognition (HOG detection with
one upsampling, 68-point landmarks, one pass of the encoder) and called a face
the same person when ``face_recognition.compare_faces`` said so at the
library's default tolerance of 0.6, from a single enrollment photo.
"""

from __future__ import annotations

import warnings

import numpy as np

from proctoring.face.encode import Embedding
from proctoring.imaging import RGBImage

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    import face_recognition

SEED_TOLERANCE = 0.6


def seed_encode(frame: RGBImage) -> list[Embedding]:
    """Detect and encode every face of the full frame, as the seeds did."""
    locations = face_recognition.face_locations(frame)
    encodings = face_recognition.face_encodings(frame, locations)
    return [np.asarray(e, dtype=np.float64) for e in encodings]


def seed_same_person(known: Embedding, candidate: Embedding) -> tuple[bool, float]:
    """The seeds' verdict on one face: same person at distance <= 0.6."""
    same = bool(face_recognition.compare_faces([known], candidate, SEED_TOLERANCE)[0])
    distance = float(face_recognition.face_distance([known], candidate)[0])
    return same, distance
