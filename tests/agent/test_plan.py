"""The interview plan: tailored, bounded, deterministic."""

from __future__ import annotations

import pytest

from agent.interviewer.plan import (
    CLOSING_SECONDS,
    OPENING_SECONDS,
    build_plan,
    shared_skills,
)
from proctorai.resources import DEMO_DIR

DEMO = DEMO_DIR
RESUME = (DEMO / "resume.txt").read_text()
JOB = (DEMO / "job_description.txt").read_text()


def _plan(count: int = 4, minutes: float = 10):
    return build_plan(
        candidate_name="Jordan Example",
        resume_text=RESUME,
        job_text=JOB,
        question_count=count,
        duration_minutes=minutes,
    )


def test_same_inputs_give_the_same_plan() -> None:
    assert _plan() == _plan()


def test_questions_come_from_the_resume_the_job_and_their_shared_skills() -> None:
    plan = _plan(count=6)
    assert [q.source for q in plan.questions] == ["resume", "job", "skills"] * 2
    # the resume line most related to the job comes first
    assert "signalling service" in plan.questions[0].text
    assert "WebRTC" in plan.questions[1].text
    assert plan.questions[2].text.count("Python") == 2
    assert all(len(q.follow_ups) == 2 for q in plan.questions)
    assert [q.id for q in plan.questions] == [f"q{i}" for i in range(1, 7)]


def test_shared_skills_are_technical_terms_both_documents_mention() -> None:
    skills = shared_skills(RESUME, JOB)
    assert skills[:3] == ["Python", "PostgreSQL", "WebRTC"]
    assert {"asyncio", "FastAPI"} <= set(skills)
    assert not {"Senior", "Engineer", "Backend"} & set(skills)  # title words are not skills
    assert "Kubernetes" not in skills  # only the resume mentions it


def test_time_budget_adds_up_to_the_duration() -> None:
    plan = _plan(count=4, minutes=10)
    assert plan.opening_seconds == OPENING_SECONDS
    assert plan.closing_seconds == CLOSING_SECONDS
    total = (
        plan.opening_seconds + plan.closing_seconds + sum(q.budget_seconds for q in plan.questions)
    )
    assert total == pytest.approx(600, abs=1)


def test_plain_documents_still_give_the_number_of_questions_asked_for() -> None:
    plan = build_plan(
        candidate_name="",
        resume_text="I like computers.",
        job_text="Data clerk",
        question_count=5,
        duration_minutes=5,
    )
    assert len(plan.questions) == 5
    assert {q.source for q in plan.questions} == {"generic"}
    assert len({q.text for q in plan.questions}) == 5
    assert plan.opening.startswith("Hello there")
    assert "Data clerk" in plan.questions[0].text


def test_instructions_carry_the_plan_for_the_realtime_model() -> None:
    plan = _plan()
    text = plan.instructions()
    assert plan.opening in text and plan.closing in text
    for question in plan.questions:
        assert question.text in text
    assert "10 minutes" in text


@pytest.mark.parametrize("count, minutes", [(0, 10), (3, 0)])
def test_nonsense_options_are_refused(count: int, minutes: float) -> None:
    with pytest.raises(ValueError):
        build_plan(
            candidate_name="A",
            resume_text=RESUME,
            job_text=JOB,
            question_count=count,
            duration_minutes=minutes,
        )
