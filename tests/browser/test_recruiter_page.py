"""The recruiter's page in a real browser: key, creating interviews, errors, the list, reports."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, expect

from tests.browser.conftest import RECRUITER_KEY, Site, screenshot
from tests.browser.pages import create_interview, sign_in


async def test_recruiter_creates_an_interview_and_follows_it_to_the_report(
    browser: Browser, site: Site
) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()

    # A wrong key is refused with the API's own words, and never lands in the URL.
    await page.goto(f"{site.url}/app")
    await page.get_by_label("Recruiter API key").fill("not-the-key")
    await page.get_by_role("button", name="Use this key").click()
    await expect(page.locator("#key-message")).to_contain_text("`proctorai up` prints it")
    await sign_in(page, site.url, RECRUITER_KEY)
    assert "key" not in page.url
    assert await page.evaluate("sessionStorage.getItem('proctorai.recruiter_key')") == RECRUITER_KEY

    # A form the API refuses shows its detail (here: no job description at all).
    await page.get_by_label("Title").fill("Missing job description")
    await page.get_by_label("Candidate's name").fill("Jordan Example")
    await page.get_by_label("Candidate's email").fill("jordan@example.com")
    await page.get_by_label("Resume (PDF, DOCX or text)").set_input_files(
        {"name": "resume.txt", "mimeType": "text/plain", "buffer": b"Ten years of Python."}
    )
    await page.get_by_role("button", name="Create the interview").click()
    await expect(page.locator("#create-message")).to_contain_text("job_description: required")
    await page.get_by_label("Title").fill("")

    created = await create_interview(page, "Platform engineer, first round")
    assert created.candidate_link.startswith(f"{site.url}/join/")
    assert created.proctor_link.startswith(f"{site.url}/proctor/")
    row = page.locator("#interviews tr", has_text="Platform engineer, first round")
    await expect(row.locator("[data-status]")).to_have_text("Waiting for the candidate")
    await screenshot(page, "recruiter-created")

    # The row's links say what is known of identity and who watched (nobody yet).
    await row.get_by_role("button", name=f"Links of {created.title}").click()
    await expect(page.locator("#identity-state")).to_contain_text("Identity not verified yet")
    await expect(page.locator("#watchers")).to_have_text("No proctor has watched so far.")

    # The list follows the interview as the agent moves it on, by polling.
    async with httpx.AsyncClient(base_url=site.url, headers=site.recruiter) as http:
        listed = (await http.get("/interviews")).json()["items"]
        interview_id = next(i["id"] for i in listed if i["title"] == created.title)
        for status in ("in_progress", "completed"):
            answer = await http.post(
                f"/agent/interviews/{interview_id}/lifecycle",
                json={"status": status},
                headers=site.service,
            )
            assert answer.status_code == 200, answer.text
    await expect(row.locator("[data-status]")).to_have_text("Report ready", timeout=30_000)

    # The report opens in a new tab as a blob (the API key travels in a header).
    async with context.expect_page() as opened:
        await row.get_by_role("button", name=f"Report of {created.title}", exact=True).click()
    report = await opened.value
    await report.wait_for_url(lambda url: url.startswith("blob:"))
    await expect(report.locator("body")).to_contain_text("Platform engineer, first round")
    # No baseline was recorded: the report says so before anything else.
    await expect(report.locator("header .identity")).to_contain_text("Identity not verified")
    await screenshot(report, "recruiter-report")
    async with context.expect_page() as opened_pdf:
        await row.get_by_role("button", name=f"PDF report of {created.title}").click()
    pdf = await opened_pdf.value
    await pdf.wait_for_url(lambda url: url.startswith("blob:"))
    await screenshot(page, "recruiter-list")

    # A finished interview offers no links any more.
    assert await row.get_by_role("button", name=f"Links of {created.title}").count() == 0
    await context.close()
