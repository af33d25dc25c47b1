"""Headers every answer of the API gets, whatever route made it.

- ``Cache-Control: no-store`` unless the route chose its own: the JSON answers carry
  personal data (names, emails, transcripts) and link tokens, and neither a shared
  proxy nor the browser's disk cache should keep them. The routes that may be cached
  say so themselves (the pages' scripts and styles, the livekit-client bundle, the
  signed media URLs' short private caching).
- ``Strict-Transport-Security`` when ``PUBLIC_URL`` is https: browsers then refuse
  plain HTTP to this host, so a link opened on a hostile network cannot be downgraded.
  One year, without ``includeSubDomains`` (other hosts of the domain are not ours to
  commit) and without ``preload``.
- ``X-Content-Type-Options: nosniff``, so no answer is ever run as another type.

A pure ASGI middleware (not ``BaseHTTPMiddleware``): it only edits the response start
message, so streamed bodies stay streamed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from control_api.settings import Settings

HSTS = "max-age=31536000"


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response start."""

    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if self.hsts:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, with_headers)


def install_security_headers(app: FastAPI, settings: Settings) -> None:
    """Add the middleware, outermost of ours, so refusals (429) get the headers too."""
    https = urlsplit(settings.public_url).scheme == "https"
    app.add_middleware(SecurityHeadersMiddleware, hsts=https)
