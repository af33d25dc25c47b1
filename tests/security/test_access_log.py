"""uvicorn's access log never holds a link token or a media signature (issue 11, item 9).

Link tokens travel in paths (``/join/<token>``, ``/proctor/<token>``,
``/links/<token>/...``) and signed media URLs carry their signature in the query: a
plain ``uvicorn control_api.app:create_app --factory`` logs every path it serves. The
app installs a filter on the ``uvicorn.access`` logger, so any uvicorn run redacts
them; here the app is served by uvicorn with its own defaults (access log on) and
the log lines it wrote are read back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.api import documents
from tests.api.conftest import RECRUITER_KEY
from tests.security.launched import launch_settings, launched
from tests.support.interviews import created, post_interview
from tests.support.livekit_server import TestLiveKitServer


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def access_lines() -> Iterator[_Lines]:
    """Lines of ``uvicorn.access`` as its handlers get them (after its filters)."""
    logger = logging.getLogger("uvicorn.access")
    lines = _Lines()
    yield lines
    logger.removeHandler(lines)


def test_served_paths_are_logged_without_their_tokens(
    tmp_path: Path, livekit_server: TestLiveKitServer, access_lines: _Lines
) -> None:
    settings = launch_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'db'}", livekit_server)
    with launched(settings, plain=True) as base:
        logging.getLogger("uvicorn.access").addHandler(access_lines)  # after uvicorn's config
        with httpx.Client(base_url=base, timeout=30) as http:
            recruiter = {"Authorization": f"Bearer {RECRUITER_KEY}"}
            body = created(
                post_interview(
                    http,
                    recruiter,
                    title="Access log",
                    candidate_name="Ada Example",
                    candidate_email="ada@example.com",
                    job_description="\n".join(documents.JOB_LINES),
                    resume=(
                        "resume.pdf",
                        documents.pdf_bytes(documents.RESUME_LINES),
                        "application/pdf",
                    ),
                    reference_photo=("me.jpg", documents.face_jpeg(), "image/jpeg"),
                )
            )
            candidate = body["candidate_link"].rsplit("/", 1)[1]
            proctor = body["proctor_link"].rsplit("/", 1)[1]
            detail = http.get(f"/interviews/{body['id']}", headers=recruiter).json()
            [photo] = [f for f in detail["files"] if f["content_type"] == "image/jpeg"]
            media = urlsplit(photo["url"])
            signature = dict(p.split("=", 1) for p in media.query.split("&"))["signature"]
            for method, path in (
                ("GET", f"/join/{candidate}"),
                ("GET", f"/proctor/{proctor}"),
                ("POST", f"/links/{proctor}/session"),
                ("GET", f"/links/{proctor}/events?after=0"),
                ("POST", "/links/not-a-real-token/session"),
                ("GET", f"{media.path}?{media.query}"),
            ):
                http.request(method, path)
    logged = "\n".join(access_lines.lines)
    assert len(access_lines.lines) >= 8, logged
    for secret in (candidate, proctor, "not-a-real-token", signature):
        assert secret not in logged
    for shown in (
        '"GET /join/<redacted> HTTP/1.1" 200',
        '"GET /proctor/<redacted> HTTP/1.1" 200',
        '"POST /links/<redacted>/session HTTP/1.1" 200',
        '"GET /links/<redacted>/events?after=0 HTTP/1.1" 200',
        '"POST /links/<redacted>/session HTTP/1.1" 401',
        "&signature=<redacted>",
        f'"GET /interviews/{body["id"]} HTTP/1.1" 200',  # ids stay: they are no secret
    ):
        assert shown in logged, (shown, logged)


def test_redact_leaves_other_paths_alone() -> None:
    from control_api.access_log import redact

    assert redact("/interviews/abc/report.html") == "/interviews/abc/report.html"
    assert redact("/assets/js/join.js") == "/assets/js/join.js"
    assert redact("/links/a.b.c/anomalies/x/decision") == "/links/<redacted>/anomalies/x/decision"
    assert redact("/join/a.b.c?x=1") == "/join/<redacted>?x=1"
    assert redact("/media/k.jpg?signature=ab12&expires=9") == (
        "/media/k.jpg?signature=<redacted>&expires=9"
    )
