"""Everything about a frame that does not depend on whose interview it is.

Detection, alignment, quality and embeddings are computed here once; judging
them against an enrollment (``verify``) or accepting them as a baseline
(``enroll``) is a separate, cheap step. Benchmarks use the split to encode
each image once and judge it against many enrollments.

A face below a quality gate (too small, dark, washed out or blurred) is not
encoded at all when a gate is given: its verdict is "uncertain" whatever its
embedding would say, and the encoder is the costly step.
"""

from __future__ import annotations

from dataclasses import dataclass

from proctoring.face.detect import DetectionConfig, FaceBox, detect_faces
from proctoring.face.encode import AlignedFace, Embedding, align, encode
from proctoring.face.policy import QualityGate
from proctoring.imaging import RGBImage, as_rgb


@dataclass(frozen=True)
class EncodedFace:
    """An aligned face with its quality and its 128-d embedding.

    ``embedding`` is None for a face that failed the quality gate it was checked
    against: it was not worth encoding.
    """

    face: AlignedFace
    embedding: Embedding | None


@dataclass(frozen=True)
class FrameInspection:
    """The faces found in a frame, and the ones that were encoded (largest first)."""

    boxes: tuple[FaceBox, ...]
    encoded: tuple[EncodedFace, ...]


def encode_box(
    frame: RGBImage, box: FaceBox, num_jitters: int = 0, gate: QualityGate | None = None
) -> EncodedFace:
    """Align the face in ``box`` and encode it, unless it fails ``gate``."""
    return encode_aligned(align(frame, box), num_jitters, gate)


def encode_aligned(
    face: AlignedFace, num_jitters: int = 0, gate: QualityGate | None = None
) -> EncodedFace:
    """Encode an aligned face, unless it fails ``gate``."""
    if gate is not None and gate.problem(face.quality) is not None:
        return EncodedFace(face=face, embedding=None)
    return EncodedFace(face=face, embedding=encode(face, num_jitters))


def inspect_frame(
    frame: RGBImage,
    max_encoded: int = 1,
    detection: DetectionConfig | None = None,
    num_jitters: int = 0,
    gate: QualityGate | None = None,
) -> FrameInspection:
    """Detect every face and encode the ``max_encoded`` largest ones (those passing
    ``gate``, when given)."""
    frame = as_rgb(frame)
    boxes = tuple(detect_faces(frame, detection))
    encoded = tuple(encode_box(frame, box, num_jitters, gate) for box in boxes[:max_encoded])
    return FrameInspection(boxes=boxes, encoded=encoded)
