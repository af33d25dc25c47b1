"""Which credential each route of the app takes, read from the app itself.

The classification comes from each route's dependency tree (``require_recruiter``,
``require_service``, ``get_link``), the signed-URL query parameters, and FastAPI's own
documentation routes, never from a hand-kept list of paths: a new route that takes
none of the known credentials comes out as :attr:`AuthKind.UNKNOWN`, and the
authorisation tests fail until someone decides what it should take.

One route checks its credential inside the handler rather than in a dependency: the
LiveKit webhook, which must read the raw body to check the signed SHA-256 of it.
It is named here by its endpoint function, and its refusals are tested like the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from control_api.deps import get_link, require_recruiter, require_service
from control_api.routes import health, webhooks

# Modules whose routes are public by design: liveness, the HTML pages (the pages
# only render; every action they take goes through a protected endpoint) and the API
# documentation (Swagger UI's page and its pinned files).
PUBLIC_MODULES = frozenset({health.__name__, "control_api.routes.pages", "control_api.routes.docs"})
_PATH_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
SIGNED_URL_PARAMS = frozenset({"expires", "signature"})
HANDLER_VERIFIED: dict[Callable[..., Any], str] = {
    webhooks.livekit_webhook: "LiveKit webhook signature (JWT with the body's SHA-256)",
}


class AuthKind(StrEnum):
    RECRUITER = "recruiter key"
    SERVICE = "service token"
    LINK = "link token"
    WEBHOOK = "LiveKit webhook signature"
    SIGNED_MEDIA = "signed media URL"
    PUBLIC = "public"
    UNKNOWN = "UNCLASSIFIED"


_BY_DEPENDENCY: dict[Callable[..., Any], AuthKind] = {
    require_recruiter: AuthKind.RECRUITER,
    require_service: AuthKind.SERVICE,
    get_link: AuthKind.LINK,
}


@dataclass(frozen=True)
class RouteAuth:
    method: str
    path: str
    kind: AuthKind
    why: str
    path_params: tuple[str, ...]

    def url(self, values: dict[str, str]) -> str:
        """The path with its parameters filled in from ``values``."""
        path = self.path.replace(":path}", "}")
        return path.format(**{name: values[name] for name in self.path_params})

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _classify_api_route(context: routing.RouteContext) -> tuple[AuthKind, str]:
    dependant: Dependant = context.dependant  # the route as included: router deps too
    found = {_BY_DEPENDENCY[c] for c in _calls(dependant) if c in _BY_DEPENDENCY}
    if len(found) > 1:
        return AuthKind.UNKNOWN, f"several credentials at once: {sorted(found)}"
    if found:
        kind = found.pop()
        return kind, f"dependency on {kind.value}"
    endpoint = context.endpoint
    if endpoint in HANDLER_VERIFIED:
        return AuthKind.WEBHOOK, HANDLER_VERIFIED[endpoint]
    query = {param.name for param in dependant.query_params}
    if query >= SIGNED_URL_PARAMS:
        return AuthKind.SIGNED_MEDIA, "required expires+signature query parameters"
    if getattr(endpoint, "__module__", None) in PUBLIC_MODULES:
        return AuthKind.PUBLIC, f"defined in {endpoint.__module__}"  # type: ignore[union-attr]
    return AuthKind.UNKNOWN, "no credential dependency and not a public module"


def _docs_paths(app: FastAPI) -> set[str]:
    urls = (app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    return {url for url in urls if url}


def classify_routes(app: FastAPI) -> list[RouteAuth]:
    """Every route of ``app`` (one entry per method) with the credential it takes."""
    out: list[RouteAuth] = []
    docs = _docs_paths(app)
    for context in routing.iter_route_contexts(app.routes):
        original = context.original_route
        path = str(context.path)
        if isinstance(original, routing.APIRoute):
            kind, why = _classify_api_route(context)
            params = tuple(_PATH_PARAM.findall(path))
        elif isinstance(original, Route) and path in docs:
            kind, why, params = AuthKind.PUBLIC, "FastAPI documentation", ()
        elif isinstance(original, Mount) and isinstance(original.app, StaticFiles):
            kind, why, params = AuthKind.PUBLIC, "static files", ()
        else:
            kind, why, params = AuthKind.UNKNOWN, f"{type(original).__name__} not understood", ()
        for method in sorted(context.methods or {"GET"}):
            if method == "HEAD":
                continue
            out.append(RouteAuth(method, path, kind, why, params))
    return out


def auth_table(routes: list[RouteAuth]) -> str:
    """The classification as a Markdown table (printed by the tests, kept in docs)."""
    lines = ["| method | path | credential | derived from |", "|---|---|---|---|"]
    lines += [f"| {r.method} | `{r.path}` | {r.kind.value} | {r.why} |" for r in routes]
    return "\n".join(lines)
