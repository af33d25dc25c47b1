"""Hostile uploads: each is a clear 4xx saying what to fix, quickly and in bounded
memory, and nothing is written (row counts and the storage folder unchanged).

Before the limits in ``text_extraction`` a 175 KB PDF whose one content stream
inflates to 60 MB held a worker for 80 s and 314 MB, and a DOCX whose zip directory
understates its document.xml inflated 600 MB before being refused.
"""

from __future__ import annotations

import socket
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from control_api.app import create_app
from control_api.text_extraction import PDF_TIME_BUDGET_SECONDS
from tests.api import documents
from tests.api.conftest import RECRUITER_KEY, Api, make_settings
from tests.security import bombs
from tests.security.credentials import Answer, assert_refusal, token_of
from tests.support.livekit_server import TestLiveKitServer, free_tcp_port
from tests.support.served_api import serving

MEMORY_BOUND = 64 * 1024 * 1024  # traced allocations while one bomb is refused
TIME_BOUND = 3 * PDF_TIME_BUDGET_SECONDS

PE_EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(400) + b"PE\x00\x00"


@pytest.fixture
def roomy_api(api_factory: Callable[..., Api]) -> Api:
    """Room for the bombs under the upload limit: it is what they inflate to that counts."""
    return api_factory(max_document_bytes=1024 * 1024, max_image_bytes=1024 * 1024)


def _refused_within_bounds(api: Api, send: Callable[[], Answer]) -> Answer:
    before = api.state()
    tracemalloc.start()
    started = time.monotonic()
    try:
        response = send()
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"refused in {elapsed:.2f} s, peak traced memory {peak / 1e6:.1f} MB")
    assert elapsed < TIME_BOUND
    assert peak < MEMORY_BOUND
    assert api.state() == before
    return response


@pytest.mark.parametrize(
    ("name", "make", "status", "fragment"),
    [
        ("10000 pages", lambda: bombs.pdf_with_pages(10_000), 422, "the PDF has 10000 pages"),
        (
            "one stream inflating to 60 MB",
            lambda: bombs.pdf_with_huge_content(60_000_000),
            422,
            "the PDF expands to more data than allowed",
        ),
        (
            "40 pages sharing a 8 MB stream",
            lambda: bombs.pdf_with_huge_content(8_000_000, pages=40),
            422,
            "the PDF expands to more data than allowed",
        ),
        (
            "10 pages just under every size limit",
            lambda: bombs.pdf_with_huge_content(400_000, pages=10),
            422,
            "the PDF takes too long to read",
        ),
        (
            "document.xml inflating to 300 MB",
            lambda: bombs.docx_bomb(300_000_000),
            422,
            "the Word document expands to more data than allowed",
        ),
        (
            "document.xml inflating to 300 MB, zip directory lying",
            lambda: bombs.docx_lying_about_its_size(300_000_000),
            422,
            "the Word document could not be read",
        ),
        ("a Windows executable named cv.pdf", lambda: PE_EXECUTABLE, 415, "unsupported file type"),
    ],
)
def test_resume_bombs_are_refused_quickly(
    roomy_api: Api, name: str, make: Callable[[], bytes], status: int, fragment: str
) -> None:
    data = make()
    assert len(data) < 1024 * 1024, name
    response = _refused_within_bounds(
        roomy_api, lambda: roomy_api.create(resume=("cv.pdf", data, "application/pdf"))
    )
    assert assert_refusal(response, status).startswith(f"resume: {fragment}"), name


def test_a_real_resume_still_reads_under_the_limits(roomy_api: Api) -> None:
    lines = documents.RESUME_LINES * 20
    body = roomy_api.create_ok(resume=("cv.pdf", documents.pdf_bytes(lines, pages=50), "x/y"))
    detail = roomy_api.client.get(f"/interviews/{body['id']}", headers=roomy_api.recruiter).json()
    assert "(page 50)" in detail["resume_text"]


