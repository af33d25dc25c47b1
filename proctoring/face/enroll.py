"""Enrollment: accept a candidate's baseline frames, or say plainly why not.

Each baseline frame must show exactly one face, large, lit and sharp enough;
the accepted frames must agree with each other and, when a reference photo is
given (an ID or profile picture), with that photo. The result is a list of
embeddings with a little metadata, stored as JSON by the control API.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from proctoring.face.detect import DetectionConfig
from proctoring.face.encode import Embedding
from proctoring.face.inspect import EncodedFace, inspect_frame
from proctoring.face.policy import FaceEnrollConfig
from proctoring.imaging import RGBImage

ENROLLMENT_VERSION = 1
MODEL_NAME = "dlib_face_recognition_resnet_model_v1"

NO_FACE = "We cannot see a face: please look at the camera with your face fully in view."
TWO_FACES = "We see more than one face: please make sure you are alone in the picture."
NO_REFERENCE_FACE = "We cannot find exactly one face in the reference photo."
REFERENCE_MISMATCH = "The live pictures do not look like the reference photo."
INCONSISTENT = "The pictures do not all show the same person: please take them again."


def too_few(accepted: int, needed: int) -> str:
    return f"Only {accepted} of the pictures were usable; we need at least {needed}."


@dataclass(frozen=True)
class FaceEnrollment:
    """The enrolled face: embeddings of the accepted baseline frames."""

    embeddings: tuple[Embedding, ...]
    reference_distance: float | None = None
    model: str = MODEL_NAME
    version: int = ENROLLMENT_VERSION

    def distance(self, embedding: Embedding) -> float:
        """Distance from a live embedding to the closest enrolled one."""
        stacked = np.stack(self.embeddings)
        return float(np.min(np.linalg.norm(stacked - embedding, axis=1)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "model": self.model,
            "embeddings": [[round(float(v), 7) for v in e] for e in self.embeddings],
            "reference_distance": self.reference_distance,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaceEnrollment:
        if data.get("version") != ENROLLMENT_VERSION or data.get("model") != MODEL_NAME:
            raise ValueError("unsupported face enrollment format")
        embeddings = tuple(np.asarray(e, dtype=np.float64) for e in data["embeddings"])
        if not embeddings or any(e.shape != (128,) for e in embeddings):
            raise ValueError("a face enrollment needs 128-d embeddings")
        return cls(embeddings=embeddings, reference_distance=data.get("reference_distance"))

    @classmethod
    def from_json(cls, text: str) -> FaceEnrollment:
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True)
class FrameCheck:
    """The outcome for one baseline frame: accepted, or the reason it was not."""

    index: int
    accepted: bool
    reason: str | None = None


@dataclass(frozen=True)
class EnrollmentResult:
    """An enrollment when the baseline was accepted, and the check of every frame."""

    enrollment: FaceEnrollment | None
    frames: tuple[FrameCheck, ...]
    reasons: tuple[str, ...] = field(default=())

    @property
    def accepted(self) -> bool:
        return self.enrollment is not None


def _check_frame(
    index: int, frame: RGBImage, policy: FaceEnrollConfig, detection: DetectionConfig | None
) -> tuple[FrameCheck, EncodedFace | None]:
    inspection = inspect_frame(frame, max_encoded=1, detection=detection, gate=policy.gate)
    if not inspection.boxes:
        return FrameCheck(index, False, NO_FACE), None
    if len(inspection.boxes) > 1:
        return FrameCheck(index, False, TWO_FACES), None
    encoded = inspection.encoded[0]
    problem = policy.gate.problem(encoded.face.quality)
    if problem or encoded.embedding is None:
        return FrameCheck(index, False, problem), None
    return FrameCheck(index, True), encoded


def enroll(
    frames: Sequence[RGBImage],
    reference: RGBImage | None = None,
    policy: FaceEnrollConfig | None = None,
    detection: DetectionConfig | None = None,
) -> EnrollmentResult:
    """Check each baseline frame and enroll the candidate when enough pass."""
    policy = policy or FaceEnrollConfig()
    checks: list[FrameCheck] = []
    embeddings: list[Embedding] = []
    for index, frame in enumerate(frames):
        check, encoded = _check_frame(index, frame, policy, detection)
        checks.append(check)
        if encoded is not None and encoded.embedding is not None:
            embeddings.append(encoded.embedding)
    if len(embeddings) < policy.min_frames:
        return EnrollmentResult(None, tuple(checks), (too_few(len(embeddings), policy.min_frames),))
    stacked = np.stack(embeddings)
    spread = np.linalg.norm(stacked[:, None, :] - stacked[None, :, :], axis=2).max()
    if spread > policy.consistency_distance:
        return EnrollmentResult(None, tuple(checks), (INCONSISTENT,))
    reference_distance = None
    if reference is not None:
        inspection = inspect_frame(reference, max_encoded=1, detection=detection)
        reference_embedding = inspection.encoded[0].embedding if inspection.encoded else None
        if len(inspection.boxes) != 1 or reference_embedding is None:
            return EnrollmentResult(None, tuple(checks), (NO_REFERENCE_FACE,))
        mean = stacked.mean(axis=0)
        reference_distance = float(np.linalg.norm(reference_embedding - mean))
        if reference_distance > policy.reference_distance:
            return EnrollmentResult(None, tuple(checks), (REFERENCE_MISMATCH,))
    enrollment = FaceEnrollment(tuple(embeddings), reference_distance)
    return EnrollmentResult(enrollment, tuple(checks))
