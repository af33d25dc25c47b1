"""What the control API tells the agent about one interview (its GET context route).

One definition for both sides: the API builds :class:`InterviewContext` and serves it
(its OpenAPI schema comes from this model), the agent validates the response into the
same model. Before, the agent hand-parsed the JSON with defaults of its own (a duration
of 20, five questions) that disagreed with the API's; now a missing field is an error
the agent reports, not a silent guess. Unknown fields are ignored, so an API that adds
one does not break the agents already running.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.statuses import InterviewStatus


class Sensitivity(StrEnum):
    """How readily anomalies are raised (``proctoring.sensitivity`` holds the presets)."""

    LENIENT = "lenient"
    STANDARD = "standard"
    STRICT = "strict"


class EnrollmentFile(BaseModel):
    """A reference photo or baseline file the agent may download with its service token."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    kind: Literal["reference_photo", "baseline_image", "baseline_audio"]
    content_type: str
    size_bytes: int
    sha256: str
    download_path: str = Field(description="GET it with the service token.")


class InterviewContext(BaseModel):
    """Everything the agent needs to run one interview."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    interview_id: str
    title: str
    status: InterviewStatus
    candidate_name: str
    candidate_identity: str
    room: str
    job_description: str
    resume_text: str
    duration_minutes: int
    question_count: int
    sensitivity: Sensitivity
    enrollment: tuple[EnrollmentFile, ...] = Field(
        default=(), description="Reference photo and baseline media, when present."
    )
    face_enrollment: str | None = Field(
        None, description="Face embeddings (proctoring.face.FaceEnrollment JSON), when enrolled"
    )
    voice_enrollment: str | None = Field(
        None,
        description="Voice embedding (proctoring.voice.VoiceEnrollment JSON), when enrolled; "
        "the recording itself is never stored, so this is the only voice baseline there is",
    )

    def files(self, *kinds: str) -> list[EnrollmentFile]:
        return [f for f in self.enrollment if f.kind in kinds]
