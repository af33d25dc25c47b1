"""The proctor's page tells the state at a glance, on a laptop screen (issue 17).

The real API, livekit-server and Chromium; no agent (the anomalies are stored through the
agent's own ingest route, as the agent would). At 1280x800 the signals and the newest
anomaly are in view without scrolling; the Connection field says, in words, whether the
candidate is in the room and how LiveKit rates their connection; a decision says who made
it (the proctor link's label, or "Proctor") and when, never the link's credential.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from livekit import api as livekit_api
from livekit import rtc
from playwright.async_api import Browser, Locator, ViewportSize, expect

from contracts.anomaly import TOPIC_STATUS, AnomalyType, JudgedTracks, SignalState, StatusHeartbeat
from contracts.identities import room_name_for
from proctorai.sim.candidate import CandidateScript, FaceCue, SimulatedCandidate
from proctorai.sim.media import frame_from_image
from tests.agent.conftest import RunningAPI, create_interview, open_link
from tests.browser.conftest import Site
from tests.browser.media import FACES
from tests.support.anomalies import anomaly_json
from tests.support.livekit_server import TestLiveKitServer

pytestmark = [pytest.mark.slow]

WAIT_MS = 30_000
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "proctor-1280x800.png"
CONNECTION_WORDS = r"^Candidate connection: (excellent|good|poor|lost|not measured yet)$"


async def _store_anomalies(site: Site, interview_id: str) -> None:
    """An older flag and a newer one, as the agent posts them."""
    now = time.time()
    events = [
        anomaly_json("older", "ended", interview_id=interview_id, started_at=now - 120),
        anomaly_json(
            "newest",
            interview_id=interview_id,
            type="second_speaker",
            severity="medium",
            started_at=now - 20,
            evidence={},
        ),
    ]
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as http:
        answer = await http.post(
            f"/agent/interviews/{interview_id}/events",
            json={"events": events},
            headers=site.service,
        )
    assert answer.status_code == 200, answer.text


async def _labelled_proctor_link(site: Site, interview_id: str, label: str) -> str:
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as http:
        answer = await http.post(
            f"/interviews/{interview_id}/proctor-links",
            json={"label": label},
            headers=site.recruiter,
        )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["url"])


async def _in_viewport(locator: Locator) -> bool:
    """Wholly inside the 1280x800 window, with the page not scrolled."""
    box = await locator.bounding_box()
    assert box is not None, "not rendered"
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= VIEWPORT["width"]
        and box["y"] + box["height"] <= VIEWPORT["height"]
    )


async def _fits_its_panel(locator: Locator, panel: Locator) -> bool:
    """The element is drawn inside its panel (not cut off at the panel's edge)."""
    box, outer = await locator.bounding_box(), await panel.bounding_box()
    assert box is not None and outer is not None, "not rendered"
    return box["x"] >= outer["x"] and box["x"] + box["width"] <= outer["x"] + outer["width"]


async def _stand_in_agent(server: TestLiveKitServer, interview_id: str) -> rtc.Room:
    """A participant with the agent's identity and kind, to publish heartbeats (the page
    takes proctoring data from the agent only)."""
    token = (
        livekit_api.AccessToken(server.api_key, server.api_secret)
        .with_identity("agent-page-state-test")
        .with_kind("agent")
        .with_grants(
            livekit_api.VideoGrants(room_join=True, room=room_name_for(interview_id), agent=True)
        )
        .to_jwt()
    )
    room = rtc.Room()
    await room.connect(server.url, token)
    return room


async def _publish_heartbeat(
    room: rtc.Room, interview_id: str, candidate: SimulatedCandidate
) -> None:
    """Every signal the agent reports, one of them anomalous."""
    signals = {kind: SignalState.CLEAN for kind in AnomalyType}
    signals[AnomalyType.SECOND_SPEAKER] = SignalState.ANOMALOUS
    heartbeat = StatusHeartbeat(
        interview_id=interview_id,
        sent_at=time.time(),
        signals=signals,
        judged=JudgedTracks(
            camera=candidate.camera_track.sid if candidate.camera_track else None,
            microphone=candidate.mic_track.sid if candidate.mic_track else None,
        ),
    )
    await room.local_participant.publish_data(
        heartbeat.model_dump_json(), reliable=True, topic=TOPIC_STATUS
    )


def _candidate(session: dict[str, Any]) -> SimulatedCandidate:
    script = CandidateScript(
        frames={"genuine": frame_from_image(FACES / "obama.jpg")},
        faces=[FaceCue(0, "genuine")],
        speech=np.zeros(0, dtype=np.int16),
        respond_to_interviewer=False,
    )
    return SimulatedCandidate(session["livekit_url"], session["livekit_token"], script)


async def test_a_laptop_screen_shows_connection_signals_and_the_newest_flag(
    browser: Browser, site: Site, livekit_server: TestLiveKitServer
) -> None:
    api = RunningAPI(site.url, site.settings, site.app)
    interview = await create_interview(api, question_count=1)
    await _store_anomalies(site, interview["id"])
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    candidate = None
    agent = await _stand_in_agent(livekit_server, interview["id"])
    try:
        await page.goto(interview["proctor_link"])
        await expect(page.locator("#layout")).to_have_attribute(
            "data-connection", "connected", timeout=20_000
        )
        connection = page.locator("#candidate-connection")
        await expect(connection).to_have_text("Candidate not in the room")

        candidate = _candidate(await open_link(api, interview["candidate_link"]))
        await candidate.start()
        # LiveKit rates the candidate's connection; the page says it in words
        await expect(connection).to_have_text(re.compile(CONNECTION_WORDS), timeout=WAIT_MS)
        await expect(connection).not_to_have_text("Candidate connection: not measured yet")

        await _publish_heartbeat(agent, interview["id"], candidate)
        await expect(page.locator("[data-signal=second_speaker]")).to_have_text("Problem")
        await expect(page.locator("#heartbeat-age")).to_contain_text("Updated")
        await expect(page.locator("#other-media")).to_be_hidden()
        # the agent's own connection_lost signal is not a second, contradicting Connection row
        await expect(page.locator("[data-signal=connection_lost]")).to_have_count(0)

        newest = page.locator("#anomalies li").first
        await expect(newest).to_contain_text("Another voice heard")
        await expect(page.locator("#video-label")).to_have_text("Jordan Example", timeout=WAIT_MS)
        assert await _in_viewport(page.locator("#signals-panel"))
        assert await _in_viewport(newest)
        assert await _in_viewport(page.locator("#candidate-video"))
        assert await _fits_its_panel(connection, page.locator("#signals-panel"))
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOT))

        await candidate.leave()
        await expect(connection).to_have_text("Candidate not in the room", timeout=WAIT_MS)
    finally:
        if candidate is not None:
            await candidate.stop()
        await agent.disconnect()
        await context.close()


