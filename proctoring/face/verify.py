"""Per-frame verification of the candidate's face against the enrollment.

``FaceVerifier.analyze(frame)`` counts faces and gives the candidate's face a
verdict: match, mismatch or uncertain. Uncertain is a real answer: a face too
small, dark or blurred to judge, or a distance in the band where right and
wrong people overlap, is never turned into a mismatch.

Speed: one verifier belongs to one interview and sees its frames in order.

* Faces are found by a :class:`~proctoring.face.track.FaceTracker`: around the
  face of the previous frame, with a whole-frame pass every
  ``full_scan_every`` frames (a second face is counted within
  ``full_scan_every - 1`` frames of entering, see ``track``).
* A face under the quality gate is not encoded (its verdict is uncertain
  whatever the encoder would say).
* While the same single face stays in place and looks the same, a match is
  carried over and the encoder (about 100-170 ms here) runs only every
  ``reverify_every`` frames. "In place" is measured against the box the face
  had when it was last encoded, not the previous frame's, so slow drift also
  forces an encoding; "looks the same" compares the face's aligned chip with
  the one last encoded (``appearance``: about 3 ms), so a different person
  taking the candidate's seat at the same place and size is encoded at once
  too. Any other change (a face appeared or went, the face fell under the
  quality gate, the last verdict was not a match) is judged afresh at once.
  ``reverify_every`` bounds how long a verdict is reused in any case (1.5 s at
  2 frames per second with the default of 4).

The follow state is per verifier and guarded by a lock, so the verifier may be
called from several worker threads (frames are then tracked in the order the
threads take the lock); nothing is shared between interviews.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from proctoring.face.appearance import Look, look_of, same_look
from proctoring.face.detect import DetectionConfig, FaceBox
from proctoring.face.encode import AlignedFace, align
from proctoring.face.enroll import FaceEnrollment
from proctoring.face.inspect import EncodedFace, FrameInspection, encode_aligned, encode_box
from proctoring.face.policy import FaceVerifyConfig
from proctoring.face.quality import FaceQuality
from proctoring.face.track import FaceTracker, TrackConfig
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
    """What one frame shows: how many faces, and the verdict on the candidate's.

    ``absence_confirmed`` (meaningful when no face was found): the search was thorough
    enough to say nobody is in view (see ``track.Found``). The tracked verifier sets it;
    other producers (one exhaustive search per frame) leave it True.
    """

    face_count: int
    boxes: tuple[FaceBox, ...]
    verdict: Verdict
    reason: str
    distance: float | None = None
    quality: FaceQuality | None = None
    candidate_index: int | None = None
    carried_over: bool = False
    full_scan: bool = True
    absence_confirmed: bool = True

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
            "full_scan": self.full_scan,
            "absence_confirmed": self.absence_confirmed,
        }


def judge_face(
    enrollment: FaceEnrollment, encoded: EncodedFace, policy: FaceVerifyConfig
) -> tuple[Verdict, str, float | None]:
    """Verdict, reason and distance (None when the face was not encoded) for one face."""
    quality = encoded.face.quality
    problem = policy.gate.problem(quality)
    distance = None if encoded.embedding is None else enrollment.distance(encoded.embedding)
    if problem or distance is None:
        return Verdict.UNCERTAIN, problem or IN_BAND, distance
    if distance <= policy.match_distance:
        return Verdict.MATCH, MATCHES, distance
    if distance > policy.mismatch_over(quality):
        return Verdict.MISMATCH, DIFFERS, distance
    return Verdict.UNCERTAIN, IN_BAND, distance


def _candidate(judged: list[tuple[Verdict, str, float | None]]) -> int:
    """Which face is the candidate's: one that matches (the closest) if any does;
    else a face too poor to judge, since the candidate may be that one; else the
    closest of the faces judged."""
    matches = [i for i, (verdict, _, _) in enumerate(judged) if verdict is Verdict.MATCH]
    if matches:
        return min(matches, key=lambda i: judged[i][2] or 0.0)
    unjudged = [i for i, (_, _, distance) in enumerate(judged) if distance is None]
    if unjudged:
        return unjudged[0]
    return min(range(len(judged)), key=lambda i: judged[i][2] or 0.0)


def judge_inspection(
    enrollment: FaceEnrollment, inspection: FrameInspection, policy: FaceVerifyConfig
) -> FaceObservation:
    """Judge a frame whose faces were already encoded (see ``_candidate``)."""
    if not inspection.encoded:
        return FaceObservation(0, inspection.boxes, Verdict.UNCERTAIN, NO_FACE)
    judged = [judge_face(enrollment, encoded, policy) for encoded in inspection.encoded]
    index = _candidate(judged)
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
    """The last encoded candidate face: where it was, how it looked, what was judged."""

    box: FaceBox
    look: Look
    observation: FaceObservation
    frames_since_encode: int


class FaceVerifier:
    """Judges live frames against one candidate's enrollment (one per interview)."""

    def __init__(
        self,
        enrollment: FaceEnrollment,
        policy: FaceVerifyConfig | None = None,
        detection: DetectionConfig | None = None,
        reverify_every: int = 4,
        tracking: TrackConfig | None = None,
    ) -> None:
        if reverify_every < 1:
            raise ValueError("reverify_every must be at least 1")
        self.enrollment = enrollment
        self.policy = policy or FaceVerifyConfig()
        self.detection = detection or DetectionConfig()
        self.reverify_every = reverify_every
        self._lock = threading.Lock()
        self._tracker = FaceTracker(self.detection, tracking)
        self._followed: _Followed | None = None

    def analyze(self, frame: RGBImage) -> FaceObservation:
        """Count the faces in an RGB frame (the next of this interview's stream) and
        judge the candidate's face."""
        frame = as_rgb(frame)
        with self._lock:
            found = self._tracker.find(frame)
            aligned, carried = self._carry_over(frame, found.boxes, found.full_scan)
        if carried is not None:
            return carried
        boxes = found.boxes
        encoded = tuple(
            encode_aligned(aligned, gate=self.policy.gate)
            if index == 0 and aligned is not None
            else encode_box(frame, box, gate=self.policy.gate)
            for index, box in enumerate(boxes[:MAX_ENCODED_FACES])
        )
        inspection = FrameInspection(boxes=boxes, encoded=encoded)
        observation = replace(
            judge_inspection(self.enrollment, inspection, self.policy),
            full_scan=found.full_scan,
            absence_confirmed=found.absence_confirmed or bool(boxes),
        )
        self._remember(observation, inspection)
        return observation

    def _carry_over(
        self, frame: RGBImage, boxes: tuple[FaceBox, ...], full_scan: bool
    ) -> tuple[AlignedFace | None, FaceObservation | None]:
        """Reuse a recent match when the one face in view is where it was last encoded
        and looks the same; returns the aligned face when it was aligned but not reused."""
        followed = self._followed
        if (
            followed is None
            or len(boxes) != 1
            or followed.observation.face_count != 1
            or followed.observation.verdict is not Verdict.MATCH
            or followed.frames_since_encode + 1 >= self.reverify_every
            or boxes[0].iou(followed.box) < SAME_PLACE_IOU
        ):
            return None, None
        face = align(frame, boxes[0])
        if self.policy.gate.problem(face.quality) or not same_look(
            look_of(face.chip), followed.look
        ):
            return face, None
        self._followed = replace(followed, frames_since_encode=followed.frames_since_encode + 1)
        previous = followed.observation
        observation = FaceObservation(
            face_count=1,
            boxes=boxes,
            verdict=previous.verdict,
            reason=previous.reason,
            distance=previous.distance,
            quality=face.quality,
            candidate_index=0,
            carried_over=True,
            full_scan=full_scan,
        )
        return face, observation

    def _remember(self, observation: FaceObservation, inspection: FrameInspection) -> None:
        with self._lock:
            index = observation.candidate_index
            if index is None:
                self._followed = None
            else:
                chip = inspection.encoded[index].face.chip
                self._followed = _Followed(observation.boxes[index], look_of(chip), observation, 0)
