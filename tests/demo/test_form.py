"""The one ``POST /interviews`` form builder (proctorai/demo/form.py): what every
interview the demo, the benchmarks and the tests create is made of."""

from __future__ import annotations

from proctorai.demo.form import interview_form, sample_file
from proctorai.resources import DEMO_DIR


def test_the_default_form_is_the_sample_interview() -> None:
    data, files = interview_form()
    assert data == {
        "title": "Senior Backend Engineer",
        "candidate_name": "Jordan Example",
        "candidate_email": "jordan@example.com",
        "job_description": (DEMO_DIR / "job_description.txt").read_text(encoding="utf-8"),
    }
    assert files == {"resume": ("resume.txt", (DEMO_DIR / "resume.txt").read_bytes(), "text/plain")}


def test_fields_and_files_are_overridden_dropped_and_written_as_text() -> None:
    """Numbers and booleans go as httpx would write them; None drops a part; file parts
    go to ``files`` whatever their name's position."""
    photo = ("me.jpg", b"\xff\xd8", "image/jpeg")
    data, files = interview_form(
        question_count=4,
        duration_minutes=20,
        flag=True,
        job_description=None,
        job_description_file=("job.txt", b"Python", "text/plain"),
        reference_photo=photo,
        resume=None,
    )
    assert data["question_count"] == "4" and data["duration_minutes"] == "20"
    assert data["flag"] == "true"
    assert "job_description" not in data
    assert files == {
        "job_description_file": ("job.txt", b"Python", "text/plain"),
        "reference_photo": photo,
    }


def test_each_call_gets_its_own_form() -> None:
    first, first_files = interview_form()
    first["title"] = "changed"
    first_files.pop("resume")
    second, second_files = interview_form()
    assert second["title"] == "Senior Backend Engineer" and "resume" in second_files
    assert sample_file("resume.txt") == (DEMO_DIR / "resume.txt").read_bytes()