async def test_a_decision_says_who_made_it_and_when_never_the_link(
    browser: Browser, site: Site
) -> None:
    api = RunningAPI(site.url, site.settings, site.app)
    interview = await create_interview(api, question_count=1, baseline=False)
    await _store_anomalies(site, interview["id"])
    manager_link = await _labelled_proctor_link(site, interview["id"], "Hiring manager")
    context = await browser.new_context(viewport=VIEWPORT)
    try:
        page = await context.new_page()
        await page.goto(interview["proctor_link"])
        card = page.locator("#anomalies li[data-id=newest]")
        await card.get_by_role("button", name="Confirm").click()
        await expect(card).to_contain_text("Confirmed at", timeout=10_000)
        by = card.locator(".decided-by")
        year = time.strftime("%Y")
        await expect(by).to_have_text(re.compile(rf"^By: Proctor, .*{year}.*\d\d:\d\d"))
        assert "link:" not in await card.inner_text()
        # the decision in force cannot be sent again
        await expect(card.get_by_role("button", name="Confirm")).to_be_disabled()

        # another proctor, with a labelled link, dismisses the older flag: their label shows,
        # on their page and on the first one's after a reload
        manager = await context.new_page()
        await manager.goto(manager_link)
        older = manager.locator("#anomalies li[data-id=older]")
        await older.get_by_role("button", name="Dismiss").click()
        await expect(older).to_contain_text("Dismissed at", timeout=10_000)
        await expect(older.locator(".decided-by")).to_contain_text("By: Hiring manager, ")
        await page.reload()
        await expect(page.locator("#anomalies li[data-id=older] .decided-by")).to_contain_text(
            "By: Hiring manager, "
        )
        await expect(page.locator("#anomalies li[data-id=newest] .decided-by")).to_contain_text(
            "By: Proctor, "
        )
        assert "link:" not in await page.locator("#anomalies").inner_text()
        assert "link:" not in await manager.locator("#anomalies").inner_text()
    finally:
        await context.close()


async def test_the_history_names_who_decided_in_words(site: Site) -> None:
    """What the page shows for decisions made elsewhere: a recruiter (by API key), with or
    without the name they gave; never the credential the decision was made with."""
    api = RunningAPI(site.url, site.settings, site.app)
    interview = await create_interview(api, question_count=1, baseline=False)
    await _store_anomalies(site, interview["id"])
    token = interview["proctor_link"].rsplit("/", 1)[1]
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as http:
        for anomaly_id, body in (
            ("older", {"decision": "dismiss"}),
            ("newest", {"decision": "confirm", "by": "Rita Recruiter"}),
        ):
            answer = await http.post(
                f"/interviews/{interview['id']}/anomalies/{anomaly_id}/decision",
                json=body,
                headers=site.recruiter,
            )
            assert answer.status_code == 201, answer.text
        history = (await http.get(f"/links/{token}/events")).json()["anomalies"]
    by = {item["id"]: item["decision"]["decided_by"] for item in history}
    assert by == {"older": "Recruiter", "newest": "Rita Recruiter"}
    assert "api-key" not in str(history) and "link:" not in str(history)
