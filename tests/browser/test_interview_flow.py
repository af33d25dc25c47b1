"""The whole product in real browsers: recruiter, candidate, proctor, and the real agent.

A recruiter creates the interview on the page; the candidate's browser (a fake camera
playing real photos of the candidate, a fake microphone playing real speech) consents,
records its baseline and joins; a proctor's browser joins hidden. Some seconds after
joining, the candidate's camera shows another person: the proctor's sidebar must show
the face mismatch within seconds, with its snapshot, while the candidate's browser
never receives a proctoring message. The proctor confirms it with a note, and a proctor
who opens the link afterwards sees it (and the decision) from the stored history.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.agent.conftest import RunningAPI, agent_settings, running_worker
from tests.browser.conftest import (
    DATA_CHANNEL_WATCH,
    RECRUITER_KEY,
    SERVICE_TOKEN,
    FakeMedia,
    Site,
    screenshot,
)
from tests.browser.pages import CreatedInterview, create_interview, record_baseline, sign_in
from tests.support.livekit_server import TestLiveKitServer

pytestmark = [pytest.mark.slow]

MEDIA_PERMISSIONS = ["camera", "microphone"]
# From the other person's first frame to the card in the sidebar: the agent samples two
# frames a second and confirms over a few of them; allow for a loaded CI machine.
DETECTION_BUDGET_SECONDS = 25.0
# One question: greeting, question, the answer (until the next pause of the fake
# microphone's speech), closing words.
END_BUDGET_SECONDS = 90.0


async def test_impostor_reaches_the_proctor_sidebar_and_never_the_candidate(
    tmp_path: Path,
    browser: Browser,
    site: Site,
    livekit_server: TestLiveKitServer,
    fake_media: FakeMedia,
) -> None:
    api = RunningAPI(site.url, site.settings, site.app)
    settings = agent_settings(tmp_path, api, livekit_server, service_token=SERVICE_TOKEN)
    async with running_worker(settings):
        # 1. The recruiter creates the interview through the page.
        recruiter_context = await browser.new_context()
        recruiter = await recruiter_context.new_page()
        await sign_in(recruiter, site.url, RECRUITER_KEY)
        created = await create_interview(recruiter, "Backend engineer, browser round", questions=1)
        await recruiter_context.close()

        # 2. The candidate consents and records the baseline (the enrolled face on camera).
        candidate_context = await browser.new_context(
            permissions=MEDIA_PERMISSIONS, viewport={"width": 1200, "height": 900}
        )
        await candidate_context.add_init_script(DATA_CHANNEL_WATCH)
        candidate = await candidate_context.new_page()
        await record_baseline(candidate, created.candidate_link)
        await screenshot(candidate, "candidate-ready")

        # 3. The proctor joins, hidden.
        proctor_context = await browser.new_context(viewport={"width": 1400, "height": 900})
        await proctor_context.add_init_script(DATA_CHANNEL_WATCH)
        proctor = await proctor_context.new_page()
        await proctor.goto(created.proctor_link)
        await expect(proctor.locator("#layout")).to_have_attribute(
            "data-connection", "connected", timeout=20_000
        )
        await expect(proctor.locator("#anomalies-empty")).to_be_visible()
        # The baseline was accepted, so the proctor is told first that identity was verified.
        await expect(proctor.locator("#identity")).to_contain_text("Identity verified")

        # The candidate joins: the camera opens again, from the enrolled face.
        await candidate.get_by_role("button", name="Join the interview").click()
        joined_at = time.time()
        await expect(candidate.locator("#step-room")).to_have_attribute(
            "data-connection", "connected", timeout=20_000
        )
        await expect(candidate.locator("#interviewer-state")).to_contain_text(
            "The interviewer is here", timeout=30_000
        )
        await expect(proctor.locator("#video-label")).to_have_text("Jordan Example")
        await expect(proctor.locator("[data-signal=face_mismatch]")).to_be_visible(timeout=20_000)
        await screenshot(candidate, "candidate-room")

        # 4. The other person appears on camera: the sidebar shows it within seconds.
        impostor_at = joined_at + fake_media.genuine_seconds
        card = proctor.locator("#anomalies li[data-type=face_mismatch]").first
        await expect(card).to_be_visible(
            timeout=(fake_media.genuine_seconds + DETECTION_BUDGET_SECONDS) * 1000
        )
        shown_at = time.time()
        started_at = float(await card.get_attribute("data-started-at") or 0)
        print(f"face_mismatch shown {shown_at - impostor_at:.1f} s after the other face appeared")
        assert started_at > impostor_at - 2.0, "flagged while the enrolled face was on camera"
        await expect(card).to_contain_text("Different person on camera")
        await expect(card.locator("img")).to_be_visible(timeout=15_000)  # the snapshot
        await screenshot(proctor, "proctor-anomaly")

        # The candidate's page shows nothing of it and its browser received no such data.
        assert await candidate.locator("#anomalies, [data-type]").count() == 0
        candidate_text = await candidate.locator("body").inner_text()
        for word in ("Different person", "anomal", "mismatch", "proctor"):
            assert word.lower() not in candidate_text.lower()
        candidate_watch = await candidate.evaluate("window.__dataChannelWatch")
        proctor_watch = await proctor.evaluate("window.__dataChannelWatch")
        assert proctor_watch["proctoring"] > 0  # the watch does see proctoring messages
        assert candidate_watch["proctoring"] == 0
        await screenshot(candidate, "candidate-during-anomaly")

        # The proctor confirms with a note: stored through the API.
        await card.get_by_label("Note").fill("Another person answered")
        await card.get_by_role("button", name="Confirm").click()
        await expect(card).to_contain_text("Confirmed at", timeout=10_000)
        # the decision in force cannot be sent again; the other one now changes it
        await expect(card.get_by_role("button", name="Confirm")).to_be_disabled()
        await expect(card.get_by_role("button", name="Change to dismiss")).to_be_enabled()
        token = created.proctor_link.rsplit("/", 1)[1]
        async with httpx.AsyncClient(base_url=site.url) as http:
            history = (await http.get(f"/links/{token}/events")).json()["anomalies"]
        decided = [a for a in history if a["type"] == "face_mismatch" and a["decision"]]
        assert decided and decided[0]["decision"]["decision"] == "confirm"
        assert decided[0]["decision"]["note"] == "Another person answered"

        # A proctor who opens the link late sees the history, decision included.
        late_context = await browser.new_context(viewport={"width": 1400, "height": 900})
        late = await late_context.new_page()
        await late.goto(created.proctor_link)
        late_card = late.locator("#anomalies li[data-type=face_mismatch]").first
        await expect(late_card).to_contain_text("Confirmed at", timeout=10_000)
        await screenshot(late, "proctor-late-joiner")

        # The interviewer asks its one question, closes, and leaves: a clean end screen.
        await expect(candidate.get_by_role("heading", name="The interview is over")).to_be_visible(
            timeout=END_BUDGET_SECONDS * 1000
        )
        await screenshot(candidate, "candidate-end")
        # The proctor is told too, in words, and no longer shown a live room (the page
        # watching now is the late one: one link is one identity, and the first page
        # says why it left).
        await expect(proctor.locator("#banner")).to_contain_text("opened in another tab or window")
        await expect(late.locator("#banner")).to_contain_text(
            "The interview is over", timeout=30_000
        )
        await expect(late.locator("#room-state")).to_have_text("Interview over")
        await screenshot(late, "proctor-end")
        await wait_for_status(site, created, {"completed", "evaluated"}, timeout=30)
        for context in (late_context, proctor_context, candidate_context):
            await context.close()


async def wait_for_status(
    site: Site, created: CreatedInterview, wanted: set[str], timeout: float
) -> str:
    """Poll the API until the interview reaches one of ``wanted``; return it."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=site.url, headers=site.recruiter) as http:
        listed = (await http.get("/interviews")).json()["items"]
        interview_id = next(i["id"] for i in listed if i["title"] == created.title)
        while True:
            status = str((await http.get(f"/interviews/{interview_id}")).json()["status"])
            if status in wanted:
                return status
            assert time.monotonic() < deadline, f"the interview stayed {status}"
            await asyncio.sleep(1)
