"""Evidence snapshots: the frame behind a face anomaly, as a JPEG stored by the API."""

from __future__ import annotations

import asyncio
import io
import logging

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from pydantic import JsonValue

from agent.api_client import APIError, ControlAPIClient

logger = logging.getLogger("proctorai.agent.snapshots")


def encode_jpeg(rgb: NDArray[np.uint8], quality: int = 80) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb, mode="RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


class SnapshotUploader:
    """Encodes off the event loop and uploads; returns evidence fields either way."""

    def __init__(self, client: ControlAPIClient, interview_id: str, timeout: float = 10.0) -> None:
        self._client = client
        self._interview_id = interview_id
        self._timeout = timeout

    async def store(self, anomaly_id: str, rgb: NDArray[np.uint8]) -> dict[str, JsonValue]:
        jpeg = await asyncio.to_thread(encode_jpeg, rgb)
        try:
            stored = await asyncio.wait_for(
                self._client.upload_snapshot(self._interview_id, anomaly_id, jpeg),
                timeout=self._timeout,
            )
        except (APIError, TimeoutError):
            logger.warning("snapshot upload failed", extra={"interview_id": self._interview_id})
            return {"snapshot_error": "upload_failed"}
        return {
            "snapshot_url": stored.get("url"),
            "snapshot_key": stored.get("key"),
            "snapshot_id": stored.get("id"),
        }