@pytest.mark.parametrize("size", [(20_000, 20_000), (8_000, 6_000)])
def test_image_bombs_are_refused_before_decoding(roomy_api: Api, size: tuple[int, int]) -> None:
    """400 megapixels (Pillow's own bomb guard, which used to be answered as a
    "damaged" image) and 48 megapixels (over the API's 40, and far over the 4 of a
    baseline photo, which is a webcam frame)."""
    bomb = bombs.png_bomb(*size)
    assert len(bomb) < 200 * 1024
    body = roomy_api.create_ok(reference_photo=None)
    token = token_of(body["candidate_link"])
    senders: list[tuple[Callable[[], Answer], int]] = [
        (lambda: roomy_api.create(reference_photo=("me.png", bomb, "image/png")), 40),
        (
            lambda: roomy_api.client.post(
                f"/links/{token}/baseline/face",
                files=[("photos", (f"{i}.png", bomb, "image/png")) for i in range(3)],
            ),
            4,
        ),
        (
            lambda: roomy_api.client.post(
                f"/agent/interviews/{body['id']}/snapshots",
                files={"file": ("s.png", bomb, "image/png")},
                headers=roomy_api.service,
            ),
            40,
        ),
    ]
    for send, megapixels in senders:
        detail = assert_refusal(_refused_within_bounds(roomy_api, send), 422)
        assert f"pixels: upload a photo of at most {megapixels} megapixels" in detail


def test_a_gif_is_not_a_baseline_photo(api: Api) -> None:
    body = api.create_ok(reference_photo=None)
    before = api.state()
    response = api.client.post(
        f"/links/{token_of(body['candidate_link'])}/baseline/face",
        files=[("photos", ("me.jpg", documents.gif_bytes(), "image/jpeg"))] * 3,
    )
    assert "photos[0]: GIF images are not accepted: upload a JPEG or PNG photo" in (
        assert_refusal(response, 415)
    )
    assert api.state() == before


def _files_under(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "C:\\evil\\x.pdf", "/etc/../../x.pdf"])
def test_paths_in_file_names_are_stripped(api: Api, tmp_path: Path, name: str) -> None:
    before = _files_under(tmp_path)
    resume = (name, documents.pdf_bytes(documents.RESUME_LINES), "application/pdf")
    jd = (name, documents.docx_bytes(documents.JOB_LINES), "application/octet-stream")
    body = api.create_ok(resume=resume, job_description=None, job_description_file=jd)
    detail = api.client.get(f"/interviews/{body['id']}", headers=api.recruiter).json()
    base = name.replace("\\", "/").rsplit("/", 1)[1]
    assert detail["resume_filename"] == detail["job_description_filename"] == base
    # The baseline photos' names are never used for storage either.
    photos = [("photos", (f"../../{i}.jpg", documents.face_jpeg(), "image/jpeg")) for i in range(3)]
    api.client.post(f"/links/{token_of(body['candidate_link'])}/baseline/face", files=photos)
    created = _files_under(tmp_path) - before
    files_root = api.settings.files_dir.relative_to(tmp_path)
    outside = {
        p
        for p in created
        if not p.is_relative_to(files_root) and not p.name.startswith("proctorai")
    }
    assert outside == set(), outside  # only storage files and the database's own
    assert all(base not in str(p) and ".." not in p.parts for p in created)
    assert not (Path("/etc") / "passwd.pdf").exists()


@pytest.fixture
def served(tmp_path: Path, livekit_server: TestLiveKitServer) -> Iterator[str]:
    settings = make_settings(
        tmp_path / "data", f"sqlite:///{tmp_path / 'proctorai.db'}", livekit_server
    )
    with serving(create_app(settings), free_tcp_port()) as served:
        base = served.url
        yield base


def test_an_oversized_upload_is_refused_before_it_is_all_read(served: str) -> None:
    """64 MiB announced, 2 MiB sent, then the client waits: the 413 comes back without
    the API waiting for (or buffering) the rest."""
    host, port = served.removeprefix("http://").split(":")
    announced = 64 * 1024 * 1024
    head = (
        "POST /interviews HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        f"Authorization: Bearer {RECRUITER_KEY}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {announced}\r\n\r\n"
        '--b\r\nContent-Disposition: form-data; name="resume"; filename="cv.txt"\r\n\r\n'
    ).encode()
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall(head)
        sock.sendall(b"a" * (2 * 1024 * 1024))
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 413"), answer[:300]
