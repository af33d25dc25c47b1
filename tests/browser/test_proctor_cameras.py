"""The proctor's page shows the camera the agent judges, when the candidate has two.

A simulated candidate (a real rtc client: the enrolled face on its camera) joins with the
real agent; the proctor's page runs in Chromium. Once the agent judges that camera, the
candidate publishes a second one with another person on it: the page must keep the judged
camera as its main video (not the one received last), list the other as not checked by
the agent, and show the agent's extra_camera flag. When the first camera is withdrawn,
the agent judges the second one and the page's main video follows it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from playwright.async_api import Browser, Page, expect

from proctorai.sim.candidate import CandidateScript, FaceCue, SimulatedCandidate
from proctorai.sim.media import frame_from_image
from tests.agent.conftest import (
    RunningAPI,
    agent_settings,
    create_interview,
    open_link,
    running_worker,
)
from tests.browser.conftest import SERVICE_TOKEN, Site, screenshot
from tests.browser.media import FACES
from tests.support.livekit_server import TestLiveKitServer

pytestmark = [pytest.mark.slow]

WAIT_MS = 60_000  # any one step, on a loaded machine


async def _main_video_plays(page: Page) -> bool:
    return bool(
        await page.evaluate(
            "() => { const v = document.querySelector('#candidate-video');"
            " return v.videoWidth > 0 && !v.paused; }"
        )
    )


async def test_the_main_video_is_the_camera_the_agent_judges(
    tmp_path: Path, browser: Browser, site: Site, livekit_server: TestLiveKitServer
) -> None:
    api = RunningAPI(site.url, site.settings, site.app)
    settings = agent_settings(tmp_path, api, livekit_server, service_token=SERVICE_TOKEN)
    script = CandidateScript(
        frames={
            "genuine": frame_from_image(FACES / "obama.jpg"),
            "other": frame_from_image(FACES / "biden.jpg"),
        },
        faces=[FaceCue(0, "genuine")],
        speech=np.zeros(0, dtype=np.int16),
        respond_to_interviewer=False,
    )
    async with running_worker(settings):
        interview = await create_interview(api, question_count=1)
        proctor_context = await browser.new_context(viewport={"width": 1400, "height": 900})
        proctor = await proctor_context.new_page()
        await proctor.goto(interview["proctor_link"])
        await expect(proctor.locator("#layout")).to_have_attribute(
            "data-connection", "connected", timeout=20_000
        )
        session = await open_link(api, interview["candidate_link"])
        candidate = SimulatedCandidate(session["livekit_url"], session["livekit_token"], script)
        await candidate.start()
        try:
            main = proctor.locator("#candidate-video")
            others = proctor.locator("#other-media")
            assert candidate.camera_track is not None
            first = candidate.camera_track.sid
            # the agent watches the candidate's camera, and says which one it is
            await expect(proctor.locator("[data-signal=camera_off]")).to_have_text(
                "OK", timeout=WAIT_MS
            )
            await expect(main).to_have_attribute("data-track-sid", first, timeout=WAIT_MS)
            await expect(others).to_be_hidden()

            second = await candidate.publish_extra_camera("other")
            other = others.locator(f"video[data-track-sid='{second}']")
            await expect(other).to_be_attached(timeout=WAIT_MS)
            await expect(others).to_be_visible()
            await expect(others).to_contain_text("Another camera: not checked by the agent")
            await expect(main).to_have_attribute("data-track-sid", first)
            assert await _main_video_plays(proctor)
            card = proctor.locator("#anomalies li[data-type=extra_camera]").first
            await expect(card).to_contain_text("Another camera published", timeout=WAIT_MS)
            await expect(main).to_have_attribute("data-track-sid", first)  # still, seconds on
            await screenshot(proctor, "proctor-two-cameras")

            # the first camera goes: the agent judges the second, and so does the page
            await candidate.unpublish_camera()
            await expect(main).to_have_attribute("data-track-sid", second, timeout=WAIT_MS)
            await expect(others).to_be_hidden()
            await expect(proctor.locator("#video-label")).to_have_text("Jordan Example")
            assert await _main_video_plays(proctor)
        finally:
            await candidate.stop()
            await proctor_context.close()
