"""Face biometrics for the proctor: enrollment, per-frame verdicts, quality.

Public API::

    from proctoring.face import enroll, FaceEnrollment, FaceVerifier, Verdict

    result = enroll(baseline_frames, reference=photo)   # RGB uint8 arrays
    if not result.accepted:
        show(result.reasons, [check.reason for check in result.frames])
    stored = result.enrollment.to_json()                # kept by the control API

    verifier = FaceVerifier(FaceEnrollment.from_json(stored))   # one per interview
    observation = verifier.analyze(frame)   # frames in order; a worker, never the loop
    observation.face_count, observation.verdict, observation.distance, observation.reason

    advice = baseline_advice(frame_advice(f) for f in baseline_frames)  # set-up tips
"""

from proctoring.face.detect import DetectionConfig, FaceBox, detect_faces
from proctoring.face.enroll import EnrollmentResult, FaceEnrollment, FrameCheck, enroll
from proctoring.face.inspect import FrameInspection, inspect_frame
from proctoring.face.policy import FaceEnrollConfig, FaceVerifyConfig, QualityGate
from proctoring.face.quality import FaceQuality
from proctoring.face.setup_advice import Advice, baseline_advice, frame_advice, setup_advice
from proctoring.face.track import FaceTracker, TrackConfig
from proctoring.face.verify import FaceObservation, FaceVerifier, Verdict, judge_inspection

__all__ = [
    "Advice",
    "DetectionConfig",
    "EnrollmentResult",
    "FaceBox",
    "FaceEnrollConfig",
    "FaceEnrollment",
    "FaceObservation",
    "FaceQuality",
    "FaceTracker",
    "FaceVerifier",
    "FaceVerifyConfig",
    "FrameCheck",
    "FrameInspection",
    "QualityGate",
    "TrackConfig",
    "Verdict",
    "baseline_advice",
    "detect_faces",
    "enroll",
    "frame_advice",
    "inspect_frame",
    "judge_inspection",
    "setup_advice",
]
