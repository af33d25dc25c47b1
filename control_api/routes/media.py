"""Signed, expiring URLs for stored files (local storage).

Report pages embed snapshots with ``<img src>``, which cannot carry an API key;
the URL itself carries an HMAC signature and an expiry instead.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlmodel import select

from control_api.deps import SessionDep, SettingsDep, StorageDep
from control_api.models import StoredFile
from control_api.schemas import ErrorResponse
from control_api.storage import InvalidKey, MediaUrlSigner, StorageError

router = APIRouter(tags=["media"])


@router.get(
    "/media/{key:path}",
    summary="A stored file, through a signed URL",
    response_class=Response,
    responses={403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)
def get_media(
    key: str,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    expires: Annotated[int, Query()],
    signature: Annotated[str, Query(max_length=128)],
) -> Response:
    signer = MediaUrlSigner(settings.secret("link_secret"))
    if not signer.verify(key, expires, signature):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "this media link is invalid or has expired: reload the page to get a fresh one",
        )
    row = session.exec(select(StoredFile).where(StoredFile.storage_key == key)).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this file no longer exists")
    try:
        data = storage.get(key)
    except (StorageError, InvalidKey) as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this file no longer exists") from exc
    return Response(
        content=data,
        media_type=row.content_type,
        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
