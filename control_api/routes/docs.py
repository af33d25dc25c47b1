"""The interactive API documentation: Swagger UI, pinned, from this origin.

FastAPI's own ``/docs`` and ``/redoc`` load the latest ``swagger-ui-dist`` / ReDoc from
a CDN with no integrity check, in the origin where the recruiter page keeps the API
key in session storage: whoever controls that CDN file could read the key. Here the
page loads the exact ``swagger-ui-dist`` version pinned in ``package.json`` (installed
by ``npm ci`` into ``node_modules``, like ``livekit-client``; :mod:`control_api.vendor`)
from this origin, and a
Content-Security-Policy allows nothing else: no inline script, no other host. ReDoc is
not offered (one documentation UI is enough). ``API_DOCS=false`` leaves this router
out, and the app drops ``/openapi.json`` with it.
"""

from __future__ import annotations

import html
import logging

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import FileResponse, HTMLResponse

from control_api.vendor import vendored

logger = logging.getLogger(__name__)

SWAGGER_DIST = vendored("swagger-ui-dist")
# The files the page needs, and their types; nothing else under node_modules is served.
DIST_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
# Starts Swagger UI on this API's schema. A file rather than an inline script, so the
# policy needs no 'unsafe-inline'; validatorUrl null: no call to validator.swagger.io.
INIT_SCRIPT = """\
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""
# Scripts, styles, images and API calls from this origin only; Swagger UI draws its
# icons as data: SVGs.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
ASSET_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs_page(request: Request) -> HTMLResponse:
    """Swagger UI's page: its stylesheet, its bundle and our start script."""
    title = html.escape(request.app.title)
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""
    return HTMLResponse(page, headers=PAGE_HEADERS)


@router.get("/docs/init.js")
def docs_init() -> Response:
    """The script that starts Swagger UI on ``/openapi.json``."""
    return Response(
        INIT_SCRIPT, media_type=DIST_FILES["swagger-ui-bundle.js"], headers=ASSET_HEADERS
    )


@router.get("/docs/{name}")
def docs_asset(name: str) -> FileResponse:
    """One of the files of the pinned ``swagger-ui-dist`` the page loads."""
    media_type = DIST_FILES.get(name)
    if media_type is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such documentation asset")
    target = SWAGGER_DIST / name
    if not target.is_file():
        logger.error("swagger-ui-dist is not installed (node_modules missing)")
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "swagger-ui-dist is not installed: run `npm ci` (or `make setup`) in the project",
        )
    return FileResponse(target, media_type=media_type, headers=ASSET_HEADERS)
