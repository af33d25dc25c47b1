"""How the control API process is served: uvicorn's options, in one place.

``proctorai up`` runs ``python -m control_api.server``, and the tests serve the app
with the same :func:`uvicorn_options`, so what is tested is what runs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import uvicorn

from control_api.settings import Settings, get_settings

APP = "control_api.app:create_app"


def api_bind(settings: Settings) -> tuple[str, int]:
    """Where the API listens: the host and port of its public URL (loopback by default)."""
    parts = urlsplit(settings.public_url)
    return parts.hostname or "127.0.0.1", parts.port or 8000


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of ``uvicorn.Config`` / ``uvicorn.run`` for the API.

    ``proxy_headers`` is off: uvicorn's default rewrites the client address from
    ``X-Forwarded-For`` whenever the peer is 127.0.0.1 (``FORWARDED_ALLOW_IPS``), so
    anyone on the machine, or behind a local proxy that passes the header on, could
    pick a new address per request and escape the rate limits. The app itself trusts
    the header from ``TRUSTED_PROXIES`` only (:mod:`control_api.ratelimit`). The access
    log stays off to keep ``proctorai up``'s output readable (when it is on, link
    tokens are redacted from it: :mod:`control_api.access_log`).
    """
    host, port = api_bind(settings)
    return {
        "host": host,
        "port": port,
        "proxy_headers": False,
        "access_log": False,
    }


def main() -> None:
    """Serve the app the environment configures (``create_app`` as a factory)."""
    uvicorn.run(APP, factory=True, **uvicorn_options(get_settings()))


if __name__ == "__main__":
    main()
