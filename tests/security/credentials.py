"""Forged, tampered and borrowed credentials for the security tests.

Each helper makes one kind of bad credential from a good one, the way an attacker
holding a real link (or none) would.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Mapping
from typing import Any, Protocol

import jwt
from livekit import api as lkapi

from control_api.links import LINK_AUDIENCE

WRONG_SECRET = "not-the-link-secret-" * 3
TRACE_MARKERS = ("Traceback", 'File "/', "/work/", "site-packages", "sqlalchemy.exc")


class Answer(Protocol):
    """An HTTP response, from httpx or from the test client (which has its own httpx)."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    def json(self) -> Any: ...


def token_of(link: str) -> str:
    """The token at the end of a join or proctor link URL."""
    return link.rsplit("/", 1)[1]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def flip_signature_byte(token: str) -> str:
    """The same token with one bit of its signature's first byte flipped.

    Flipping a base64 character at the end could change only padding bits and leave
    the signature intact, so the flip is done on the decoded bytes.
    """
    header, payload, signature = token.split(".")
    raw = bytearray(_unb64(signature))
    raw[0] ^= 0x01
    return f"{header}.{payload}.{_b64(bytes(raw))}"


def resigned(token: str, secret: str = WRONG_SECRET, **changes: Any) -> str:
    """The token's own claims, changed as asked and signed with ``secret``."""
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return jwt.encode(claims, secret, algorithm="HS256")


def expired_copy(token: str, secret: str) -> str:
    """The real link (same jti) with an expiry in the past, signed with the right secret."""
    now = int(time.time())
    return resigned(token, secret, iat=now - 3600, exp=now - 60)


def link_token(secret: str, **claims: Any) -> str:
    now = int(time.time())
    base: dict[str, Any] = {
        "aud": LINK_AUDIENCE,
        "role": "candidate",
        "iat": now,
        "exp": now + 600,
    }
    base.update(claims)
    return jwt.encode(base, secret, algorithm="HS256")


def webhook_authorization(body: str, api_key: str, api_secret: str) -> str:
    """The Authorization value LiveKit sends with a webhook: a JWT carrying the body hash."""
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    return lkapi.AccessToken(api_key, api_secret).with_sha256(digest).to_jwt()


def assert_refusal(response: Answer, *statuses: int) -> str:
    """A refusal with one of ``statuses``, a JSON ``detail`` sentence and no internals."""
    assert response.status_code in statuses, (response.status_code, response.text)
    detail = response.json()["detail"]
    assert isinstance(detail, str) and len(detail) > 10, detail
    for marker in TRACE_MARKERS:
        assert marker not in response.text, (marker, response.text)
    return detail
