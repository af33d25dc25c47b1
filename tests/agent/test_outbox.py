"""The durable outbox against a real HTTP server that goes down and comes back."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from agent.api_client import ControlAPIClient
from agent.delivery import OutboxFlusher
from agent.outbox import Outbox, OutboxKind
from tests.agent.recorder_app import TOKEN, Recorded, build_recorder_app
from tests.agent.servers import UvicornThread

INTERVIEW = "itv-outbox"


def _event(state: str = "started", event_id: str | None = None) -> dict[str, object]:
    return {"id": event_id or str(uuid.uuid4()), "state": state, "type": "no_face"}


def _turn(turn_id: str | None = None) -> dict[str, object]:
    return {"id": turn_id or str(uuid.uuid4()), "role": "interviewer", "text": "Hello."}


@pytest.fixture
def recorded() -> Recorded:
    return Recorded()


@pytest.fixture
def api(recorded: Recorded) -> Iterator[UvicornThread]:
    server = UvicornThread(build_recorder_app(recorded))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def flusher(tmp_path: Path, api: UvicornThread) -> AsyncIterator[OutboxFlusher]:
    client = ControlAPIClient(api.url, TOKEN, timeout=2.0)
    flusher = OutboxFlusher(Outbox(tmp_path / "outbox.sqlite3"), client, idle_poll=0.2)
    flusher.start()
    yield flusher
    await flusher.aclose()
    await client.aclose()
    flusher.outbox.close()


async def _wait_until(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def test_items_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    outbox = Outbox(path)
    outbox.put(OutboxKind.EVENT, INTERVIEW, "a:started", {"id": "a", "state": "started"})
    outbox.put(OutboxKind.TRANSCRIPT, INTERVIEW, "t1", {"id": "t1"})
    outbox.close()

    reopened = Outbox(path)
    items = reopened.claim_due()
    assert [(i.kind, i.key) for i in items] == [
        (OutboxKind.EVENT, "a:started"),
        (OutboxKind.TRANSCRIPT, "t1"),
    ]
    # leased: a second flusher does not get the same rows while the first sends them
    assert reopened.claim_due() == []
    reopened.ack(items)
    assert reopened.pending_count() == 0
    reopened.close()


def test_replacing_a_pending_payload_wins_over_an_ack_of_the_old_one(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.put(OutboxKind.EVENT, INTERVIEW, "a:started", {"v": 1})
    claimed = outbox.claim_due()
    outbox.put(OutboxKind.EVENT, INTERVIEW, "a:started", {"v": 2})
    outbox.ack(claimed)  # the API got v1; v2 must still be sent
    again = outbox.claim_due()
    assert [i.payload for i in again] == [{"v": 2}]
    outbox.close()


async def test_everything_is_delivered_once_across_an_outage(
    flusher: OutboxFlusher, api: UvicornThread, recorded: Recorded
) -> None:
    first = [_event() for _ in range(5)]
    for event in first:
        await flusher.put(OutboxKind.EVENT, INTERVIEW, f"{event['id']}:started", event)
    await _wait_until(lambda: len(recorded.events) == 5)

    api.stop()
    during = [_event() for _ in range(10)]
    turns = [_turn() for _ in range(5)]
    for event in during:
        await flusher.put(OutboxKind.EVENT, INTERVIEW, f"{event['id']}:started", event)
    for turn in turns:
        await flusher.put(OutboxKind.TRANSCRIPT, INTERVIEW, str(turn["id"]), turn)
    await asyncio.sleep(2.0)  # several failed attempts with backoff
    assert flusher.outbox.pending_count(INTERVIEW) == 15
    assert len(recorded.events) == 5

    api.start()
    await _wait_until(lambda: flusher.outbox.pending_count() == 0, timeout=40)
    expected_events = {f"{e['id']}:started" for e in first + during}
    assert set(recorded.events) == expected_events
    assert set(recorded.turns) == {t["id"] for t in turns}
    # each item was received exactly once: no resend of acknowledged rows
    assert recorded.received_items == 20


async def test_rows_left_by_a_stopped_agent_are_delivered_after_restart(
    tmp_path: Path, api: UvicornThread, recorded: Recorded
) -> None:
    path = tmp_path / "outbox.sqlite3"
    api.stop()
    client = ControlAPIClient(api.url, TOKEN, timeout=1.0)
    first = OutboxFlusher(Outbox(path), client, idle_poll=0.2)
    first.start()
    events = [_event(state) for state in ("started", "ended") for _ in range(3)]
    for event in events:
        await first.put(OutboxKind.EVENT, INTERVIEW, f"{event['id']}:{event['state']}", event)
    await first.put(OutboxKind.LIFECYCLE, INTERVIEW, "in_progress", {"status": "in_progress"})
    await first.put(OutboxKind.LIFECYCLE, INTERVIEW, "completed", {"status": "completed"})
    drained = await first.drain(timeout=1.0)
    assert not drained  # bounded: it gives up, the rows stay on disk
    await first.aclose()
    first.outbox.close()  # the "agent" stops here

    api.start()
    second = OutboxFlusher(Outbox(path), client, idle_poll=0.2)
    # the first process's backoff is honoured, then everything goes through
    assert await second.drain(timeout=40.0)
    assert set(recorded.events) == {f"{e['id']}:{e['state']}" for e in events}
    assert recorded.lifecycle == ["in_progress", "completed"]
    second.outbox.close()
    await client.aclose()


async def test_a_refused_item_is_set_aside_and_does_not_block_the_others(
    flusher: OutboxFlusher, recorded: Recorded
) -> None:
    good = [_event() for _ in range(3)]
    for event in good[:2]:
        await flusher.put(OutboxKind.EVENT, INTERVIEW, f"{event['id']}:started", event)
    await flusher.put(OutboxKind.EVENT, INTERVIEW, "broken", {"type": "no_face"})  # no id
    await flusher.put(OutboxKind.EVENT, INTERVIEW, f"{good[2]['id']}:started", good[2])
    await _wait_until(lambda: flusher.outbox.pending_count() == 0)
    assert set(recorded.events) == {f"{e['id']}:started" for e in good}
    assert flusher.outbox.dead_count() == 1


async def test_wrong_service_token_is_a_permanent_refusal(
    tmp_path: Path, api: UvicornThread, recorded: Recorded
) -> None:
    client = ControlAPIClient(api.url, "not-the-token", timeout=2.0)
    flusher = OutboxFlusher(Outbox(tmp_path / "outbox.sqlite3"), client)
    await flusher.put(OutboxKind.TRANSCRIPT, INTERVIEW, "t1", _turn("t1"))
    assert await flusher.drain(timeout=5.0)
    assert recorded.turns == {}
    assert flusher.outbox.dead_count() == 1
    flusher.outbox.close()
    await client.aclose()
