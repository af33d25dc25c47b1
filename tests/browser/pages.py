"""What a person does on each page, as Playwright steps shared by the browser tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.browser.media import FACES
from tests.support.interviews import created, interview_form, post_interview_async


@dataclass(frozen=True)
class CreatedInterview:
    title: str
    candidate_link: str
    proctor_link: str


async def sign_in(page: Page, base_url: str, key: str) -> None:
    await page.goto(f"{base_url}/app")
    await page.get_by_label("Recruiter API key").fill(key)
    await page.get_by_role("button", name="Use this key").click()
    await expect(page.get_by_role("heading", name="New interview")).to_be_visible()


async def create_interview(
    page: Page,
    title: str,
    *,
    duration_minutes: int = 5,
    questions: int = 3,
    reference_photo: Path | None = FACES / "obama2.jpg",
) -> CreatedInterview:
    """Fill in and send the form with the values every test's interview has
    (:func:`tests.support.interviews.interview_form`); return the links the page shows."""
    data, files = interview_form(
        title=title,
        duration_minutes=duration_minutes,
        question_count=questions,
        sensitivity="standard",
    )
    resume_name, resume, resume_type = files["resume"]
    await page.get_by_label("Title").fill(data["title"])
    await page.get_by_label("Candidate's name").fill(data["candidate_name"])
    await page.get_by_label("Candidate's email").fill(data["candidate_email"])
    await page.get_by_label("Resume (PDF, DOCX or text)").set_input_files(
        {"name": resume_name, "mimeType": resume_type, "buffer": resume}
    )
    await page.get_by_label("Text", exact=True).fill(data["job_description"])
    await page.get_by_label("Duration (minutes)").fill(data["duration_minutes"])
    await page.get_by_label("Questions").fill(data["question_count"])
    await page.get_by_label("Proctoring sensitivity").select_option(data["sensitivity"])
    if reference_photo is not None:
        await page.get_by_label("Reference photo of the candidate").set_input_files(
            str(reference_photo)
        )
    await page.get_by_role("button", name="Create the interview").click()
    await expect(page.locator("#create-message")).to_contain_text("The interview is created")
    candidate = await page.locator("#created-candidate-link").input_value()
    proctor = await page.locator("#created-proctor-link").input_value()
    return CreatedInterview(title, candidate, proctor)


async def record_baseline(page: Page, candidate_link: str) -> None:
    """Consent, device check, face photos and the reading, up to "You are ready"."""
    await page.goto(candidate_link)
    await expect(page.get_by_role("heading", name="what is recorded and why")).to_be_visible()
    continue_button = page.get_by_role("button", name="Continue")
    await expect(continue_button).to_be_disabled()
    await page.get_by_label("I have read this and I agree").check()
    await continue_button.click()

    await page.get_by_role("button", name="Allow camera and microphone").click()
    await expect(page.locator("#devices-message")).to_contain_text("camera and microphone are on")
    await expect(page.locator("#check-level-hint")).to_have_text("We can hear you.", timeout=15_000)
    await page.get_by_role("button", name="They work: continue").click()

    await expect(page.locator("#photo-feedback")).to_contain_text("Light is good.")
    await page.get_by_role("button", name="Take the photos").click()
    await expect(page.locator("#photos-message")).to_contain_text(
        "Your photos are recorded.", timeout=30_000
    )

    await page.get_by_role("button", name="Start reading").click()
    await expect(page.locator("#voice-status")).to_contain_text("Recording")
    await expect(page.get_by_role("heading", name="You are ready")).to_be_visible(timeout=45_000)


async def candidate_link_for(base_url: str, recruiter: dict[str, str]) -> str:
    """A fresh interview's candidate link, created through the API (no recruiter page)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        answer = await post_interview_async(
            http,
            recruiter,
            title="Support engineer",
            candidate_name="Sam Example",
            candidate_email="sam@example.com",
        )
    return str(created(answer)["candidate_link"])
