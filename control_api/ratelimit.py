"""Rate limits on the public link endpoints and on failed authentication.

The link endpoints (``/links/{token}/...``) answer anyone on the internet holding a
URL, and every bearer endpoint can be probed for keys; both get an in-process limit
(the ``limits`` library, moving window, in memory) so a script cannot try tokens or
keys at speed, nor hammer one link:

- each client may make ``RATE_LIMIT_LINKS_PER_MINUTE`` link requests a minute;
- each link (by its ``jti``, so re-encoded copies share it) ``RATE_LIMIT_LINK_USES_PER_MINUTE``;
- after ``RATE_LIMIT_FAILED_AUTH_PER_MINUTE`` answers of 401 to one client for one kind
  of credential within a minute, that client gets 429 on the endpoints of that kind
  until the window moves on: wrong recruiter keys lock it out of ``/interviews``, wrong
  service tokens out of ``/agent/``, bad link tokens out of ``/links/``, and nothing
  else. The LiveKit webhook and the signed media URLs are never locked out: their
  signatures cannot be guessed, and behind a proxy a stranger's address is everyone's.

The client is the TCP peer. Only when the peer is one of ``TRUSTED_PROXIES`` is it the
right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy (uvicorn's own
``ProxyHeadersMiddleware``, installed by :func:`install_rate_limits`); the server must
then not rewrite the address itself (``control_api.server`` runs uvicorn without proxy
headers; uvicorn's default believes ``X-Forwarded-For`` from 127.0.0.1).

A refusal is 429 with ``Retry-After`` (seconds) and ``{"detail": "..."}``. A limit of
0 turns that limit off. The counters live in the process: behind several API workers
each keeps its own (good enough against guessing; a shared limit would need Redis,
which ``limits`` also supports).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass
from enum import StrEnum

import jwt
from fastapi import FastAPI
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from control_api.settings import Settings

logger = logging.getLogger(__name__)

LINK_PREFIX = "/links/"


class CredentialKind(StrEnum):
    """The guessable credentials, each with a lockout of its own."""

    RECRUITER = "recruiter"
    SERVICE = "service"
    LINK = "link"


def credential_kind(path: str) -> CredentialKind | None:
    """The credential the route at ``path`` takes, from its prefix (before routing).

    ``None`` for the pages, the docs, the health check, and the signature-checked
    routes (``/livekit/webhook``, ``/media/...``), which no lockout covers. A test
    checks this against the route table read from the dependencies.
    """
    if path == "/interviews" or path.startswith("/interviews/"):
        return CredentialKind.RECRUITER
    if path.startswith("/agent/") or path == "/metrics":
        return CredentialKind.SERVICE
    if path.startswith(LINK_PREFIX):
        return CredentialKind.LINK
    return None


@dataclass(frozen=True)
class RateLimitConfig:
    """Requests allowed per minute; 0 turns a limit off."""

    links_per_ip: int
    uses_per_link: int
    failed_auth_per_ip: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimitConfig:
        return cls(
            links_per_ip=settings.rate_limit_links_per_minute,
            uses_per_link=settings.rate_limit_link_uses_per_minute,
            failed_auth_per_ip=settings.rate_limit_failed_auth_per_minute,
        )


class RateLimiter:
    """The counters of one app, and the decisions made from them."""

    def __init__(self, config: RateLimitConfig) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._links_per_ip = _per_minute(config.links_per_ip)
        self._uses_per_link = _per_minute(config.uses_per_link)
        self._failed_auth = _per_minute(config.failed_auth_per_ip)

    def check_request(self, path: str, client: str) -> int | None:
        """Seconds to wait if this request is over a limit (it is counted), else None."""
        kind = credential_kind(path)
        if kind is None:
            return None
        if self._failed_auth and not self._limiter.test(
            self._failed_auth, "failed-auth", kind, client
        ):
            return self._retry_after(self._failed_auth, "failed-auth", kind, client)
        if kind is not CredentialKind.LINK:
            return None
        if self._links_per_ip and not self._limiter.hit(self._links_per_ip, "links-ip", client):
            return self._retry_after(self._links_per_ip, "links-ip", client)
        link = link_key(path)
        if self._uses_per_link and not self._limiter.hit(self._uses_per_link, "link", link):
            return self._retry_after(self._uses_per_link, "link", link)
        return None

    def record_failed_auth(self, path: str, client: str) -> None:
        """Count a 401 against the client, for the kind of credential ``path`` takes."""
        kind = credential_kind(path)
        if self._failed_auth and kind is not None:
            self._limiter.hit(self._failed_auth, "failed-auth", kind, client)

    def _retry_after(self, item: RateLimitItem, *keys: str) -> int:
        reset = self._limiter.get_window_stats(item, *keys).reset_time
        return max(1, math.ceil(reset - time.time()))


def _per_minute(amount: int) -> RateLimitItem | None:
    return RateLimitItemPerMinute(amount) if amount > 0 else None


def link_key(path: str) -> str:
    """The link a ``/links/{token}/...`` path names: its ``jti`` when readable.

    The signature is not checked here (the endpoint does that); a tampered copy of a
    real link counts against that link, which is what an attacker holding it could
    do anyway. Unreadable tokens are keyed by a hash of the token.
    """
    token = path[len(LINK_PREFIX) :].split("/", 1)[0]
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        jti = claims.get("jti") if isinstance(claims, dict) else None
    except jwt.PyJWTError:
        jti = None
    if isinstance(jti, str) and jti:
        return f"jti:{jti[:64]}"
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]


class RateLimitMiddleware:
    """ASGI middleware applying a :class:`RateLimiter` to every HTTP request."""

    def __init__(self, app: ASGIApp, config: RateLimitConfig) -> None:
        self.app = app
        self.limiter = RateLimiter(config)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        path: str = scope.get("path", "")
        wait = self.limiter.check_request(path, client)
        if wait is not None:
            logger.info("rate limited: %s %s", scope.get("method"), path.split("/", 3)[1])
            await _too_many_requests(send, wait)
            return

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self.limiter.record_failed_auth(path, client)
            await send(message)

        await self.app(scope, receive, watch)


async def _too_many_requests(send: Send, retry_after: int) -> None:
    detail = f"too many requests: wait {retry_after} seconds before trying again"
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def install_rate_limits(app: FastAPI, settings: Settings) -> None:
    """Add the limits configured in ``settings`` to ``app`` (before it starts).

    With ``TRUSTED_PROXIES`` set, uvicorn's ``ProxyHeadersMiddleware`` goes in front
    (added last, so it runs first): it replaces the client address only for requests
    whose peer is a trusted proxy, with the right-most untrusted forwarded address.
    """
    app.add_middleware(RateLimitMiddleware, config=RateLimitConfig.from_settings(settings))
    if settings.trusted_proxies:
        trusted = [str(network) for network in settings.trusted_proxies]
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)
