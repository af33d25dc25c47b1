"""A real baseline recorded through the candidate's join link, as the candidate's page does.

Since a candidate's LiveKit token is only issued once the face and voice baseline is
accepted (or the deployment allows live enrollment), every test that opens a candidate
session first records one: three photos of the person the simulated candidate shows
(``obama*.jpg``) and 15 s of the LibriSpeech speaker it speaks as (1688), both shipped in
``tests/data``. Real faces and real speech go through the real engines: nothing is
written to the database behind the API's back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

DATA = Path(__file__).resolve().parent.parent / "data"
BASELINE_PHOTOS = ("obama.jpg", "obama2.jpg", "obama3.jpg")
BASELINE_SPEECH = DATA / "voices" / "librispeech" / "1688-142285-0000.flac"


def link_token(link: str) -> str:
    """The token at the end of a join or proctor link."""
    return link.rsplit("/", 1)[1]


def photo_files() -> list[tuple[str, tuple[str, bytes, str]]]:
    """The ``photos`` multipart parts of an accepted face baseline."""
    faces = DATA / "faces"
    return [
        ("photos", (name, (faces / name).read_bytes(), "image/jpeg")) for name in BASELINE_PHOTOS
    ]


def voice_files() -> dict[str, tuple[str, bytes, str]]:
    """The ``audio`` multipart part of an accepted voice baseline (FLAC, 15 s of speech)."""
    return {"audio": ("baseline.flac", BASELINE_SPEECH.read_bytes(), "audio/flac")}


def _check(response: Any, what: str) -> None:
    assert response.status_code == 200, f"{what} baseline refused: {response.text}"
    assert response.json()["accepted"] is True, response.text


def record_baseline(client: httpx.Client, candidate_link: str) -> None:
    """Face then voice baseline through a synchronous client (TestClient, httpx.Client)."""
    token = link_token(candidate_link)
    _check(client.post(f"/links/{token}/baseline/face", files=photo_files()), "face")
    _check(client.post(f"/links/{token}/baseline/voice", files=voice_files()), "voice")


async def record_baseline_async(base_url: str, candidate_link: str) -> None:
    """The same through HTTP to a served API (what the candidate's browser does)."""
    token = link_token(candidate_link)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        face = await http.post(f"/links/{token}/baseline/face", files=photo_files())
        _check(face, "face")
        voice = await http.post(f"/links/{token}/baseline/voice", files=voice_files())
        _check(voice, "voice")
