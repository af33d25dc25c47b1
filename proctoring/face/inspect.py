"""Everything about a frame that does not depend on whose interview it is.

Detection, alignment, quality and embeddings are computed here once; judging
them against an enrollment (``verify``) or accepting them as a baseline
(``enroll``) is a separate, cheap step. Benchmarks use the split to encode
each image once and judge it against many enrollments.
"""

from __future__ import annotations

from dataclasses import dataclass

from proctoring.face.detect import DetectionSettings, FaceBox, detect_faces
from proctoring.face.encode import AlignedFace, Embedding, align, encode
from proctoring.imaging import RGBImage, as_rgb


@dataclass(frozen=True)
class EncodedFace:
    """An aligned face with its quality and its 128-d embedding."""

    face: AlignedFace
    embedding: Embedding


@dataclass(frozen=True)
class FrameInspection:
    """The faces found in a frame, and the ones that were encoded (largest first)."""

    boxes: tuple[FaceBox, ...]
    encoded: tuple[EncodedFace, ...]


def encode_box(frame: RGBImage, box: FaceBox, num_jitters: int = 0) -> EncodedFace:
    face = align(frame, box)
    return EncodedFace(face=face, embedding=encode(face, num_jitters))


def inspect_frame(
    frame: RGBImage,
    max_encoded: int = 1,
    detection: DetectionSettings | None = None,
    num_jitters: int = 0,
) -> FrameInspection:
    """Detect every face and encode the ``max_encoded`` largest ones."""
    frame = as_rgb(frame)
    boxes = tuple(detect_faces(frame, detection))
    encoded = tuple(encode_box(frame, box, num_jitters) for box in boxes[:max_encoded])
    return FrameInspection(boxes=boxes, encoded=encoded)
