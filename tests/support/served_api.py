"""An app served over HTTP for a test, and the real control API served that way.

:func:`serving` is the one way tests put an ASGI app on a port (uvicorn in a thread,
:class:`~proctorai.private_servers.UvicornThread`): the control API, or a small recorder
app standing in for it in front of the agent's client (stopped and started again on the
same port, that is an API outage).

The agent, browser (and fault) tests all need the same control API: ``create_app`` on
its own SQLite database under the test's folder, talking to the session's real
livekit-server, served on a free port, with the test suite's fixed keys and a unique
agent name (so the test's worker receives only its own dispatches): :func:`served_api`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from control_api.app import create_app
from control_api.models import LifecycleTransition, ProctoringEvent, TranscriptTurn
from control_api.settings import Settings
from proctorai.private_servers import UvicornThread, free_tcp_port
from tests.support.livekit_server import TestLiveKitServer


@dataclass
class ServedAPI:
    """A running control API: its URL, settings and app, and its auth headers."""

    url: str
    settings: Settings
    app: Any

    @property
    def recruiter(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.secret('recruiter_api_key')}"}

    @property
    def service(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.secret('service_token')}"}


@contextmanager
def serving(
    app: Any,
    port: int | None = None,
    *,
    options: dict[str, Any] | None = None,
    timeout: float = 20.0,
) -> Iterator[UvicornThread]:
    """Serve ``app`` on 127.0.0.1:``port`` (a free one by default; ``options``: further
    uvicorn keywords) until the block ends; the server can be stopped and started again
    inside it."""
    server = UvicornThread(app, port, options)
    server.start(timeout)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def served_api(
    data_dir: Path,
    livekit: TestLiveKitServer,
    *,
    recruiter_key: str,
    service_token: str,
    link_secret: str,
    agent_name: str,
    **overrides: Any,
) -> Iterator[ServedAPI]:
    """Serve a fresh app until the block ends; ``overrides`` are further settings."""
    port = free_tcp_port()
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "public_url": f"http://127.0.0.1:{port}",
        "recruiter_api_key": recruiter_key,
        "service_token": service_token,
        "link_secret": link_secret,
        "livekit_url": livekit.url,
        "livekit_api_key": livekit.api_key,
        "livekit_api_secret": livekit.api_secret,
        "agent_name": agent_name,
        "room_departure_timeout": 5,
        "room_empty_timeout": 60,
    }
    values.update(overrides)
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    app = create_app(settings)
    with serving(app, port) as server:
        yield ServedAPI(server.url, settings, app)


@dataclass
class Stored:
    """What the API stored for one interview (transitions in time order)."""

    events: list[ProctoringEvent]
    turns: list[TranscriptTurn]
    transitions: list[LifecycleTransition]


def stored_rows(engine: Engine, interview_id: str) -> Stored:
    """Read the interview's events, transcript turns and lifecycle from the database."""
    with Session(engine) as session:
        events = session.exec(
            select(ProctoringEvent).where(ProctoringEvent.interview_id == interview_id)
        ).all()
        turns = session.exec(
            select(TranscriptTurn).where(TranscriptTurn.interview_id == interview_id)
        ).all()
        transitions = session.exec(
            select(LifecycleTransition).where(LifecycleTransition.interview_id == interview_id)
        ).all()
    return Stored(list(events), list(turns), sorted(transitions, key=lambda t: t.at))
