"""Snapshot thumbnails embedded in the HTML and PDF reports.

The JSON report links snapshots by signed URLs, which expire; a saved HTML page or a PDF
must still show them, so those renderings embed small JPEG thumbnails instead (at most
``REPORT_MAX_EMBEDDED_SNAPSHOTS``, in timeline order). A snapshot missing from storage
(deleted by retention) is simply not embedded.
"""

from __future__ import annotations

import base64
import io
import logging
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from sqlmodel import Session

from control_api.models import StoredFile
from control_api.reports.schema import ReportDocument
from control_api.storage import InvalidKey, Storage, StorageError

logger = logging.getLogger(__name__)

THUMBNAIL_PIXELS = 320


@dataclass(frozen=True, slots=True)
class EmbeddedImage:
    data: bytes
    """JPEG bytes."""
    width: int
    height: int

    @property
    def data_uri(self) -> str:
        return "data:image/jpeg;base64," + base64.b64encode(self.data).decode()


def thumbnail(raw: bytes) -> EmbeddedImage:
    with Image.open(io.BytesIO(raw)) as source:
        image = source.convert("RGB")
    image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return EmbeddedImage(out.getvalue(), image.width, image.height)


def load_snapshot_images(
    session: Session, storage: Storage, document: ReportDocument, limit: int
) -> dict[str, EmbeddedImage]:
    """Thumbnails by file id for the first ``limit`` snapshots of the timeline."""
    images: dict[str, EmbeddedImage] = {}
    for item in document.proctoring.timeline:
        for snap in item.snapshots:
            if len(images) >= limit:
                return images
            row = session.get(StoredFile, snap.file_id)
            if row is None:
                continue
            try:
                images[snap.file_id] = thumbnail(storage.get(row.storage_key))
            except (StorageError, InvalidKey, UnidentifiedImageError, OSError):
                logger.warning("snapshot not embedded: %s", snap.file_id)
    return images
