"""The photo step says, before the interview, when the set-up will make the live check unsure.

Real Chromium on the real page and API: a fake camera filming a real face in a dim room
gets its photos accepted and the advice to add light, with a way to retake them or go
on; the good camera (the session's fake media) gets no advice and moves on by itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.browser.conftest import CHROMIUM, FakeMedia, Site, chromium_args, screenshot
from tests.browser.media import (
    FACES,
    Shot,
    candidate_speech,
    frame_rgb,
    write_speech_wav,
    write_y4m,
)
from tests.browser.pages import candidate_link_for
from tests.support.face_images import darkened

DIM_GAIN = 0.5  # accepted by the enrollment, too dim for a sure live check


async def _candidate_link(site: Site) -> str:
    return await candidate_link_for(site.url, site.recruiter)


@pytest.fixture
async def dim_room_browser(tmp_path: Path) -> AsyncIterator[Browser]:
    """Chromium whose fake camera films the candidate (obama) in a dim room."""
    still = tmp_path / "dim-room.png"
    Image.fromarray(darkened(frame_rgb(FACES / "obama.jpg"), DIM_GAIN)).save(still)
    video = tmp_path / "dim-room.y4m"
    write_y4m(video, [Shot(still, 20.0)])
    audio = tmp_path / "speech.wav"
    write_speech_wav(audio, candidate_speech()[:1])
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=chromium_args(FakeMedia(video, audio, 0.0)),
        )
        try:
            yield launched
        finally:
            await launched.close()


async def _take_photos(page: Page, site: Site) -> None:
    await page.goto(await _candidate_link(site))
    await page.get_by_label("I have read this and I agree").check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("button", name="Allow camera and microphone").click()
    await page.get_by_role("button", name="They work: continue").click()
    # The live check has measured a frame: the camera's picture is on the page.
    await expect(page.locator("#photo-feedback li").first).to_be_visible()
    await page.get_by_role("button", name="Take the photos").click()


async def test_a_dim_room_is_told_to_add_light_before_joining(
    dim_room_browser: Browser, site: Site
) -> None:
    context = await dim_room_browser.new_context(permissions=["camera", "microphone"])
    page = await context.new_page()
    await _take_photos(page, site)
    advice = page.locator("#photo-advice")
    await expect(advice).to_be_visible(timeout=30_000)
    await expect(advice).to_have_attribute("role", "status")
    await expect(advice).to_have_attribute("aria-live", "polite")
    await expect(advice).to_contain_text("Your face looks dark")
    await expect(advice).to_contain_text("turn on a light in front of you")
    text = (await advice.inner_text()).lower()
    assert "anomal" not in text and "mismatch" not in text and "impostor" not in text
    await expect(page.locator("#photo-thumbs figure.accepted")).to_have_count(4)
    await expect(page.get_by_role("button", name="Retake the photos")).to_be_enabled()
    await screenshot(page, "candidate-photos-setup-advice")
    # Going on with these photos is the candidate's choice: the voice step follows.
    await page.get_by_role("button", name="Continue with these photos").click()
    await expect(page.locator("#step-voice")).to_be_visible()
    await context.close()


async def test_a_retake_in_the_same_dim_room_gives_the_same_advice(
    dim_room_browser: Browser, site: Site
) -> None:
    context = await dim_room_browser.new_context(permissions=["camera", "microphone"])
    page = await context.new_page()
    await _take_photos(page, site)
    advice = page.locator("#photo-advice")
    await expect(advice).to_contain_text("Your face looks dark", timeout=30_000)
    await page.get_by_role("button", name="Retake the photos").click()
    await expect(advice).to_be_hidden()
    await expect(advice).to_contain_text("Your face looks dark", timeout=30_000)
    await expect(page.locator("#step-photos")).to_be_visible()
    await context.close()


async def test_a_good_set_up_gets_no_advice_and_moves_on(browser: Browser, site: Site) -> None:
    context = await browser.new_context(permissions=["camera", "microphone"])
    page = await context.new_page()
    await _take_photos(page, site)
    await expect(page.locator("#step-voice")).to_be_visible(timeout=30_000)
    await expect(page.locator("#photo-advice")).to_be_hidden()
    await expect(page.get_by_text("Your face looks dark")).to_have_count(0)
    await context.close()
