"""The seeds' face check, kept as the baseline every benchmark compares against.

The seeds encoded the full frame with face_recognition (HOG detection with
one upsampling, 68-point landmarks, one pass of the encoder) and called a face
the same person when ``face_recognition.compare_faces`` said so at the
library's default tolerance of 0.6, from a single enrollment photo.
"""

from __future__ import annotations

import warnings

import numpy as np
from PIL import ImageFile

from proctoring.face.detect import FaceBox
from proctoring.face.encode import Embedding
from proctoring.face.enroll import FaceEnrollment
from proctoring.face.verify import DIFFERS, MATCHES, NO_FACE, FaceObservation, Verdict
from proctoring.imaging import RGBImage

_strict = ImageFile.LOAD_TRUNCATED_IMAGES
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    import face_recognition
# face_recognition makes Pillow accept truncated images process-wide when imported; the
# product refuses a damaged photo (proctoring.imaging.image_to_rgb), so put it back.
ImageFile.LOAD_TRUNCATED_IMAGES = _strict

SEED_TOLERANCE = 0.6


def original_encode(frame: RGBImage) -> list[Embedding]:
    """Detect and encode every face of the full frame, as the seeds did."""
    locations = face_recognition.face_locations(frame)
    encodings = face_recognition.face_encodings(frame, locations)
    return [np.asarray(e, dtype=np.float64) for e in encodings]


def original_same_person(known: Embedding, candidate: Embedding) -> tuple[bool, float]:
    """The seeds' verdict on one face: same person at distance <= 0.6."""
    same = bool(face_recognition.compare_faces([known], candidate, SEED_TOLERANCE)[0])
    distance = float(face_recognition.face_distance([known], candidate)[0])
    return same, distance


class OriginalFaceVerifier:
    """The seeds' per-frame check behind the live verifier's interface.

    Every frame is searched and encoded in full (no tracking, no reuse of a recent
    verdict), and a face is the candidate's when it is within the seeds' tolerance of
    the first enrolled embedding (their single enrollment photo). It exists so the
    capacity benchmark can run the seeds' method through the same live pipeline
    (``FACE_METHOD=original``); production uses :class:`~proctoring.face.FaceVerifier`.
    """

    def __init__(self, enrollment: FaceEnrollment) -> None:
        self.known = enrollment.embeddings[0]

    def analyze(self, frame: RGBImage) -> FaceObservation:
        locations = face_recognition.face_locations(frame)
        encodings = face_recognition.face_encodings(frame, locations)
        boxes = tuple(
            FaceBox(top, right, bottom, left, 0.0) for top, right, bottom, left in locations
        )
        if not encodings:
            return FaceObservation(0, boxes, Verdict.UNCERTAIN, NO_FACE)
        judged = [
            original_same_person(self.known, np.asarray(e, dtype=np.float64)) for e in encodings
        ]
        index = min(range(len(judged)), key=lambda i: judged[i][1])
        same, distance = judged[index]
        return FaceObservation(
            face_count=len(boxes),
            boxes=boxes,
            verdict=Verdict.MATCH if same else Verdict.MISMATCH,
            reason=MATCHES if same else DIFFERS,
            distance=distance,
            candidate_index=index,
        )
