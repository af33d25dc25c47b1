"""The interview context the control API gives the agent, as a typed object."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from contracts.identities import candidate_identity, interview_id_of_room, room_name_for


@dataclass(frozen=True)
class EnrollmentFile:
    id: str
    kind: str  # reference_photo, baseline_image, baseline_audio
    content_type: str
    download_path: str


@dataclass(frozen=True)
class InterviewContext:
    interview_id: str
    title: str
    status: str
    candidate_name: str
    candidate_identity: str
    room: str
    job_description: str
    resume_text: str
    duration_minutes: float
    question_count: int
    sensitivity: str
    enrollment: tuple[EnrollmentFile, ...] = field(default=())
    face_enrollment: str | None = None
    """The face embeddings the API accepted from the baseline (FaceEnrollment JSON)."""
    voice_enrollment: str | None = None
    """The voice embedding the API accepted from the baseline (VoiceEnrollment JSON);
    the recording itself is never stored, so this is the only voice baseline there is."""

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> InterviewContext:
        interview_id = str(body["interview_id"])
        return cls(
            interview_id=interview_id,
            title=str(body.get("title", "")),
            status=str(body.get("status", "")),
            candidate_name=str(body.get("candidate_name", "")),
            candidate_identity=str(
                body.get("candidate_identity") or candidate_identity(interview_id)
            ),
            room=str(body.get("room") or room_name_for(interview_id)),
            job_description=str(body.get("job_description", "")),
            resume_text=str(body.get("resume_text", "")),
            duration_minutes=float(body.get("duration_minutes", 20)),
            question_count=int(body.get("question_count", 5)),
            sensitivity=str(body.get("sensitivity", "standard")),
            enrollment=tuple(
                EnrollmentFile(
                    id=str(ref["id"]),
                    kind=str(ref["kind"]),
                    content_type=str(ref.get("content_type", "")),
                    download_path=str(ref["download_path"]),
                )
                for ref in body.get("enrollment", [])
            ),
            face_enrollment=body.get("face_enrollment") or None,
            voice_enrollment=body.get("voice_enrollment") or None,
        )

    def files(self, *kinds: str) -> list[EnrollmentFile]:
        return [f for f in self.enrollment if f.kind in kinds]


def interview_id_from_job(metadata: str, room_name: str) -> str:
    """The dispatch metadata's ``interview_id``; else the room name ``interview-<id>``."""
    if metadata:
        try:
            value = json.loads(metadata).get("interview_id")
        except (ValueError, AttributeError):
            value = None
        if value:
            return str(value)
    from_room = interview_id_of_room(room_name)
    if from_room:
        return from_room
    raise ValueError("the job names no interview (metadata or room name)")
