"""Which interview a job is for, and the context it gets from the API."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agent.context import interview_id_from_job
from contracts.interview_context import InterviewContext
from tests.support.contexts import context_body


def test_interview_id_comes_from_the_dispatch_metadata() -> None:
    assert interview_id_from_job('{"interview_id": "abc"}', "interview-other") == "abc"


def test_room_name_is_the_fallback() -> None:
    assert interview_id_from_job("", "interview-xyz") == "xyz"
    assert interview_id_from_job("not json", "interview-xyz") == "xyz"


def test_a_job_naming_no_interview_is_refused() -> None:
    with pytest.raises(ValueError):
        interview_id_from_job("{}", "some-room")


_BODY = context_body()


def test_context_from_the_api_body() -> None:
    context = InterviewContext.model_validate(
        {
            **_BODY,
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


def test_a_context_missing_a_field_is_refused_not_guessed() -> None:
    """The agent once filled a missing duration with 20 and questions with 5 of its own."""
    with pytest.raises(ValidationError) as refused:
        InterviewContext.model_validate({"interview_id": "i1", "title": "Engineer"})
    missing = {str(e["loc"][0]) for e in refused.value.errors() if e["type"] == "missing"}
    assert {"duration_minutes", "question_count", "sensitivity"} <= missing


def test_a_field_a_newer_api_adds_is_ignored() -> None:
    body = {**_BODY, "something_new": 1}
    assert InterviewContext.model_validate(body).interview_id == "i1"
