"""What one baseline request may cost the API: bounded memory and CPU, whatever is sent.

Before the limits in ``control_api.enrollment`` ten 6000x6600 PNGs (130 KB each, 1.3 MB
in all) sent to ``/links/{t}/baseline/face`` took 14 s of CPU and 1.7 GB of memory:
each was decoded in full twice, all ten were held at once, and the face engine ran on
40-megapixel frames, on as many request threads as there were requests. The cost is
measured on the whole process (``tests.security.cost``: resident memory sampled every
2 ms, CPU time of every thread), since Pillow's and dlib's buffers are invisible to
``tracemalloc``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from tests.api import documents
from tests.api.conftest import Api
from tests.security import bombs
from tests.security.cost import measured
from tests.security.credentials import Answer, assert_refusal, token_of
from tests.support.face_images import FACES

# A request refused from the image headers must not grow the process by more than
# this, nor spend more CPU (today: 1.7 GB, 14 s).
REFUSED_MEMORY_BOUND = 64 * 1024 * 1024
REFUSED_CPU_BOUND = 1.0
# Ten photos just under the pixel cap, each really analyzed by the face engine.
ACCEPTED_MEMORY_BOUND = 80 * 1024 * 1024
BASELINE = ("obama.jpg", "obama2.jpg", "obama3.jpg")


@pytest.fixture
def roomy_api(api_factory: Callable[..., Api]) -> Api:
    """Room under the byte limits: what the photos decode to is what counts."""
    return api_factory(max_document_bytes=2 * 1024 * 1024, max_image_bytes=1024 * 1024)


def _post_photos(api: Api, token: str, photos: list[tuple[str, bytes, str]]) -> Answer:
    return api.client.post(
        f"/links/{token}/baseline/face", files=[("photos", photo) for photo in photos]
    )


def _warm_up(api: Api) -> str:
    """One real baseline first, so the engines' one-time loading is not counted."""
    body = api.create_ok()
    token = token_of(body["candidate_link"])
    face = documents.face_jpeg()
    response = _post_photos(api, token, [(f"{i}.jpg", face, "image/jpeg") for i in range(3)])
    assert response.status_code == 200, response.text
    return token


def _face_on_canvas(photo: Path, zoom: int, size: tuple[int, int]) -> bytes:
    """A real face photo enlarged ``zoom`` times in the middle of a plain ``size`` JPEG."""
    with Image.open(photo) as face:
        enlarged = face.convert("RGB").resize((face.width * zoom, face.height * zoom))
    canvas = Image.new("RGB", size, (118, 120, 116))
    canvas.paste(enlarged, ((size[0] - enlarged.width) // 2, (size[1] - enlarged.height) // 2))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def test_ten_huge_pngs_are_refused_cheaply(roomy_api: Api) -> None:
    """Ten 6000x6600 PNGs: refused from their headers, in a few MB and a fraction of a
    second, with a message saying the limit; nothing stored."""
    token = _warm_up(roomy_api)
    png = bombs.flat_png(6000, 6600)
    assert len(png) < 140 * 1024
    before = roomy_api.state()
    with measured() as cost:
        response = _post_photos(
            roomy_api, token, [(f"{i}.png", png, "image/png") for i in range(10)]
        )
    print(f"ten 6000x6600 PNGs: {cost}")
    assert cost.peak_growth < REFUSED_MEMORY_BOUND, cost
    assert cost.cpu_seconds < REFUSED_CPU_BOUND, cost
    detail = assert_refusal(response, 422)
    assert detail.startswith(
        "photos[0]: the image is 6000x6600 pixels: upload a photo of at most 4 megapixels"
    ), detail
    assert roomy_api.state() == before


def test_ten_large_photos_under_the_cap_stay_in_bounded_memory(roomy_api: Api) -> None:
    """Ten real 3.8-megapixel face photos are analyzed and accepted, one downscaled
    frame at a time (not ten full-size frames at once)."""
    token = _warm_up(roomy_api)
    jpeg = _face_on_canvas(documents.FACE_JPEG, 2, (2400, 1600))
    assert len(jpeg) < 1024 * 1024
    with measured() as cost:
        response = _post_photos(
            roomy_api, token, [(f"{i}.jpg", jpeg, "image/jpeg") for i in range(10)]
        )
    print(f"ten 2400x1600 JPEGs: {cost}")
    assert response.status_code == 200, response.text
    assert response.json()["details"]["frames_used"] == 10
    assert cost.peak_growth < ACCEPTED_MEMORY_BOUND, cost


def test_a_40_megapixel_reference_photo_is_decoded_small(api_factory: Callable[..., Api]) -> None:
    """The recruiter's reference photo may be up to 40 megapixels: each baseline check
    decodes it, downscaled, instead of holding (and searching) 40 million pixels."""
    api = api_factory(max_image_bytes=4 * 1024 * 1024)
    _warm_up(api)
    reference = _face_on_canvas(FACES / "obama.jpg", 5, (6000, 6600))
    body = api.create_ok(reference_photo=("id.jpg", reference, "image/jpeg"))
    photos = [(name, (FACES / name).read_bytes(), "image/jpeg") for name in BASELINE]
    with measured() as cost:
        response = _post_photos(api, token_of(body["candidate_link"]), photos)
    print(f"three photos against a 6000x6600 reference: {cost}")
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] is True
    assert cost.peak_growth < ACCEPTED_MEMORY_BOUND, cost
