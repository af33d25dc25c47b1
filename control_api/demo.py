"""Create a sample interview through the public API, as a recruiter would.

Used by ``proctorai demo``; it talks HTTP to the running control API (never to the
database directly) so the demo exercises exactly what a recruiter's client does.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from control_api.settings import Settings


def create_sample_interview(settings: Settings, sample_dir: Path) -> dict[str, object]:
    """POST /interviews with the sample resume and job description; print the links."""
    headers = {"Authorization": f"Bearer {settings.recruiter_api_key.get_secret_value()}"}
    resume = sample_dir / "resume.txt"
    job = sample_dir / "job_description.txt"
    with resume.open("rb") as resume_file, job.open("rb") as job_file:
        response = httpx.post(
            f"{settings.public_url}/interviews",
            headers=headers,
            data={
                "title": "Senior Backend Engineer (demo)",
                "candidate_name": "Jordan Example",
                "candidate_email": "jordan@example.com",
                "duration_minutes": "10",
                "question_count": "4",
                "sensitivity": "standard",
            },
            files={
                "resume": (resume.name, resume_file, "text/plain"),
                "job_description_file": (job.name, job_file, "text/plain"),
            },
            timeout=30,
        )
    response.raise_for_status()
    interview: dict[str, object] = response.json()
    print(
        "\nSample interview created:\n"
        f"  id              {interview['id']}\n"
        f"  candidate link  {interview['candidate_link']}\n"
        f"  proctor link    {interview['proctor_link']}\n",
        flush=True,
    )
    return interview
