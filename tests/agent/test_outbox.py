"""The durable outbox against a real HTTP server that goes down and comes back."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from agent.api_client import ControlAPIClient
from agent.delivery import OutboxFlusher
from agent.outbox import Outbox, OutboxKind
from agent.outbox_status import OutboxCollector, health_problem
from proctorai.private_servers import UvicornThread
from tests.agent.recorder_app import TOKEN, Recorded, build_recorder_app
from tests.support.served_api import serving

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
    with serving(build_recorder_app(recorded)) as server:
        yield server


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


def test_a_transition_waits_for_everything_queued_before_it(tmp_path: Path) -> None:
    """The API evaluates on "completed": the turns and anomaly ends queued before it must
    reach it first, even when one of them is in backoff (issue 11, item 2)."""
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.put(OutboxKind.EVENT, INTERVIEW, "evt:started", _event())
    outbox.put(OutboxKind.LIFECYCLE, INTERVIEW, "in_progress", {"status": "in_progress"})
    outbox.put(OutboxKind.TRANSCRIPT, INTERVIEW, "turn-last", _turn("turn-last"))
    outbox.put(OutboxKind.LIFECYCLE, INTERVIEW, "completed", {"status": "completed"})
    outbox.put(OutboxKind.EVENT, "another-interview", "evt:other", _event())

    first = outbox.claim_due()  # a transition waits; other rows and interviews do not
    assert [i.key for i in first] == ["evt:started", "turn-last", "evt:other"]
    outbox.ack([first[0]])
    outbox.retry_later([first[1]])  # the API failed that one: it waits, so does "completed"
    second = outbox.claim_due()
    assert [i.key for i in second] == ["in_progress"]
    outbox.ack(second)
    assert outbox.claim_due() == []
    later = [i for i in outbox.claim_due(now=time.time() + 120) if i.interview_id == INTERVIEW]
    assert [i.key for i in later] == ["turn-last"]
    outbox.ack(later)
    assert [i.key for i in outbox.claim_due()] == ["completed"]
    outbox.close()


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


async def test_a_refused_token_holds_rows_back_until_the_api_accepts_it_again(
    tmp_path: Path, api: UvicornThread, recorded: Recorded
) -> None:
    """The API rotates its token away from the agent's, then back: nothing is set aside,
    the health check says so meanwhile, and the rows go through once it accepts it."""
    recorded.token = "the-api-has-a-new-token"
    client = ControlAPIClient(api.url, TOKEN, timeout=2.0)
    flusher = OutboxFlusher(
        Outbox(tmp_path / "outbox.sqlite3"), client, idle_poll=0.2, credentials_retry_cap=1.0
    )
    turns = [_turn() for _ in range(3)]
    for turn in turns:
        await flusher.put(OutboxKind.TRANSCRIPT, INTERVIEW, str(turn["id"]), turn)
    await flusher.put(OutboxKind.LIFECYCLE, INTERVIEW, "in_progress", {"status": "in_progress"})
    assert not await flusher.drain(timeout=3.0)
    assert flusher.outbox.dead_count() == 0
    assert flusher.outbox.pending_count() == 4
    status = flusher.outbox.status()
    assert status.credentials_refused is not None
    assert status.credentials_refused.refusals >= 2  # retried, not given up
    problem = health_problem(status)
    assert problem is not None and "SERVICE_TOKEN (HTTP 401" in problem
    assert "4 outbox rows are kept" in problem

    recorded.token = TOKEN  # rotated back
    flusher.start()
    await _wait_until(lambda: flusher.outbox.pending_count() == 0, timeout=10)
    assert set(recorded.turns) == {t["id"] for t in turns}
    assert recorded.lifecycle == ["in_progress"]
    assert health_problem(flusher.outbox.status()) is None
    await flusher.aclose()
    flusher.outbox.close()
    await client.aclose()


async def test_dead_letters_stay_unhealthy_until_the_api_has_them(
    flusher: OutboxFlusher, recorded: Recorded
) -> None:
    recorded.reports_down = True
    # no id: 422; its key carries a control character, which the report replaces
    await flusher.put(OutboxKind.EVENT, INTERVIEW, "broken\x00", {"type": "no_face"})
    await _wait_until(lambda: flusher.outbox.dead_count() == 1)
    await asyncio.sleep(0.5)  # a report attempt or two, refused
    problem = health_problem(flusher.outbox.status())
    assert problem == "1 outbox rows refused by the control API are not reported to it yet"
    assert recorded.dead_letters == {}

    recorded.reports_down = False
    await _wait_until(lambda: health_problem(flusher.outbox.status()) is None, timeout=90)
    [letter] = recorded.dead_letters.values()
    assert letter["kind"] == "event" and letter["key"] == "broken?" and letter["status"] == 422
    assert "payload" not in letter


def test_the_outbox_metrics_read_the_file(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.put(OutboxKind.EVENT, INTERVIEW, "a:started", {"id": "a"})
    outbox.put(OutboxKind.EVENT, INTERVIEW, "b:started", {"id": "b"})
    outbox.dead_letter(outbox.claim_due(limit=1), 422)
    outbox.record_credentials_refused(401)
    registry = CollectorRegistry()
    registry.register(OutboxCollector(outbox))
    text = generate_latest(registry).decode()
    assert "proctorai_agent_outbox_pending 1.0" in text
    assert 'proctorai_agent_outbox_dead_letters{reported="false"} 1.0' in text
    assert "proctorai_agent_outbox_credentials_refused 1.0" in text
    assert "proctorai_agent_outbox_credential_refusals_total 1.0" in text
    outbox.close()
