"""Per-frame verification of the candidate's face against the enrollment.

``FaceVerifier.analyze(frame)`` counts faces and gives the candidate's face a
verdict: match, mismatch or uncertain. Uncertain is a real answer: a face too
small, dark or blurred to judge, or a distance in the band where right and
wrong people overlap, is never turned into a mismatch.

Speed: one verifier belongs to one interview. It follows the candidate's face
box from frame to frame; while the same single face stays in place, a recent
match is carried over and the expensive encoder only runs every
``reverify_every`` frames. Anything else (a new face, a moved face, a face
count change, a previous verdict other than match) is encoded at once. The
follow state is per verifier and guarded by a lock, so the verifier may be
called from several worker threads; nothing is shared between interviews.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from proctoring.face.detect import DetectionSettings, FaceBox, detect_faces
from proctoring.face.enroll import FaceEnrollment
from proctoring.face.inspect import EncodedFace, FrameInspection, encode_box
from proctoring.face.policy import VerifyPolicy
from proctoring.face.quality import FaceQuality
from proctoring.imaging import RGBImage, as_rgb

NO_FACE = "No face in view."
IN_BAND = "The face is not clear enough to tell whether it is the same person."
MATCHES = "The face matches the enrolled candidate."
DIFFERS = "The face does not match the enrolled candidate."
MAX_ENCODED_FACES = 4
SAME_PLACE_IOU = 0.5


class Verdict(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class FaceObservation:
    """What one frame shows: how many faces, and the verdict on the candidate's."""

    face_count: int
    boxes: tuple[FaceBox, ...]
    verdict: Verdict
    reason: str
    distance: float | None = None
    quality: FaceQuality | None = None
    candidate_index: int | None = None
    carried_over: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready evidence (no image, no embedding)."""
        return {
            "face_count": self.face_count,
            "boxes": [[b.top, b.right, b.bottom, b.left] for b in self.boxes],
            "verdict": self.verdict.value,
            "reason": self.reason,
            "distance": None if self.distance is None else round(self.distance, 4),
            "quality": None if self.quality is None else self.quality.to_dict(),
            "candidate_index": self.candidate_index,
            "carried_over": self.carried_over,
        }


def judge_face(
    enrollment: FaceEnrollment, encoded: EncodedFace, policy: VerifyPolicy
) -> tuple[Verdict, str, float]:
    """Verdict, reason and distance for one encoded face."""
    quality = encoded.face.quality
    distance = enrollment.distance(encoded.embedding)
    problem = policy.gate.problem(quality)
    if problem:
        return Verdict.UNCERTAIN, problem, distance
    if distance <= policy.match_distance:
        return Verdict.MATCH, MATCHES, distance
    if distance > policy.mismatch_over(quality):
        return Verdict.MISMATCH, DIFFERS, distance
    return Verdict.UNCERTAIN, IN_BAND, distance


def judge_inspection(
    enrollment: FaceEnrollment, inspection: FrameInspection, policy: VerifyPolicy
) -> FaceObservation:
    """Judge a frame whose faces were already encoded: the closest face is the candidate."""
    if not inspection.encoded:
        return FaceObservation(0, inspection.boxes, Verdict.UNCERTAIN, NO_FACE)
    judged = [judge_face(enrollment, encoded, policy) for encoded in inspection.encoded]
    index = min(range(len(judged)), key=lambda i: judged[i][2])
    verdict, reason, distance = judged[index]
    return FaceObservation(
        face_count=len(inspection.boxes),
        boxes=inspection.boxes,
        verdict=verdict,
        reason=reason,
        distance=distance,
        quality=inspection.encoded[index].face.quality,
        candidate_index=index,
    )


@dataclass(frozen=True)
class _Followed:
    box: FaceBox
    observation: FaceObservation
    frames_since_encode: int


class FaceVerifier:
    """Judges live frames against one candidate's enrollment (one per interview)."""

    def __init__(
        self,
        enrollment: FaceEnrollment,
        policy: VerifyPolicy | None = None,
        detection: DetectionSettings | None = None,
        reverify_every: int = 4,
    ) -> None:
        if reverify_every < 1:
            raise ValueError("reverify_every must be at least 1")
        self.enrollment = enrollment
        self.policy = policy or VerifyPolicy()
        self.detection = detection or DetectionSettings()
        self.reverify_every = reverify_every
        self._lock = threading.Lock()
        self._followed: _Followed | None = None

    def analyze(self, frame: RGBImage) -> FaceObservation:
        """Count the faces in an RGB frame and judge the candidate's face."""
        frame = as_rgb(frame)
        boxes = tuple(detect_faces(frame, self.detection))
        carried = self._carry_over(boxes)
        if carried is not None:
            return carried
        inspection = FrameInspection(
            boxes=boxes, encoded=tuple(encode_box(frame, b) for b in boxes[:MAX_ENCODED_FACES])
        )
        observation = judge_inspection(self.enrollment, inspection, self.policy)
        self._remember(observation)
        return observation

    def _carry_over(self, boxes: tuple[FaceBox, ...]) -> FaceObservation | None:
        """Reuse a recent match when the one face in view has not moved."""
        with self._lock:
            followed = self._followed
            if (
                followed is None
                or len(boxes) != 1
                or followed.observation.face_count != 1
                or followed.observation.verdict is not Verdict.MATCH
                or followed.frames_since_encode + 1 >= self.reverify_every
                or boxes[0].iou(followed.box) < SAME_PLACE_IOU
            ):
                return None
            self._followed = _Followed(
                boxes[0], followed.observation, followed.frames_since_encode + 1
            )
            previous = followed.observation
        return FaceObservation(
            face_count=1,
            boxes=boxes,
            verdict=previous.verdict,
            reason=previous.reason,
            distance=previous.distance,
            quality=previous.quality,
            candidate_index=0,
            carried_over=True,
        )

    def _remember(self, observation: FaceObservation) -> None:
        with self._lock:
            if observation.candidate_index is None:
                self._followed = None
            else:
                box = observation.boxes[observation.candidate_index]
                self._followed = _Followed(box, observation, 0)
