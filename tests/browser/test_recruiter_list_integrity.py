"""The recruiter's list in a real browser: each interview's integrity in words, and the
search, filter and sort controls changing what is listed (by keyboard and by label)."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, Locator, Page, expect

from tests.browser.conftest import RECRUITER_KEY, Site, screenshot
from tests.browser.pages import sign_in
from tests.support.anomalies import T0, anomaly_json
from tests.support.interviews import created, post_interview_async


async def _interview(http: httpx.AsyncClient, site: Site, title: str, name: str, email: str) -> str:
    answer = await post_interview_async(
        http, site.recruiter, title=title, candidate_name=name, candidate_email=email
    )
    return str(created(answer)["id"])


async def _anomalies(
    http: httpx.AsyncClient, site: Site, interview: str, *kinds: tuple[str, str]
) -> None:
    events = [
        anomaly_json(event_id, interview_id=interview, type=kind, started_at=T0 + i)
        for i, (event_id, kind) in enumerate(kinds)
    ]
    answer = await http.post(
        f"/agent/interviews/{interview}/events", json={"events": events}, headers=site.service
    )
    assert answer.status_code == 200, answer.text


async def _decide(http: httpx.AsyncClient, interview: str, anomaly: str, decision: str) -> None:
    answer = await http.post(
        f"/interviews/{interview}/anomalies/{anomaly}/decision", json={"decision": decision}
    )
    assert answer.status_code == 201, answer.text


async def _seed(site: Site) -> None:
    """Four interviews: an impostor confirmed, flags not reviewed, flags dismissed, none."""
    async with httpx.AsyncClient(base_url=site.url, headers=site.recruiter, timeout=30) as http:
        impostor = await _interview(http, site, "Impostor round", "Ida Impostor", "ida@x.example")
        await _anomalies(http, site, impostor, ("i1", "face_mismatch"))
        await _decide(http, impostor, "i1", "confirm")
        flagged = await _interview(http, site, "Flagged round", "Flo Flagged", "flo@y.example")
        await _anomalies(http, site, flagged, ("f1", "multiple_faces"), ("f2", "no_face"))
        dismissed = await _interview(http, site, "Dismissed round", "Dee Dismissed", "dee@z.org")
        await _anomalies(http, site, dismissed, ("d1", "no_face"))
        await _decide(http, dismissed, "d1", "dismiss")
        quiet = await _interview(http, site, "Quiet round", "Quinn Quiet", "quinn@z.org")
        answer = await http.post(f"/interviews/{quiet}/cancel", json={})
        assert answer.status_code == 200, answer.text
        await _interview(http, site, "Waiting round", "Wes Waiting", "wes@z.org")


def _words(page: Page, title: str) -> Locator:
    row = page.locator("#interviews tr", has_text=title)
    return row.locator("[data-integrity] .integrity-words")


async def _listed(page: Page) -> list[str]:
    return await page.locator("#interviews tr td:first-child strong").all_inner_texts()


async def test_the_list_says_each_integrity_and_filters_and_searches(
    browser: Browser, site: Site
) -> None:
    await _seed(site)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await sign_in(page, site.url, RECRUITER_KEY)

    expected = {
        "Impostor round": "Identity concern confirmed by proctor: 1 of 1 anomaly",
        "Flagged round": "Flagged: 2 anomalies, not reviewed",
        "Dismissed round": "Flags dismissed by proctor: 1 anomaly",
        "Quiet round": "Clean: no anomaly recorded",
        "Waiting round": "No anomaly so far",
    }
    for title, words in expected.items():
        await expect(_words(page, title)).to_have_text(words)
    await expect(page.locator("#interviews tr")).to_have_count(5)
    await screenshot(page, "recruiter-list-integrity")

    # Filter by integrity through its label.
    await page.get_by_label("Integrity", exact=True).select_option(label="Flagged, not reviewed")
    await expect(page.locator("#interviews tr")).to_have_count(1)
    assert await _listed(page) == ["Flagged round"]
    await expect(page.locator("#list-state")).to_contain_text(
        "1 interview matches the search and filters"
    )

    # Back to all, then filter by status with the keyboard only.
    await page.get_by_role("button", name="Show all interviews").click()
    await expect(page.locator("#interviews tr")).to_have_count(5)
    await page.get_by_label("Status", exact=True).focus()
    await page.keyboard.press("End")  # the last status: Failed (none)
    await expect(page.locator("#list-state")).to_have_text(
        "No interview matches the search and filters."
    )
    await expect(page.locator("#interviews tr")).to_have_count(0)
    await page.get_by_label("Status", exact=True).select_option(label="Cancelled")
    await expect(page.locator("#interviews tr")).to_have_count(1)
    assert await _listed(page) == ["Quiet round"]
    await page.get_by_label("Status", exact=True).select_option(label="All statuses")

    # Search by email, typed as a person types, ignoring case.
    search = page.get_by_label("Search by candidate name or email")
    await search.press_sequentially("Z.ORG", delay=30)
    await expect(page.locator("#interviews tr")).to_have_count(3)
    assert sorted(await _listed(page)) == ["Dismissed round", "Quiet round", "Waiting round"]
    await search.fill("impostor")
    await search.press("Enter")
    await expect(page.locator("#interviews tr")).to_have_count(1)
    assert await _listed(page) == ["Impostor round"]
    await search.fill("")
    await expect(page.locator("#interviews tr")).to_have_count(5)

    # Sort: most serious first.
    await page.get_by_label("Sort by").select_option(label="Integrity, most serious first")
    await expect(page.locator("#interviews tr").first).to_contain_text("Impostor round")
    await expect(page.locator("#list-caption")).to_contain_text("most serious integrity first")
    assert await _listed(page) == [
        "Impostor round",
        "Flagged round",
        "Dismissed round",
        "Quiet round",
        "Waiting round",
    ]
    await context.close()
