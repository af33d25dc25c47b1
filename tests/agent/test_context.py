"""Which interview a job is for, and the context it gets from the API."""

from __future__ import annotations

import pytest

from agent.context import InterviewContext, interview_id_from_job


def test_interview_id_comes_from_the_dispatch_metadata() -> None:
    assert interview_id_from_job('{"interview_id": "abc"}', "interview-other") == "abc"


def test_room_name_is_the_fallback() -> None:
    assert interview_id_from_job("", "interview-xyz") == "xyz"
    assert interview_id_from_job("not json", "interview-xyz") == "xyz"


def test_a_job_naming_no_interview_is_refused() -> None:
    with pytest.raises(ValueError):
        interview_id_from_job("{}", "some-room")


def test_context_from_the_api_body() -> None:
    context = InterviewContext.from_api(
        {
            "interview_id": "i1",
            "title": "Engineer",
            "status": "ready",
            "candidate_name": "A B",
            "candidate_identity": "candidate-i1",
            "room": "interview-i1",
            "job_description": "job",
            "resume_text": "resume",
            "duration_minutes": 15,
            "question_count": 3,
            "sensitivity": "strict",
            "enrollment": [
                {
                    "id": "f1",
                    "kind": "reference_photo",
                    "content_type": "image/jpeg",
                    "size_bytes": 10,
                    "sha256": "x",
                    "download_path": "/agent/interviews/i1/files/f1",
                }
            ],
        }
    )
    assert context.duration_minutes == 15
    assert [f.id for f in context.files("reference_photo", "baseline_image")] == ["f1"]
    assert context.files("baseline_audio") == []
