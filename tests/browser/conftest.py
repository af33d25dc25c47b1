"""Fixtures of the browser tests: the real API serving the pages, real Chromium, fake media.

The control API (``create_app``) is served by uvicorn on a free port with its own SQLite
database and the session's real livekit-server, so the pages, the API and LiveKit are
all real. Chromium is Debian's (``/usr/bin/chromium``) driven by Playwright, headless,
with fake camera and microphone devices playing files made from real faces and speech.
Nothing is downloaded: Playwright only launches the installed browser.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.browser.media import (
    FACES,
    Shot,
    candidate_speech,
    write_speech_wav,
    write_y4m,
)
from tests.support.livekit_server import TestLiveKitServer
from tests.support.served_api import ServedAPI, served_api

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
RECRUITER_KEY = "browser-tests-recruiter-key-0123456789"
SERVICE_TOKEN = "browser-tests-service-token-0123456789"
LINK_SECRET = "browser-tests-link-secret-0123456789abcdef"
# The candidate's camera: this long on the enrolled face, then another person.
GENUINE_SECONDS = 14.0
IMPOSTOR_SECONDS = 16.0
ANSWER_PAUSE_SECONDS = 2.5


Site = ServedAPI  # the running API and pages


@dataclass(frozen=True)
class FakeMedia:
    video: Path
    audio: Path
    genuine_seconds: float


@pytest.fixture
def agent_name() -> str:
    return f"proctorai-browser-{secrets.token_hex(4)}"


@pytest.fixture
def site(tmp_path: Path, livekit_server: TestLiveKitServer, agent_name: str) -> Iterator[Site]:
    with served_api(
        tmp_path / "api",
        livekit_server,
        recruiter_key=RECRUITER_KEY,
        service_token=SERVICE_TOKEN,
        link_secret=LINK_SECRET,
        agent_name=agent_name,
        maintenance_interval_seconds=0,
    ) as api:
        yield api


@pytest.fixture(scope="session")
def fake_media(tmp_path_factory: pytest.TempPathFactory) -> FakeMedia:
    """The candidate (obama) on camera, then another person (biden); speaker 1688 talking."""
    folder = tmp_path_factory.mktemp("fake-media")
    video = folder / "camera.y4m"
    write_y4m(
        video,
        [Shot(FACES / "obama.jpg", GENUINE_SECONDS), Shot(FACES / "biden.jpg", IMPOSTOR_SECONDS)],
    )
    audio = folder / "microphone.wav"
    # Pauses between the utterances let the interviewer hear where an answer ends.
    write_speech_wav(audio, candidate_speech(), gap_seconds=ANSWER_PAUSE_SECONDS)
    return FakeMedia(video, audio, GENUINE_SECONDS)


def chromium_args(media: FakeMedia) -> list[str]:
    return [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--autoplay-policy=no-user-gesture-required",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={media.video}",
        f"--use-file-for-fake-audio-capture={media.audio}",
    ]


@pytest.fixture
async def browser(fake_media: FakeMedia) -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, with the fake devices (a fresh profile per launch).

    Camera and microphone permissions are granted per browser context, so a test can
    also open a page whose permission was refused.
    """
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: run `make setup` (Debian package chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=chromium_args(fake_media)
        )
        try:
            yield launched
        finally:
            await launched.close()


async def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/browser/ (looked at by people)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


# Installed in pages before their scripts run: counts the messages their WebRTC data
# channels receive, and those that carry a proctoring topic, so a test can prove that
# the candidate's browser never received proctoring data (and that the proctor's did).
DATA_CHANNEL_WATCH = """
(() => {
  const watch = { messages: 0, proctoring: 0 };
  window.__dataChannelWatch = watch;
  const marker = new TextEncoder().encode("proctoring.");
  const contains = (bytes) => {
    outer: for (let i = 0; i + marker.length <= bytes.length; i += 1) {
      for (let j = 0; j < marker.length; j += 1) if (bytes[i + j] !== marker[j]) continue outer;
      return true;
    }
    return false;
  };
  const inspect = (event) => {
    watch.messages += 1;
    const data = event.data;
    if (data instanceof ArrayBuffer && contains(new Uint8Array(data))) watch.proctoring += 1;
    else if (typeof data === "string" && data.includes("proctoring.")) watch.proctoring += 1;
  };
  const descriptor = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, "onmessage");
  Object.defineProperty(RTCDataChannel.prototype, "onmessage", {
    configurable: true,
    get() { return descriptor.get.call(this); },
    set(handler) {
      const wrapped = handler && ((event) => { inspect(event); return handler.call(this, event); });
      descriptor.set.call(this, wrapped);
    },
  });
  const add = RTCDataChannel.prototype.addEventListener;
  RTCDataChannel.prototype.addEventListener = function (type, listener, options) {
    if (type === "message" && typeof listener === "function") {
      const wrapped = (event) => { inspect(event); return listener.call(this, event); };
      return add.call(this, type, wrapped, options);
    }
    return add.call(this, type, listener, options);
  };
})();
"""
