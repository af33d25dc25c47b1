"""A small real HTTP app that records what the agent delivers, keyed like the real API.

Used by the outbox tests, which need an API they can stop and restart at will and whose
every received request they can count; it stores events by ``id:state`` and turns by
``id`` exactly as the control API's idempotency contract says, and refuses (422) bodies
that are not valid, like the real API does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel

TOKEN = "test-service-token"


@dataclass
class Recorded:
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    turns: dict[str, dict[str, Any]] = field(default_factory=dict)
    lifecycle: list[str] = field(default_factory=list)
    requests: int = 0
    received_items: int = 0
    dead_letters: dict[str, dict[str, Any]] = field(default_factory=dict)
    token: str = TOKEN
    """The service token it accepts: a test "rotates" it."""
    reports_down: bool = False
    """Answer 503 to dead-letter reports (an API that cannot take them yet)."""


class EventsBody(BaseModel):
    events: list[dict[str, Any]]


class TurnsBody(BaseModel):
    turns: list[dict[str, Any]]


class DeadLettersBody(BaseModel):
    dead_letters: list[dict[str, Any]]


class LifecycleBody(BaseModel):
    status: str


def build_recorder_app(recorded: Recorded) -> FastAPI:
    app = FastAPI()

    def auth(authorization: str = Header(default="")) -> None:
        if authorization != f"Bearer {recorded.token}":
            raise HTTPException(401, "wrong service token")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/agent/interviews/{interview_id}/events", dependencies=[Depends(auth)])
    def events(interview_id: str, body: EventsBody) -> dict[str, int]:
        recorded.requests += 1
        for event in body.events:
            if "id" not in event or "state" not in event:
                raise HTTPException(422, "an event needs id and state")
        for event in body.events:
            recorded.received_items += 1
            recorded.events.setdefault(f"{event['id']}:{event['state']}", event)
        return {"stored": len(body.events)}

    @app.post("/agent/interviews/{interview_id}/transcript", dependencies=[Depends(auth)])
    def transcript(interview_id: str, body: TurnsBody) -> dict[str, int]:
        recorded.requests += 1
        for turn in body.turns:
            recorded.received_items += 1
            recorded.turns.setdefault(turn["id"], turn)
        return {"stored": len(body.turns)}

    @app.post("/agent/interviews/{interview_id}/lifecycle", dependencies=[Depends(auth)])
    def lifecycle(interview_id: str, body: LifecycleBody) -> dict[str, str]:
        recorded.requests += 1
        if not recorded.lifecycle or recorded.lifecycle[-1] != body.status:
            recorded.lifecycle.append(body.status)
        return {"status": body.status}

    @app.post("/agent/dead-letters", dependencies=[Depends(auth)])
    def dead_letters(body: DeadLettersBody) -> dict[str, int]:
        if recorded.reports_down:
            raise HTTPException(503, "try again later")
        for letter in body.dead_letters:
            key = f"{letter['interview_id']}:{letter['kind']}:{letter['key']}"
            recorded.dead_letters[key] = letter
        return {"stored": len(body.dead_letters)}

    return app
