"""Deliver the outbox to the control API in the background, with retries.

:class:`OutboxFlusher` wakes when something is queued (or a backoff expires), leases
due rows, sends them in batches per interview and endpoint, acknowledges what the API
accepted, backs off exponentially on outages and sets aside (dead-letters) what the API
refuses for good. ``drain(timeout)`` at job end sends what it can within a bound; what is
left stays on disk for the next flusher (the worker's own, or after a restart).

A refused service token (401/403) is not a verdict on the rows: it means the agent and
the API disagree on ``SERVICE_TOKEN`` right now (a rotation half done). The rows stay
queued with a longer, capped backoff, the refusal is recorded in the file (the worker's
health check reads it) and logged once, and the first call that goes through again makes
them due at once. Dead letters are reported to the API (``POST /agent/dead-letters``,
idempotent) until it has acknowledged them, so nothing the API refused goes unnoticed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from agent.api_client import (
    ControlAPIClient,
    CredentialsAPIError,
    PermanentAPIError,
    RetryableAPIError,
)
from agent.outbox import DeadLetter, Outbox, OutboxItem, OutboxKind, backoff_delay

logger = logging.getLogger("proctorai.agent.delivery")

_BATCH = 100
CREDENTIALS_RETRY_CAP = 300.0
"""Default longest wait between attempts while the token is refused (seconds)."""
_REPORT_RETRY_CAP = 60.0


class _Outcome(Enum):
    """How a send ended, for the rest of the claim."""

    DONE = "done"  # acknowledged, or set aside: go on with the next group
    UNREACHABLE = "unreachable"  # the API is away: release the rest, try later
    REFUSED_CREDENTIALS = "refused credentials"  # 401/403: hold the rest back too


def _printable(text: str, limit: int) -> str:
    """An id as the report can carry it: a row refused for a malformed id still gets
    reported (control characters, NUL included, replaced; cut to the API's limit)."""
    return "".join(c if c.isprintable() else "?" for c in text)[:limit] or "?"


def _report_body(letter: DeadLetter) -> dict[str, Any]:
    return {
        "interview_id": _printable(letter.interview_id, 64),
        "kind": letter.kind.value,
        "key": _printable(letter.key, 200),
        "status": letter.status,
        "reason": letter.reason,
        "attempts": letter.attempts,
        "failed_at": datetime.fromtimestamp(letter.failed_at, UTC).isoformat(),
    }


class OutboxFlusher:
    """Background task sending outbox rows; one per process (or per job) is enough."""

    def __init__(
        self,
        outbox: Outbox,
        client: ControlAPIClient,
        *,
        idle_poll: float = 5.0,
        credentials_retry_cap: float = CREDENTIALS_RETRY_CAP,
    ) -> None:
        self._outbox = outbox
        self._client = client
        self._idle_poll = idle_poll
        self._credentials_cap = credentials_retry_cap
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._senders: dict[OutboxKind, Callable[[str, list[dict[str, Any]]], Awaitable[None]]] = {
            OutboxKind.EVENT: client.post_events,
            OutboxKind.TRANSCRIPT: client.post_transcript,
        }
        self._fresh = True  # this process may hold a new token: retry held-back rows now
        self._last_refusal = 401  # status of the latest refused token, for held-back rows
        self._report_failures = 0
        self._report_not_before = 0.0

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
        """Send every due row once, then report dead letters; return how many rows the
        API acknowledged."""
        if self._fresh:
            self._fresh = False
            await asyncio.to_thread(self._outbox.retry_held_back_now)
        acknowledged = 0
        while True:
            items = await asyncio.to_thread(self._outbox.claim_due, limit=_BATCH)
            if not items:
                break
            sent, outcome = await self._send_claimed(items)
            acknowledged += sent
            if outcome is not _Outcome.DONE:
                return acknowledged  # the API is away or refuses us: no report either
        await self._report_dead_letters()
        return acknowledged

    async def _send_claimed(self, items: list[OutboxItem]) -> tuple[int, _Outcome]:
        """Send one claim; return (acknowledged count, how the last send ended)."""
        groups: dict[tuple[OutboxKind, str], list[OutboxItem]] = defaultdict(list)
        for item in items:
            groups[(item.kind, item.interview_id)].append(item)
        acknowledged = 0
        outcome = _Outcome.DONE
        for (kind, interview_id), group in groups.items():
            if outcome is _Outcome.UNREACHABLE:
                await asyncio.to_thread(self._outbox.release, group)
                continue
            if outcome is _Outcome.REFUSED_CREDENTIALS:  # they would be refused the same
                await self._hold_back(group, self._last_refusal)
                continue
            if kind is OutboxKind.LIFECYCLE:
                sent, outcome = await self._send_in_order(interview_id, group)
            else:
                sent, outcome = await self._send_batch(kind, interview_id, group)
            acknowledged += sent
        return acknowledged, outcome

    async def _send_batch(
        self, kind: OutboxKind, interview_id: str, group: list[OutboxItem]
    ) -> tuple[int, _Outcome]:
        send = self._senders[kind]
        try:
            await send(interview_id, [item.payload for item in group])
        except RetryableAPIError as exc:
            await asyncio.to_thread(self._outbox.retry_later, group, status=exc.status)
            logger.warning(
                "control API unavailable, will retry",
                extra={"interview_id": interview_id, "kind": kind.value, "items": len(group)},
            )
            return 0, _Outcome.UNREACHABLE
        except CredentialsAPIError as exc:
            await self._credentials_refused(exc, group)
            return 0, _Outcome.REFUSED_CREDENTIALS
        except PermanentAPIError as exc:
            if len(group) > 1:  # find the one bad row instead of dropping the batch
                sent = 0
                for index, item in enumerate(group):
                    one, outcome = await self._send_batch(kind, interview_id, [item])
                    sent += one
                    if outcome is not _Outcome.DONE:
                        rest = group[index + 1 :]
                        if outcome is _Outcome.REFUSED_CREDENTIALS:
                            await self._hold_back(rest, self._last_refusal)
                        else:
                            await asyncio.to_thread(self._outbox.release, rest)
                        return sent, outcome
                return sent, _Outcome.DONE
            await self._set_aside(group, exc, kind, interview_id)
            return 0, _Outcome.DONE
        await asyncio.to_thread(self._outbox.ack, group)
        await self._credentials_work()
        return len(group), _Outcome.DONE

    async def _send_in_order(
        self, interview_id: str, group: list[OutboxItem]
    ) -> tuple[int, _Outcome]:
        """Lifecycle transitions go one by one, in order: a later one waits for an earlier."""
        sent = 0
        for index, item in enumerate(group):
            try:
                await self._client.post_lifecycle(interview_id, item.payload)
            except RetryableAPIError as exc:
                await asyncio.to_thread(self._outbox.retry_later, group[index:], status=exc.status)
                return sent, _Outcome.UNREACHABLE
            except CredentialsAPIError as exc:
                await self._credentials_refused(exc, group[index:])
                return sent, _Outcome.REFUSED_CREDENTIALS
            except PermanentAPIError as exc:
                await self._set_aside([item], exc, OutboxKind.LIFECYCLE, interview_id)
                continue
            await asyncio.to_thread(self._outbox.ack, [item])
            await self._credentials_work()
            sent += 1
        return sent, _Outcome.DONE

    async def _set_aside(
        self, items: list[OutboxItem], exc: PermanentAPIError, kind: OutboxKind, interview_id: str
    ) -> None:
        status = exc.status or 400
        await asyncio.to_thread(self._outbox.dead_letter, items, status)
        logger.error(
            "control API refused an item; set aside and reported",
            extra={
                "interview_id": interview_id,
                "kind": kind.value,
                "key": items[0].key,
                "status": status,
            },
        )

    async def _hold_back(self, items: list[OutboxItem], status: int) -> None:
        if items:
            await asyncio.to_thread(
                self._outbox.retry_later, items, status=status, cap=self._credentials_cap
            )

    async def _credentials_refused(self, exc: CredentialsAPIError, items: list[OutboxItem]) -> None:
        """Hold the rows back (never set aside) and record the refusal for the health check."""
        status = exc.status or 401
        self._last_refusal = status
        await self._hold_back(items, status)
        newly = await asyncio.to_thread(self._outbox.record_credentials_refused, status)
        if newly:  # once per episode: the health check keeps saying it
            logger.error(
                "control API refuses the agent's SERVICE_TOKEN (HTTP %d): rows are kept in "
                "the outbox and retried; give the agent the SERVICE_TOKEN the API has",
                status,
                extra={"status": status},
            )

    async def _credentials_work(self) -> None:
        """A call went through: end a refusal episode (rows it held back are due now)."""
        if await asyncio.to_thread(self._outbox.credentials_refused) is None:
            return
        if await asyncio.to_thread(self._outbox.credentials_accepted):
            logger.info("control API accepts the agent's SERVICE_TOKEN again")
            self._wake.set()

    async def _report_dead_letters(self) -> None:
        """Tell the API about rows set aside, until it has acknowledged each (idempotent:
        a resend after a lost answer stores nothing twice)."""
        if time.monotonic() < self._report_not_before:
            return
        while letters := await asyncio.to_thread(self._outbox.unreported_dead_letters):
            try:
                await self._client.post_dead_letters([_report_body(letter) for letter in letters])
            except CredentialsAPIError as exc:
                await self._credentials_refused(exc, [])
                self._report_later()
                return
            except (RetryableAPIError, PermanentAPIError) as exc:
                self._report_later()
                logger.warning(
                    "dead letters not reported yet, will retry",
                    extra={"dead_letters": len(letters), "status": exc.status},
                )
                return
            await asyncio.to_thread(self._outbox.mark_reported, letters)
            await self._credentials_work()
            self._report_failures = 0
            logger.info("dead letters reported to the control API", extra={"count": len(letters)})

    def _report_later(self) -> None:
        self._report_failures += 1
        delay = backoff_delay(self._report_failures, cap=_REPORT_RETRY_CAP)
        self._report_not_before = time.monotonic() + delay

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
