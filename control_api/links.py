"""Signed, expiring join and proctor links.

A link token is a JWT (HS256, ``LINK_SECRET``) naming the interview, the role
(candidate or proctor), its expiry and a unique id (``jti``). Only the ``jti`` is
stored, so links can be revoked and their use tracked; because signing is
deterministic, the recruiter can be shown an issued link again without the database
ever holding a usable token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from control_api.models import InterviewLink, LinkRole

LINK_AUDIENCE = "proctorai-link"
ALGORITHM = "HS256"


class LinkError(Exception):
    """A link token that cannot be used, with a message for the person holding it."""


@dataclass(frozen=True)
class LinkClaims:
    interview_id: str
    role: LinkRole
    jti: str
    issued_at: datetime
    expires_at: datetime


def new_link(interview_id: str, role: LinkRole, ttl_seconds: int) -> InterviewLink:
    """A link record (not yet stored) valid for ``ttl_seconds`` from now."""
    issued = datetime.now(UTC).replace(microsecond=0)
    return InterviewLink(
        jti=secrets.token_urlsafe(16),
        interview_id=interview_id,
        role=role.value,
        issued_at=issued,
        expires_at=issued + timedelta(seconds=ttl_seconds),
    )


def encode_link(link: InterviewLink, secret: str) -> str:
    """The token of an issued link (the same link always gives the same token)."""
    claims = {
        "aud": LINK_AUDIENCE,
        "sub": link.interview_id,
        "role": link.role,
        "jti": link.jti,
        "iat": int(link.issued_at.timestamp()),
        "exp": int(link.expires_at.timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_link(token: str, secret: str) -> LinkClaims:
    """Check the token's signature, expiry and shape; raise :class:`LinkError`."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=LINK_AUDIENCE,
            options={"require": ["exp", "iat", "sub", "jti", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise LinkError("this link has expired: ask the recruiter for a new one") from exc
    except jwt.InvalidTokenError as exc:
        raise LinkError(
            "this link is not valid: check that it was copied completely, "
            "or ask the recruiter for a new one"
        ) from exc
    try:
        role = LinkRole(str(claims.get("role")))
    except ValueError as exc:
        raise LinkError("this link is not valid: it names no known role") from exc
    return LinkClaims(
        interview_id=str(claims["sub"]),
        role=role,
        jti=str(claims["jti"]),
        issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )


def link_url(public_url: str, role: LinkRole, token: str) -> str:
    """The page a link opens: ``/join/<token>`` for candidates, ``/proctor/<token>``."""
    path = "join" if role is LinkRole.CANDIDATE else "proctor"
    return f"{public_url}/{path}/{token}"
