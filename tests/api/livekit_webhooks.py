"""LiveKit webhooks as livekit-server sends them: a JSON body and a JWT over its SHA-256."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any

from livekit import api as lkapi

from tests.api.conftest import Api


def signed_webhook(api: Api, event: dict[str, Any]) -> tuple[bytes, str]:
    """``event`` as body and its ``Authorization`` token, signed with the app's LiveKit key."""
    body = json.dumps(event).encode()
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    token = (
        lkapi.AccessToken(api.settings.livekit_api_key, api.settings.secret("livekit_api_secret"))
        .with_sha256(digest)
        .to_jwt()
    )
    return body, token


def post_room_finished(api: Api, room: str) -> dict[str, Any]:
    """POST a signed ``room_finished`` for ``room`` (a fresh event id); return the answer."""
    event = {
        "event": "room_finished",
        "id": f"EV_{uuid.uuid4().hex[:12]}",
        "createdAt": str(int(time.time())),
        "room": {"name": room, "sid": f"RM_{uuid.uuid4().hex[:12]}"},
    }
    body, token = signed_webhook(api, event)
    response = api.client.post("/livekit/webhook", content=body, headers={"Authorization": token})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer
