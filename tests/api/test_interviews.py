"""Recruiter endpoints on SQLite and PostgreSQL, against the real livekit-server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
from livekit import api as lkapi

from control_api.models import Interview, InterviewLink, StoredFile
from tests.api import documents
from tests.api.conftest import SERVICE_TOKEN, Api
from tests.support.livekit_server import TestLiveKitServer, free_tcp_port


async def _find_room(server: TestLiveKitServer, name: str) -> lkapi.Room | None:
    async with lkapi.LiveKitAPI(server.http_url, server.api_key, server.api_secret) as client:
        rooms = await client.room.list_rooms(lkapi.ListRoomsRequest(names=[name]))
        return next((room for room in rooms.rooms if room.name == name), None)


def test_create_interview_with_pdf_resume(api: Api, livekit_server: TestLiveKitServer) -> None:
    body = api.create_ok()
    assert body["status"] == "created"
    assert body["room"] == f"interview-{body['id']}"
    assert body["candidate_link"].startswith("http://testserver/join/")
    assert body["proctor_link"].startswith("http://testserver/proctor/")

    detail = api.client.get(f"/interviews/{body['id']}", headers=api.recruiter).json()
    assert "payment APIs in Python" in detail["resume_text"]
    assert detail["job_description"].startswith("Backend Engineer (Python)")
    assert detail["resume_filename"] == "resume.pdf"
    assert (detail["duration_minutes"], detail["question_count"]) == (20, 4)
    assert detail["sensitivity"] == "standard"
    assert list(detail["status_times"]) == ["created"]
    # Links are rebuilt from their records: the same links as at creation.
    assert detail["links"]["candidate_link"] == body["candidate_link"]
    assert detail["links"]["proctor_link"] == body["proctor_link"]
    [photo] = detail["files"]
    assert photo["kind"] == "reference_photo"
    assert photo["content_type"] == "image/jpeg"
    # The signed media URL serves the very bytes uploaded.
    media = api.client.get(photo["url"].removeprefix("http://testserver"))
    assert media.status_code == 200
    assert media.content == documents.face_jpeg()

    # The LiveKit room exists, with the interview id in its metadata and its limits.
    room = asyncio.run(_find_room(livekit_server, body["room"]))
    assert room is not None
    assert json.loads(room.metadata) == {"interview_id": body["id"]}
    assert room.max_participants == 1 + api.settings.max_proctors  # the candidate + proctors
    assert room.empty_timeout == api.settings.room_empty_timeout


@pytest.mark.parametrize(
    ("filename", "payload", "expected"),
    [
        ("cv.docx", documents.docx_bytes(documents.RESUME_LINES), "property-based testing"),
        ("cv.txt", "\n".join(documents.RESUME_LINES).encode(), "Led a team of five"),
        # Named .txt but a PDF inside: read by content, not by name.
        ("cv.txt", documents.pdf_bytes(documents.RESUME_LINES), "eight years"),
    ],
)
def test_resume_formats_read_by_content(
    api: Api, filename: str, payload: bytes, expected: str
) -> None:
    body = api.create_ok(resume=(filename, payload, "application/octet-stream"))
    detail = api.client.get(f"/interviews/{body['id']}", headers=api.recruiter).json()
    assert expected in detail["resume_text"]


def test_job_description_as_a_file(api: Api) -> None:
    jd = ("job.docx", documents.docx_bytes(documents.JOB_LINES), "application/octet-stream")
    body = api.create_ok(job_description=None, job_description_file=jd, reference_photo=None)
    detail = api.client.get(f"/interviews/{body['id']}", headers=api.recruiter).json()
    assert "model data in PostgreSQL" in detail["job_description"]
    assert detail["job_description_filename"] == "job.docx"
    assert detail["files"] == []


def test_list_is_paginated_newest_first(api: Api) -> None:
    ids = [api.create_ok(title=f"Interview {i}", reference_photo=None)["id"] for i in range(3)]
    first = api.client.get("/interviews?limit=2", headers=api.recruiter).json()
    second = api.client.get("/interviews?limit=2&offset=2", headers=api.recruiter).json()
    assert first["total"] == second["total"] == 3
    listed = [item["id"] for item in first["items"] + second["items"]]
    assert listed == list(reversed(ids))
    assert "candidate_email" not in first["items"][0]
    only_created = api.client.get("/interviews?status=cancelled", headers=api.recruiter).json()
    assert only_created["total"] == 0


def test_cancel_revokes_links_and_deletes_the_room(
    api: Api, livekit_server: TestLiveKitServer
) -> None:
    body = api.create_ok(reference_photo=None)
    token = body["candidate_link"].rsplit("/", 1)[1]
    cancelled = api.client.post(
        f"/interviews/{body['id']}/cancel",
        json={"reason": "position filled"},
        headers=api.recruiter,
    )
    assert cancelled.status_code == 200
    assert cancelled.json() == {
        "id": body["id"],
        "previous_status": "created",
        "status": "cancelled",
        "changed": True,
    }
    assert asyncio.run(_find_room(livekit_server, body["room"])) is None
    # Cancelling again changes nothing; the links are gone.
    again = api.client.post(f"/interviews/{body['id']}/cancel", headers=api.recruiter)
    assert again.json()["changed"] is False
    opened = api.client.post(f"/links/{token}/session")  # says why (issue 11, item 9)
    assert opened.status_code == 410
    assert opened.json()["detail"] == "this interview was cancelled by the recruiter"
    detail = api.client.get(f"/interviews/{body['id']}", headers=api.recruiter).json()
    assert detail["links"] is None
    assert detail["transitions"][-1]["reason"] == "position filled"
    # No new links for a cancelled interview.
    reissued = api.client.post(f"/interviews/{body['id']}/links", headers=api.recruiter)
    assert reissued.status_code == 409
    assert "cancelled" in reissued.json()["detail"]


def test_reissued_links_replace_the_old_ones(api: Api) -> None:
    body = api.create_ready(reference_photo=None)
    old = body["candidate_link"].rsplit("/", 1)[1]
    new = api.client.post(f"/interviews/{body['id']}/links", headers=api.recruiter).json()
    assert new["candidate_link"] != body["candidate_link"]
    assert api.client.post(f"/links/{old}/session").status_code == 401
    fresh = new["candidate_link"].rsplit("/", 1)[1]
    assert api.client.post(f"/links/{fresh}/session").status_code == 200
    detail = api.client.get(f"/interviews/{body['id']}", headers=api.recruiter).json()
    assert detail["links"]["candidate_link"] == new["candidate_link"]


def test_unknown_interview_is_404(api: Api) -> None:
    for method, path in [
        ("GET", "/interviews/nope"),
        ("POST", "/interviews/nope/cancel"),
        ("POST", "/interviews/nope/links"),
    ]:
        response = api.client.request(method, path, headers=api.recruiter)
        assert response.status_code == 404
        assert response.json() == {"detail": "no interview with id nope"}


@pytest.mark.parametrize(
    ("headers", "status", "fragment"),
    [
        ({}, 401, "missing credentials"),
        ({"Authorization": "Bearer not-the-key"}, 401, "this is not the RECRUITER_API_KEY"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401, "missing credentials"),
        ({"Authorization": f"Bearer {SERVICE_TOKEN}"}, 403, "cannot use recruiter endpoints"),
    ],
)
def test_recruiter_auth(api: Api, headers: dict[str, str], status: int, fragment: str) -> None:
    before = api.state()
    data, files = api.interview_form()
    for response in (
        api.client.get("/interviews", headers=headers),
        api.client.post("/interviews", data=data, files=files, headers=headers),
    ):
        assert response.status_code == status
        assert fragment in response.json()["detail"]
        assert response.headers["www-authenticate"].startswith('Bearer realm="recruiter"')
    assert api.state() == before


def test_livekit_unreachable_stores_nothing(api_factory: Callable[..., Api]) -> None:
    api = api_factory(livekit_url=f"ws://127.0.0.1:{free_tcp_port()}", livekit_timeout=2.0)
    before = api.state()
    response = api.create()
    assert response.status_code == 503
    assert "livekit-server is running at LIVEKIT_URL" in response.json()["detail"]
    assert api.state() == before
    assert api.count(Interview) == api.count(StoredFile) == api.count(InterviewLink) == 0


def test_openapi_docs_are_served(api: Api) -> None:
    assert api.client.get("/docs").status_code == 200
    schema = api.client.get("/openapi.json").json()
    assert {"/interviews", "/links/{token}/session", "/livekit/webhook", "/healthz"} <= set(
        schema["paths"]
    )
    assert set(schema["components"]["securitySchemes"]) == {"RecruiterApiKey", "ServiceToken"}


def test_health(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_errors_are_json_without_traces(api: Api) -> None:
    response = api.client.post(
        "/interviews", content=b"\x00garbage", headers={**api.recruiter, "Content-Type": "x/y"}
    )
    assert response.status_code == 422
    body = response.json()
    assert "title: required field is missing" in body["detail"]
    assert "Traceback" not in response.text
