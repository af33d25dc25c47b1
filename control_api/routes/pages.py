"""The web pages (``control_api/dashboard/``) and their assets, served by the API itself.

One origin for pages and API means no CORS, and the pages call the API with relative
URLs. The pages are plain HTML, CSS and ES modules with no build step; the one library,
``livekit-client``, is served as the prebuilt UMD bundle its npm package ships
(:mod:`control_api.vendor`: from ``node_modules`` in a checkout, from the wheel's copy
once installed).

The join and proctor pages carry a secret in their path, so they are sent with
``Referrer-Policy: no-referrer`` (the token never leaks to another site) and
``Cache-Control: no-store``; every page gets a Content-Security-Policy that allows
scripts from this origin only.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse, RedirectResponse

from control_api.routes import proctor
from control_api.vendor import vendored

logger = logging.getLogger(__name__)

DASHBOARD_DIR = Path(__file__).resolve().parents[1] / "dashboard"
LIVEKIT_CLIENT = vendored("livekit-client/dist/livekit-client.umd.js")

# What the pages may load: scripts and styles from here (the report, opened as a blob,
# inherits this policy and has inline styles), LiveKit over any ws(s)/http(s) host
# (LIVEKIT_PUBLIC_URL may be elsewhere), snapshots from signed URLs (local or Cloudinary).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: https: http:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self' ws: wss: http: https:",
        "worker-src 'self' blob:",
        "frame-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # The candidate page needs the camera and microphone; nothing else does.
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=()",
}
ASSET_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}

router = APIRouter()
# The proctor's history endpoint belongs to the pages (it feeds the sidebar) and is
# documented in the OpenAPI schema, unlike the pages themselves.
router.include_router(proctor.router)


def _page(name: str) -> FileResponse:
    return FileResponse(
        DASHBOARD_DIR / name, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS
    )


@router.get("/", include_in_schema=False)
def recruiter_home() -> RedirectResponse:
    """The recruiter's page lives at /app; / leads there."""
    return RedirectResponse("/app", status_code=status.HTTP_307_TEMPORARY_REDIRECT)


@router.get("/app", include_in_schema=False)
def recruiter_page() -> FileResponse:
    """Create interviews, follow their status, copy links, open reports."""
    return _page("index.html")


@router.get("/join/{token}", include_in_schema=False)
def candidate_page(token: str) -> FileResponse:
    """The candidate's page; its script reads the link token from the path."""
    return _page("join.html")


@router.get("/proctor/{token}", include_in_schema=False)
def proctor_page(token: str) -> FileResponse:
    """The proctor's page; its script reads the link token from the path."""
    return _page("proctor.html")


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """Every browser asks for it on every page; an SVG answers (no 404 in the console)."""
    return FileResponse(
        DASHBOARD_DIR / "favicon.svg",
        media_type=ASSET_TYPES[".svg"],
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/assets/vendor/livekit-client.js", include_in_schema=False)
def livekit_client() -> FileResponse:
    """livekit-client's own UMD bundle (global ``LivekitClient``), from node_modules."""
    if not LIVEKIT_CLIENT.is_file():
        logger.error("livekit-client is not installed (node_modules missing)")
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "livekit-client is not installed: run `npm ci` (or `make setup`) in the project",
        )
    return FileResponse(
        LIVEKIT_CLIENT,
        media_type=ASSET_TYPES[".js"],
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/assets/{path:path}", include_in_schema=False)
def asset(path: str) -> FileResponse:
    """A stylesheet or script of the pages (only files under the dashboard folder, known types)."""
    target = (DASHBOARD_DIR / path).resolve()
    media_type = ASSET_TYPES.get(target.suffix)
    if media_type is None or not target.is_relative_to(DASHBOARD_DIR) or not target.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such asset")
    return FileResponse(
        target,
        media_type=media_type,
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
