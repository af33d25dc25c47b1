"""A real local HTTP endpoint standing in for an applicant tracking system (ATS)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from control_api.reports.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from tests.fakes.server import LocalAppServer

SECRET = "ats-shared-secret-for-tests"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool


class AtsReceiver(LocalAppServer):
    """An applicant tracking system's endpoint: checks the signature like a real one would,
    and answers with the scripted statuses (then 200); a status may come with the
    seconds of a ``Retry-After`` header, as ``(429, 7)``."""

    def __init__(self, statuses: list[int | tuple[int, int]], secret: str = SECRET) -> None:
        super().__init__()
        self.statuses = list(statuses)
        self.secret = secret
        self.received: list[Received] = []

    @property
    def url(self) -> str:
        return f"{self.origin}/hooks/proctorai?tenant=acme"

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hooks/proctorai", self._receive)
        return app

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        verified = verify_signature(
            self.secret,
            request.headers.get(TIMESTAMP_HEADER, ""),
            body,
            request.headers.get(SIGNATURE_HEADER, ""),
        )
        self.received.append(Received(dict(request.headers), body, verified))
        if not verified:
            return web.Response(status=401, text="bad signature")
        scripted = self.statuses.pop(0) if self.statuses else 200
        status, retry_after = scripted if isinstance(scripted, tuple) else (scripted, None)
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return web.Response(
            status=status, text="ok" if status == 200 else "try later", headers=headers
        )
