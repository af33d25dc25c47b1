"""Deliver the outbox to the control API in the background, with retries.

:class:`OutboxFlusher` wakes when something is queued (or a backoff expires), leases
due rows, sends them in batches per interview and endpoint, acknowledges what the API
accepted, backs off exponentially on outages and sets aside (dead-letters) what the API
refuses for good. ``drain(timeout)`` at job end sends what it can within a bound; what is
left stays on disk for the next flusher (the worker's own, or after a restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from agent.api_client import ControlAPIClient, PermanentAPIError, RetryableAPIError
from agent.outbox import Outbox, OutboxItem, OutboxKind

logger = logging.getLogger("proctorai.agent.delivery")

_BATCH = 100


class OutboxFlusher:
    """Background task sending outbox rows; one per process (or per job) is enough."""

    def __init__(
        self,
        outbox: Outbox,
        client: ControlAPIClient,
        *,
        idle_poll: float = 5.0,
    ) -> None:
        self._outbox = outbox
        self._client = client
        self._idle_poll = idle_poll
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._senders: dict[OutboxKind, Callable[[str, list[dict[str, Any]]], Awaitable[None]]] = {
            OutboxKind.EVENT: client.post_events,
            OutboxKind.TRANSCRIPT: client.post_transcript,
        }

    @property
    def outbox(self) -> Outbox:
        return self._outbox

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-flusher")

    async def put(
        self, kind: OutboxKind, interview_id: str, key: str, payload: dict[str, Any]
    ) -> None:
        """Write to disk first (durable), then wake the sender."""
        await asyncio.to_thread(self._outbox.put, kind, interview_id, key, payload)
        self._wake.set()

    def notify(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await self.flush_once()
            except Exception:  # never let the sender die: the rows stay on disk
                logger.exception("outbox flush failed")
            due_in = await asyncio.to_thread(self._outbox.next_due_in)
            wait = self._idle_poll if due_in is None else min(max(due_in, 0.05), self._idle_poll)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def flush_once(self) -> int:
        """Send every due row once; return how many the API acknowledged."""
        acknowledged = 0
        while True:
            items = await asyncio.to_thread(self._outbox.claim_due, limit=_BATCH)
            if not items:
                return acknowledged
            sent, stalled = await self._send_claimed(items)
            acknowledged += sent
            if stalled:
                return acknowledged

    async def _send_claimed(self, items: list[OutboxItem]) -> tuple[int, bool]:
        """Send one claim; return (acknowledged count, whether the API is unreachable)."""
        groups: dict[tuple[OutboxKind, str], list[OutboxItem]] = defaultdict(list)
        for item in items:
            groups[(item.kind, item.interview_id)].append(item)
        acknowledged = 0
        unreachable = False
        for (kind, interview_id), group in groups.items():
            if unreachable:
                await asyncio.to_thread(self._outbox.release, group)
                continue
            if kind is OutboxKind.LIFECYCLE:
                sent, ok = await self._send_in_order(interview_id, group)
            else:
                sent, ok = await self._send_batch(kind, interview_id, group)
            acknowledged += sent
            unreachable = not ok
        return acknowledged, unreachable

    async def _send_batch(
        self, kind: OutboxKind, interview_id: str, group: list[OutboxItem]
    ) -> tuple[int, bool]:
        send = self._senders[kind]
        try:
            await send(interview_id, [item.payload for item in group])
        except RetryableAPIError:
            await asyncio.to_thread(self._outbox.retry_later, group)
            logger.warning(
                "control API unavailable, will retry",
                extra={"interview_id": interview_id, "kind": kind.value, "items": len(group)},
            )
            return 0, False
        except PermanentAPIError as exc:
            if len(group) > 1:  # find the one bad row instead of dropping the batch
                sent = 0
                for item in group:
                    one, ok = await self._send_batch(kind, interview_id, [item])
                    sent += one
                    if not ok:
                        rest = group[group.index(item) + 1 :]
                        await asyncio.to_thread(self._outbox.release, rest)
                        return sent, False
                return sent, True
            await asyncio.to_thread(self._outbox.dead_letter, group, f"HTTP {exc.status}")
            logger.error(
                "control API refused an item; set aside",
                extra={"interview_id": interview_id, "kind": kind.value, "status": exc.status},
            )
            return 0, True
        await asyncio.to_thread(self._outbox.ack, group)
        return len(group), True

    async def _send_in_order(self, interview_id: str, group: list[OutboxItem]) -> tuple[int, bool]:
        """Lifecycle transitions go one by one, in order: a later one waits for an earlier."""
        sent = 0
        for index, item in enumerate(group):
            try:
                await self._client.post_lifecycle(interview_id, item.payload)
            except RetryableAPIError:
                await asyncio.to_thread(self._outbox.retry_later, group[index:])
                return sent, False
            except PermanentAPIError as exc:
                await asyncio.to_thread(self._outbox.dead_letter, [item], f"HTTP {exc.status}")
                logger.error(
                    "control API refused a lifecycle transition; set aside",
                    extra={"interview_id": interview_id, "status": exc.status},
                )
                continue
            await asyncio.to_thread(self._outbox.ack, [item])
            sent += 1
        return sent, True

    async def drain(self, timeout: float, interview_id: str | None = None) -> bool:
        """Try to empty the outbox (or one interview's rows) within ``timeout`` seconds.

        Returns True when nothing is left. Backoff delays are honoured: a down API is not
        hammered during shutdown, the rows simply stay on disk.
        """
        deadline = time.monotonic() + timeout
        while True:
            await self.flush_once()
            left = await asyncio.to_thread(self._outbox.pending_count, interview_id)
            if left == 0:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                logger.warning(
                    "outbox not drained in time; rows kept on disk",
                    extra={"interview_id": interview_id, "left": left},
                )
                return False
            due_in = await asyncio.to_thread(self._outbox.next_due_in) or 0.05
            await asyncio.sleep(min(max(due_in, 0.05), remaining))

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
