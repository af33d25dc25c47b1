"""One face observation as readings of the three smoothed face signals.

The face engine answers per frame (how many faces, and match / mismatch /
uncertain for the candidate's); the monitor smooths per signal. This is the
single mapping between the two, shared by the agent and the tests:

* ``no_face``: anomalous when no face is found and the search confirms nobody is
  there (``FaceObservation.absence_confirmed``: the deepest search found nobody, or
  the picture is blank), uncertain when no face is found otherwise (a face the
  detector cannot find in a picture that is not empty is not an absence, issue 17),
  else clean.
* ``multiple_faces``: anomalous when more than one face is found, else clean.
* ``face_mismatch``: anomalous on a mismatch, clean on a match, uncertain
  otherwise, including when no face is found (nobody to judge is not someone
  else) and when the face is too small, dark or blurred to judge: a candidate
  in poor light neither raises nor clears a mismatch.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue

from contracts.anomaly import AnomalyEvent, AnomalyType
from proctoring.face.verify import FaceObservation, Verdict
from proctoring.monitor import ProctoringMonitor
from proctoring.smoothing import Reading

FACE_SIGNALS: tuple[AnomalyType, ...] = (
    AnomalyType.FACE_MISMATCH,
    AnomalyType.MULTIPLE_FACES,
    AnomalyType.NO_FACE,
)
_IDENTITY = {
    Verdict.MATCH: Reading.CLEAN,
    Verdict.MISMATCH: Reading.ANOMALOUS,
    Verdict.UNCERTAIN: Reading.UNCERTAIN,
}


def face_readings(observation: FaceObservation) -> dict[AnomalyType, Reading]:
    """The reading of each face signal for one observation (keys: ``FACE_SIGNALS``)."""
    count = observation.face_count
    identity = Reading.UNCERTAIN if count == 0 else _IDENTITY[observation.verdict]
    return {
        AnomalyType.FACE_MISMATCH: identity,
        AnomalyType.MULTIPLE_FACES: Reading.ANOMALOUS if count > 1 else Reading.CLEAN,
        AnomalyType.NO_FACE: _absence(observation),
    }


def _absence(observation: FaceObservation) -> Reading:
    if observation.face_count > 0:
        return Reading.CLEAN
    return Reading.ANOMALOUS if observation.absence_confirmed else Reading.UNCERTAIN


def face_evidence(observation: FaceObservation) -> dict[str, JsonValue]:
    """Plain-JSON evidence for the events (counts and a distance; no image, no embedding)."""
    return {
        "face_count": observation.face_count,
        "distance": None if observation.distance is None else round(observation.distance, 4),
        "verdict": observation.verdict.value,
    }


def observe_face(
    monitor: ProctoringMonitor,
    observation: FaceObservation,
    t: float,
    evidence: Mapping[str, JsonValue] | None = None,
) -> list[AnomalyEvent]:
    """Feed one observation at time ``t`` to the monitor; the events it returns.

    ``evidence`` is added to :func:`face_evidence` (the agent adds where the
    enrollment came from, for instance).
    """
    details = {**face_evidence(observation), **(evidence or {})}
    events: list[AnomalyEvent] = []
    for signal, reading in face_readings(observation).items():
        events += monitor.observe(signal, t, reading, evidence=details)
    return events
