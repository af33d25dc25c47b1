"""File storage for reference photos, baseline media and evidence snapshots.

One small interface, two implementations: a local folder under ``DATA_DIR`` (the
default, no account needed) and Cloudinary private assets (when ``CLOUDINARY_URL``
is set). Keys are chosen by the API (``interviews/<id>/<kind>/<uuid>.<ext>``) and
checked, so no caller can write outside the storage root. URLs handed out are
signed and expire: a snapshot link in a report is not public forever.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import re
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urlparse

import cloudinary.uploader
import cloudinary.utils
import httpx

from control_api.settings import Settings, StorageBackend

_KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)*$")
_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/flac": "flac",
    "audio/ogg": "ogg",
    "audio/webm": "webm",
}


class StorageError(Exception):
    """The storage backend could not complete an operation."""


class InvalidKey(ValueError):
    """A storage key that could escape the storage root or is malformed."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    content_type: str
    size: int
    sha256: str


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative path of simple segments."""
    if len(key) > 255 or not _KEY_PATTERN.fullmatch(key):
        raise InvalidKey("storage key must be a relative path of letters, digits, '_', '-', '.'")
    if any(part in {".", ".."} for part in key.split("/")):
        raise InvalidKey("storage key must not contain '.' or '..' segments")
    return key


def make_key(interview_id: str, kind: str, content_type: str) -> str:
    """A fresh, unique key for a file of an interview."""
    extension = _EXTENSIONS.get(content_type, "bin")
    return validate_key(f"interviews/{interview_id}/{kind}/{uuid.uuid4().hex}.{extension}")


class Storage(Protocol):
    """What the API needs from a file store."""

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def url(self, key: str, expires_in: int) -> str: ...


class MediaUrlSigner:
    """HMAC signatures for the API's own ``/media/<key>`` URLs (local storage)."""

    def __init__(self, secret: str) -> None:
        # A key of its own, derived from the link secret, so a media signature can
        # never be replayed as anything else.
        self._key = hashlib.sha256(b"proctorai-media-url:" + secret.encode()).digest()

    def signature(self, key: str, expires: int) -> str:
        message = f"{key}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def sign(self, key: str, expires_in: int, now: float | None = None) -> tuple[int, str]:
        expires = int((now if now is not None else time.time()) + expires_in)
        return expires, self.signature(key, expires)

    def verify(self, key: str, expires: int, signature: str, now: float | None = None) -> bool:
        if expires < (now if now is not None else time.time()):
            return False
        # Bytes: compare_digest refuses non-ASCII str, and the signature is user input.
        return hmac.compare_digest(self.signature(key, expires).encode(), signature.encode())


class LocalStorage:
    """Files in a folder; writes are atomic (temporary file, fsync, rename)."""

    def __init__(self, root: Path, public_url: str, signer: MediaUrlSigner) -> None:
        self.root = root.resolve()
        self._public_url = public_url
        self._signer = signer

    def path_for(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise InvalidKey("storage key escapes the storage root")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        path = self.path_for(key)
        try:  # a full disk or a file where a folder must be is the storage's failure
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        except OSError as exc:
            raise StorageError(
                f"cannot write to the storage folder ({type(exc).__name__})"
            ) from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, path)
        except OSError as exc:
            Path(tmp_name).unlink(missing_ok=True)
            raise StorageError(
                f"cannot write to the storage folder ({type(exc).__name__})"
            ) from exc
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return StoredObject(key, content_type, len(data), hashlib.sha256(data).hexdigest())

    def get(self, key: str) -> bytes:
        try:
            return self.path_for(key).read_bytes()
        except FileNotFoundError as exc:
            raise StorageError("file not found in storage") from exc

    def delete(self, key: str) -> None:
        self.path_for(key).unlink(missing_ok=True)

    def url(self, key: str, expires_in: int) -> str:
        validate_key(key)
        expires, signature = self._signer.sign(key, expires_in)
        query = urlencode({"expires": expires, "signature": signature})
        return f"{self._public_url}/media/{key}?{query}"


@dataclass(frozen=True)
class CloudinaryCredentials:
    cloud_name: str
    api_key: str
    api_secret: str

    @classmethod
    def from_url(cls, url: str) -> CloudinaryCredentials:
        """Parse ``cloudinary://<api_key>:<api_secret>@<cloud_name>``."""
        parsed = urlparse(url)
        if parsed.scheme != "cloudinary" or not (
            parsed.hostname and parsed.username and parsed.password
        ):
            raise ValueError("CLOUDINARY_URL must look like cloudinary://KEY:SECRET@CLOUD_NAME")
        return cls(parsed.hostname, parsed.username, parsed.password)

    def options(self) -> dict[str, str]:
        return {
            "cloud_name": self.cloud_name,
            "api_key": self.api_key,
            "api_secret": self.api_secret,
        }


class CloudinaryStorage:
    """Private (``type="authenticated"``) Cloudinary assets under one folder."""

    def __init__(self, credentials: CloudinaryCredentials, folder: str) -> None:
        self._credentials = credentials
        self._folder = folder.strip("/")

    @staticmethod
    def resource_type(content_type: str) -> str:
        if content_type.startswith("image/"):
            return "image"
        if content_type.startswith(("audio/", "video/")):
            return "video"  # Cloudinary keeps audio as video resources
        return "raw"

    def locate(self, key: str) -> tuple[str, str, str]:
        """(public_id, format, resource_type) of a key; raw files keep their extension."""
        validate_key(key)
        stem, _, extension = key.rpartition(".")
        content_type = next((ct for ct, ext in _EXTENSIONS.items() if ext == extension), "")
        resource_type = self.resource_type(content_type)
        if resource_type == "raw" or not stem:
            return f"{self._folder}/{key}", "", "raw"
        return f"{self._folder}/{stem}", extension, resource_type

    def _options(self, **extra: Any) -> dict[str, Any]:
        return {**self._credentials.options(), "type": "authenticated", **extra}

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        public_id, _, resource_type = self.locate(key)
        try:
            cloudinary.uploader.upload(
                io.BytesIO(data),
                **self._options(public_id=public_id, resource_type=resource_type, overwrite=False),
            )
        except Exception as exc:  # the SDK raises its own and transport errors
            raise StorageError("Cloudinary upload failed") from exc
        return StoredObject(key, content_type, len(data), hashlib.sha256(data).hexdigest())

    def get(self, key: str) -> bytes:
        try:
            response = httpx.get(self.url(key, expires_in=300), timeout=30)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise StorageError("Cloudinary download failed") from exc
        return response.content

    def delete(self, key: str) -> None:
        public_id, _, resource_type = self.locate(key)
        try:
            cloudinary.uploader.destroy(
                public_id, **self._options(resource_type=resource_type, invalidate=True)
            )
        except Exception as exc:
            raise StorageError("Cloudinary delete failed") from exc

    def url(self, key: str, expires_in: int) -> str:
        public_id, file_format, resource_type = self.locate(key)
        return str(
            cloudinary.utils.private_download_url(
                public_id,
                file_format,
                **self._options(
                    resource_type=resource_type, expires_at=int(time.time()) + expires_in
                ),
            )
        )


def build_storage(settings: Settings) -> Storage:
    """The storage the settings ask for."""
    if settings.storage_backend is StorageBackend.CLOUDINARY and settings.cloudinary_url:
        credentials = CloudinaryCredentials.from_url(settings.cloudinary_url.get_secret_value())
        return CloudinaryStorage(credentials, settings.cloudinary_folder)
    return LocalStorage(
        settings.files_dir, settings.public_url, MediaUrlSigner(settings.secret("link_secret"))
    )
