"""The candidate's page when things go wrong: camera refused, photos the engine rejects.

Both run in real Chromium against the real API and engine; the second uses a fake
camera that films an empty room (no face), so the engine's own reasons come back and
must be shown in plain words, with a way to try again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.async_api import Browser, async_playwright, expect

from tests.browser.conftest import (
    CHROMIUM,
    FakeMedia,
    Site,
    chromium_args,
    screenshot,
)
from tests.browser.media import (
    BACKGROUND,
    HEIGHT,
    WIDTH,
    Shot,
    candidate_speech,
    write_speech_wav,
    write_y4m,
)
from tests.browser.pages import candidate_link_for
from tests.support.interviews import created, post_interview_async

PHONE = {"width": 390, "height": 844}


async def _candidate_link(site: Site) -> str:
    return await candidate_link_for(site.url, site.recruiter)


async def test_refused_camera_gets_plain_help_on_a_phone(browser: Browser, site: Site) -> None:
    context = await browser.new_context(viewport=PHONE, permissions=[])  # camera refused
    page = await context.new_page()
    await page.goto(await _candidate_link(site))
    await screenshot(page, "candidate-consent-phone")
    await page.get_by_label("I have read this and I agree").check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("button", name="Allow camera and microphone").click()
    message = page.locator("#devices-message")
    await expect(message).to_contain_text("blocked the camera or microphone")
    await expect(message).to_contain_text("address bar")
    await expect(page.get_by_role("button", name="Try again")).to_be_enabled()
    await expect(page.get_by_role("button", name="They work: continue")).to_be_disabled()
    await screenshot(page, "candidate-camera-refused-phone")
    await context.close()


@pytest.fixture
async def empty_room_browser(tmp_path: Path) -> AsyncIterator[Browser]:
    """Chromium whose fake camera films an empty background (nobody in view)."""
    audio = tmp_path / "speech.wav"
    write_speech_wav(audio, candidate_speech()[:1])
    media = FakeMedia(_empty_scene(tmp_path), audio, 0.0)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=chromium_args(media)
        )
        try:
            yield launched
        finally:
            await launched.close()


def _empty_scene(folder: Path) -> Path:
    """Two seconds of the grey background alone."""
    still = folder / "empty-room.png"
    Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND).save(still)
    video = folder / "empty-room.y4m"
    write_y4m(video, [Shot(still, 2.0)])
    return video


async def test_photos_without_a_face_are_refused_with_the_engines_reasons(
    empty_room_browser: Browser, site: Site
) -> None:
    context = await empty_room_browser.new_context(permissions=["camera", "microphone"])
    page = await context.new_page()
    await page.goto(await _candidate_link(site))
    await page.get_by_label("I have read this and I agree").check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("button", name="Allow camera and microphone").click()
    await page.get_by_role("button", name="They work: continue").click()
    # The live check already warns: nothing face-like in the middle of the picture.
    await expect(page.locator("#photo-feedback")).to_contain_text("cannot make out a face")
    await page.get_by_role("button", name="Take the photos").click()
    message = page.locator("#photos-message")
    await expect(message).to_contain_text("These photos cannot be used", timeout=30_000)
    assert await message.locator("li").count() >= 1  # the engine's reasons, listed
    await expect(page.locator("#photo-thumbs figure.rejected")).to_have_count(4)
    await expect(page.get_by_role("button", name="Take the photos again")).to_be_enabled()
    await screenshot(page, "candidate-photos-refused")
    await context.close()


async def test_a_cancelled_interview_says_so_on_the_first_screen(
    browser: Browser, site: Site
) -> None:
    """Before consent, camera and photos: the candidate of a cancelled interview is told
    at once, and offered nothing to fill in."""
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as http:
        interview = created(
            await post_interview_async(
                http,
                site.recruiter,
                title="Support engineer",
                candidate_name="Sam Example",
                candidate_email="sam@example.com",
            )
        )
        cancel = await http.post(
            f"/interviews/{interview['id']}/cancel", json={}, headers=site.recruiter
        )
        assert cancel.status_code == 200
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.goto(str(interview["candidate_link"]))
    await expect(page.locator("#fatal")).to_contain_text(
        "This interview was cancelled by the recruiter, so there is nothing to prepare."
    )
    await expect(page.get_by_label("I have read this and I agree")).to_be_hidden()
    await expect(page.get_by_text("1. Consent")).to_be_hidden()
    await screenshot(page, "candidate-cancelled-phone")
    await context.close()
