"""Creating an interview is all or nothing (control_api.services.interview_creation).

The form checks of ``control_api.deps`` are pure and tested as such. The undoing is
tested on the real servers by breaking a real step after the room exists: the storage
folder (a file where a folder must be) and the database (a table dropped under the
running app). Either way the recruiter gets an error, and no room, file or row is left.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from io import BytesIO

import pytest
from fastapi import HTTPException, UploadFile
from livekit import api as lkapi
from sqlalchemy import text

from control_api.deps import email_address, present_upload, required_text
from control_api.models import Interview, InterviewLink, LifecycleTransition, StoredFile
from tests.api.conftest import Api
from tests.support.livekit_server import TestLiveKitServer


def test_required_text_is_trimmed_and_refuses_blank() -> None:
    """The form's ``min_length`` lets "   " through: the check words it for the field."""
    assert required_text("  Backend engineer \n", "title") == "Backend engineer"
    with pytest.raises(HTTPException) as refused:
        required_text(" \t\n", "title")
    assert refused.value.status_code == 422
    assert refused.value.detail == "title: must not be empty or blank"


@pytest.mark.parametrize("value", ["ada", "ada@example", "ada @example.com", "@example.com"])
def test_email_address_refuses_what_is_not_shaped_like_one(value: str) -> None:
    with pytest.raises(HTTPException) as refused:
        email_address(value)
    assert refused.value.status_code == 422
    assert "candidate_email: not an email address" in str(refused.value.detail)


def test_email_address_is_trimmed() -> None:
    assert email_address(" ada@example.com ") == "ada@example.com"


def test_an_empty_file_part_is_no_file() -> None:
    """A browser sends an empty part for a file input left empty: not a broken upload."""
    assert present_upload(None) is None
    assert present_upload(UploadFile(BytesIO(b""), size=0, filename="")) is None
    upload = UploadFile(BytesIO(b"x"), size=1, filename="jd.txt")
    assert present_upload(upload) is upload


async def _room_names(server: TestLiveKitServer) -> set[str]:
    async with lkapi.LiveKitAPI(server.http_url, server.api_key, server.api_secret) as client:
        rooms = await client.room.list_rooms(lkapi.ListRoomsRequest())
        return {room.name for room in rooms.rooms}


def _nothing_left(api: Api, rooms_before: set[str], server: TestLiveKitServer) -> None:
    assert api.count(Interview) == api.count(StoredFile) == api.count(InterviewLink) == 0
    assert api.stored_files() == set()
    assert asyncio.run(_room_names(server)) - rooms_before == set()


def test_storage_failure_after_the_room_deletes_the_room(
    api_factory: Callable[..., Api], livekit_server: TestLiveKitServer
) -> None:
    """The room is created first; the photo cannot be written (a file stands where the
    storage folder must be): the room is deleted again and no row is committed."""
    api = api_factory()
    api.settings.files_dir.mkdir(parents=True, exist_ok=True)
    (api.settings.files_dir / "interviews").write_bytes(b"not a folder")
    rooms_before = asyncio.run(_room_names(livekit_server))

    response = api.create()

    assert response.status_code == 503, response.text
    assert "the reference photo could not be stored" in response.json()["detail"]
    (api.settings.files_dir / "interviews").unlink()
    _nothing_left(api, rooms_before, livekit_server)


def test_database_failure_after_the_photo_deletes_photo_and_room(
    api_factory: Callable[..., Api], livekit_server: TestLiveKitServer
) -> None:
    """Room created and photo stored, then the commit fails (the lifecycle table is
    gone): the photo file and the room are removed, the interview row rolled back."""
    api = api_factory()
    table = LifecycleTransition.__tablename__
    with api.engine.begin() as connection:
        connection.execute(text(f"DROP TABLE {table}"))
    rooms_before = asyncio.run(_room_names(livekit_server))

    response = api.create()

    assert response.status_code == 500, response.text
    assert response.json()["detail"].startswith("internal error")
    _nothing_left(api, rooms_before, livekit_server)
