"""Reading uploaded files safely: size limits, real type checks, clean file names.

Everything here raises ``HTTPException`` with a message that tells the uploader what
to change; nothing here writes anywhere.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath

from fastapi import HTTPException, UploadFile, status
from PIL import Image, UnidentifiedImageError

from control_api.text_extraction import (
    ExtractedText,
    UnreadableDocument,
    UnsupportedDocument,
    extract_text,
)

_CHUNK = 64 * 1024
# Larger images are refused before decoding (decompression bombs).
MAX_IMAGE_PIXELS = 40_000_000
# Baseline photos are webcam frames: the candidate's page asks for 640x480 and a full-HD
# webcam gives 2.1 MP. Twice that is plenty, and bounds what decoding one may cost (a
# 4 MP PNG is 16 MB in Pillow) before any of them is decoded.
MAX_BASELINE_PIXELS = 4_000_000
_IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    content_type: str
    width: int
    height: int


def read_upload(upload: UploadFile, limit: int, field: str) -> bytes:
    """All bytes of ``upload``, or 413 as soon as it passes ``limit``."""
    upload.file.seek(0)
    chunks: list[bytes] = []
    total = 0
    while chunk := upload.file.read(_CHUNK):
        total += len(chunk)
        if total > limit:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                f"{field}: the file is larger than {format_size(limit)}: upload a smaller file",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def format_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MiB"
    return f"{size / 1024:.0f} KiB"


def document_text(data: bytes, field: str, *, max_chars: int, max_pdf_pages: int) -> ExtractedText:
    """Extracted text, with type problems as 415 and unreadable files as 422."""
    try:
        return extract_text(data, max_chars=max_chars, max_pdf_pages=max_pdf_pages)
    except UnsupportedDocument as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"{field}: {exc}") from exc
    except UnreadableDocument as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{field}: {exc}") from exc


def check_image(
    data: bytes, field: str, *, max_pixels: int = MAX_IMAGE_PIXELS, decode: bool = True
) -> CheckedImage:
    """Check an uploaded image (JPEG or PNG only, at most ``max_pixels``) from its header,
    then decode it fully so corrupt files are caught now.

    ``decode=False`` stops after the header: for baseline photos, which are decoded
    (downscaled, once) by the face engine's workers and not on the request thread;
    damaged ones are refused there with :func:`undecodable_image`.
    """
    if not data:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{field}: the file is empty: upload a photo"
        )
    limit = f"upload a photo of at most {max_pixels / 1_000_000:g} megapixels"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format or ""
                width, height = image.size
                if image_format not in _IMAGE_TYPES:
                    raise HTTPException(
                        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                        f"{field}: {image_format or 'this'} images are not accepted: "
                        "upload a JPEG or PNG photo",
                    )
                if width * height > max_pixels:
                    raise HTTPException(
                        status.HTTP_422_UNPROCESSABLE_CONTENT,
                        f"{field}: the image is {width}x{height} pixels: {limit}",
                    )
                if decode:
                    image.load()
    except HTTPException:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses these at open, before the size check above can name them.
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"{field}: the image has far too many pixels: {limit}",
        ) from exc
    except UnidentifiedImageError as exc:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"{field}: this is not an image: upload a JPEG or PNG photo",
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise undecodable_image(field) from exc
    return CheckedImage(data, _IMAGE_TYPES[image_format], width, height)


def undecodable_image(field: str) -> HTTPException:
    """The 422 for an image whose header reads but whose pixels do not."""
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        f"{field}: the image could not be decoded (damaged or truncated): upload the photo again",
    )


def safe_filename(name: str | None, fallback: str = "upload") -> str:
    """The last path component of an uploaded file's name, without control characters."""
    if not name:
        return fallback
    base = PurePosixPath(name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    if cleaned in {"", ".", ".."}:
        return fallback
    return cleaned[:200]
