"""Bad input on every upload and link path: a 4xx whose message says what to fix, and
nothing stored (row counts and storage folder unchanged)."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from control_api.links import LINK_AUDIENCE
from tests.api import documents
from tests.api.conftest import LINK_SECRET, RECRUITER_KEY, Api

BIG = 300 * 1024  # over the tests' 200 KiB document and 100 KiB image limits


def _assert_refused(api: Api, response: Any, status: int, fragment: str, before: Any) -> None:
    assert response.status_code == status, response.text
    assert fragment in response.json()["detail"]
    assert "Traceback" not in response.text
    assert api.state() == before


@pytest.mark.parametrize(
    ("overrides", "status", "fragment"),
    [
        # Wrong types
        (
            {"resume": ("cv.pdf", b"\x7fELF\x02\x01\x01" + bytes(200), "application/pdf")},
            415,
            "resume: unsupported file type: upload a PDF, a Word document (.docx) or a plain text",
        ),
        (
            {"resume": ("cv.docx", documents.plain_zip(), "application/zip")},
            415,
            "resume: this is a zip archive but not a Word document",
        ),
        (
            {"reference_photo": ("me.gif", documents.gif_bytes(), "image/gif")},
            415,
            "reference_photo: GIF images are not accepted: upload a JPEG or PNG photo",
        ),
        (
            {"reference_photo": ("me.jpg", b"just some text", "image/jpeg")},
            415,
            "reference_photo: this is not an image",
        ),
        (
            {
                "job_description": None,
                "job_description_file": ("jd.bin", bytes(range(256)) * 4, "application/pdf"),
            },
            415,
            "job_description_file: unsupported file type",
        ),
        # Over the size limits
        (
            {"resume": ("cv.txt", b"a" * BIG, "text/plain")},
            413,
            "resume: the file is larger than 200 KiB: upload a smaller file",
        ),
        (
            {"reference_photo": ("me.jpg", documents.face_jpeg() + bytes(BIG), "image/jpeg")},
            413,
            "reference_photo: the file is larger than 100 KiB",
        ),
        # Unreadable files
        (
            {"resume": ("cv.pdf", b"%PDF-1.7\n" + b"garbage " * 50, "application/pdf")},
            422,
            "resume: the PDF could not be read (damaged or incomplete)",
        ),
        (
            {"resume": ("cv.pdf", documents.encrypted_pdf(documents.RESUME_LINES), "x/y")},
            422,
            "resume: the PDF is password-protected: upload a copy without a password",
        ),
        (
            {"resume": ("scan.pdf", documents.image_only_pdf(), "application/pdf")},
            422,
            "resume: no text could be read from the pdf file (a scanned PDF holds images",
        ),
        (
            {"resume": ("cv.pdf", documents.pdf_bytes(["page"], pages=60), "application/pdf")},
            422,
            "resume: the PDF has 60 pages (at most 50)",
        ),
        ({"resume": ("cv.txt", b"", "text/plain")}, 422, "resume: the file is empty"),
        ({"resume": ("cv.txt", b"   \n\n  ", "text/plain")}, 422, "no text could be read"),
        (
            {"reference_photo": ("me.jpg", documents.face_jpeg()[:2000], "image/jpeg")},
            422,
            "reference_photo: the image could not be decoded (damaged or truncated)",
        ),
        # Missing or invalid fields
        ({"resume": None}, 422, "resume: required field is missing"),
        (
            {"title": None, "candidate_email": None},
            422,
            "title: required field is missing; candidate_email: required field is missing",
        ),
        ({"job_description": None}, 422, "job_description: required: send the text"),
        (
            {"job_description_file": ("jd.txt", b"Python developer", "text/plain")},
            422,
            "send either the text or job_description_file, not both",
        ),
        ({"candidate_email": "ada-at-example"}, 422, "candidate_email: not an email address"),
        ({"candidate_name": "   "}, 422, "candidate_name: must not be empty or blank"),
        ({"duration_minutes": "600"}, 422, "duration_minutes: Input should be less than or equal"),
        ({"sensitivity": "paranoid"}, 422, "sensitivity: Input should be 'lenient'"),
    ],
)
def test_bad_interview_uploads(
    api: Api, overrides: dict[str, Any], status: int, fragment: str
) -> None:
    before = api.state()
    _assert_refused(api, api.create(**overrides), status, fragment, before)


def test_path_in_file_name_is_stripped(api: Api) -> None:
    resume = ("../../etc/..\\secret\\cv.txt", b"Python developer", "text/plain")
    body = api.create_ok(resume=resume)
    detail = api.client.get(f"/interviews/{body['id']}", headers=api.recruiter).json()
    assert detail["resume_filename"] == "cv.txt"
    assert all(".." not in path for path in api.stored_files())


def _token(**claims: Any) -> str:
    now = int(time.time())
    base = {
        "aud": LINK_AUDIENCE,
        "sub": "x",
        "role": "candidate",
        "jti": "j",
        "iat": now,
        "exp": now + 600,
    }
    base.update(claims)
    return jwt.encode(base, LINK_SECRET, algorithm="HS256")


def test_bad_links(api: Api) -> None:
    body = api.create_ok(reference_photo=None)
    good = body["candidate_link"].rsplit("/", 1)[1]
    proctor = body["proctor_link"].rsplit("/", 1)[1]
    header, payload, signature = good.split(".")
    tampered_payload = payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB")
    cases = [
        ("not-a-token", 401, "this link is not valid: check that it was copied completely"),
        (f"{header}.{tampered_payload}.{signature}", 401, "this link is not valid"),
        (good[:-3], 401, "this link is not valid"),
        (
            _token(sub=body["id"], exp=int(time.time()) - 10),
            401,
            "this link has expired: ask the recruiter for a new one",
        ),
        # Signed with the right secret but never issued (unknown jti).
        (_token(sub=body["id"]), 401, "this link is not valid: ask the recruiter for a new one"),
        (
            jwt.encode(
                {"sub": body["id"], "exp": int(time.time()) + 60},
                "other-secret-" * 4,
                algorithm="HS256",
            ),
            401,
            "this link is not valid",
        ),
    ]
    before = api.state()
    for token, status, fragment in cases:
        _assert_refused(api, api.client.post(f"/links/{token}/session"), status, fragment, before)
    # A proctor link opened on the candidate page (and the reverse).
    wrong_page = api.client.post(f"/links/{proctor}/session", json={"role": "candidate"})
    _assert_refused(api, wrong_page, 403, "this is a proctor link, not a candidate link", before)
    wrong_page = api.client.post(f"/links/{good}/session", json={"role": "proctor"})
    _assert_refused(api, wrong_page, 403, "open it at /join/<link>", before)
    bad_body = api.client.post(f"/links/{good}/session", json={"role": "admin"})
    assert bad_body.status_code == 422
    assert "role" in bad_body.json()["detail"]


def test_bad_snapshots(api: Api) -> None:
    interview = api.create_ok(reference_photo=None)["id"]
    path = f"/agent/interviews/{interview}/snapshots"
    before = api.state()
    cases = [
        (
            {"file": ("s.gif", documents.gif_bytes(), "image/gif")},
            api.service,
            415,
            "file: GIF images are not accepted",
        ),
        (
            {"file": ("s.jpg", documents.face_jpeg() + bytes(BIG), "image/jpeg")},
            api.service,
            413,
            "file: the file is larger than 100 KiB",
        ),
        ({"file": ("s.jpg", b"", "image/jpeg")}, api.service, 422, "file: the file is empty"),
        ({}, api.service, 422, "file: required field is missing"),
        (
            {"file": ("s.jpg", documents.face_jpeg(), "image/jpeg")},
            {"Authorization": "Bearer wrong"},
            401,
            "this is not the",
        ),
        (
            {"file": ("s.jpg", documents.face_jpeg(), "image/jpeg")},
            {"Authorization": f"Bearer {RECRUITER_KEY}"},
            403,
            "cannot use agent endpoints",
        ),
    ]
    for files, headers, status, fragment in cases:
        response = api.client.post(path, files=files, headers=headers)
        _assert_refused(api, response, status, fragment, before)
    missing = api.client.post(
        "/agent/interviews/unknown/snapshots",
        files={"file": ("s.jpg", documents.face_jpeg(), "image/jpeg")},
        headers=api.service,
    )
    _assert_refused(api, missing, 404, "no interview with id unknown", before)


def test_whole_body_limit(api: Api) -> None:
    before = api.state()
    limit = 2 * api.settings.max_document_bytes + api.settings.max_image_bytes + 1024 * 1024
    data, files = api.interview_form(resume=("cv.txt", b"a" * (limit + 10), "text/plain"))
    response = api.client.post("/interviews", data=data, files=files, headers=api.recruiter)
    assert response.status_code == 413
    assert api.state() == before
