"""Set-up advice in the face baseline's answer, through the candidate's join link.

A dim baseline is still accepted (the enrollment's gate passes it), but the live check
would often be unsure of it: the answer says so in plain words. A good baseline carries
no advice; one too dark to use is refused and its advice says what to do.
"""

from __future__ import annotations

import io

from PIL import Image

from tests.api.conftest import Api
from tests.support.baseline import BASELINE_PHOTOS, link_token, photo_files
from tests.support.face_images import darkened, photo


def _dimmed_photos(gain: float) -> list[tuple[str, tuple[str, bytes, str]]]:
    parts = []
    for name in BASELINE_PHOTOS:
        buffer = io.BytesIO()
        Image.fromarray(darkened(photo(name), gain)).save(buffer, format="JPEG", quality=92)
        parts.append(("photos", (name, buffer.getvalue(), "image/jpeg")))
    return parts


def test_a_dim_baseline_is_accepted_with_advice_to_add_light(api: Api) -> None:
    token = link_token(api.create_ok()["candidate_link"])
    response = api.client.post(f"/links/{token}/baseline/face", files=_dimmed_photos(0.5))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] is True
    assert [item["code"] for item in body["advice"]] == ["dark"]
    assert "light in front of you" in body["advice"][0]["message"]


def test_a_good_baseline_carries_no_advice(api: Api) -> None:
    token = link_token(api.create_ok()["candidate_link"])
    response = api.client.post(f"/links/{token}/baseline/face", files=photo_files())
    assert response.status_code == 200, response.text
    assert response.json()["advice"] == []


def test_a_baseline_too_dark_to_use_is_refused_and_says_to_add_light(api: Api) -> None:
    token = link_token(api.create_ok()["candidate_link"])
    before = api.state()
    response = api.client.post(f"/links/{token}/baseline/face", files=_dimmed_photos(0.25))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["accepted"] is False
    assert any("dark" in (frame["reason"] or "").lower() for frame in body["frames"])
    assert [item["code"] for item in body["advice"]] == ["dark"]
    assert api.state() == before


def test_the_voice_baseline_answer_has_an_empty_advice_list() -> None:
    """The field is part of every baseline answer (the schema's default)."""
    from control_api.schemas import BaselineResult

    result = BaselineResult(modality="voice", accepted=True, detail="ok", ready=False)
    assert result.model_dump()["advice"] == []
