"""A durable outbox: what the agent must deliver to the control API, kept on disk.

Every anomaly event, transcript turn and lifecycle transition is first written to a
SQLite file, then delivered by :mod:`agent.delivery`. A row leaves the outbox only when
the API has acknowledged it, so an API outage or an agent restart loses nothing; the
API dedupes by each item's key (``"{event id}:{state}"``, the turn id, the transition),
so a resend after a crash never duplicates a record.

Why SQLite: one file, atomic commits, WAL lets several job processes of one worker
share it, and it is in the standard library. Rows being sent are *leased* for a while
so two flushers (two job processes, or a job and the worker's own flusher) do not send
the same row at the same moment; a crashed sender's lease simply expires.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any


class OutboxKind(StrEnum):
    """Which endpoint of the control API an item goes to."""

    EVENT = "event"
    TRANSCRIPT = "transcript"
    LIFECYCLE = "lifecycle"


@dataclass(frozen=True)
class OutboxItem:
    """One pending delivery, as read back from the file."""

    rowid: int
    kind: OutboxKind
    interview_id: str
    key: str
    payload: dict[str, Any]
    attempts: int
    version: int


_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    interview_id TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    lease_until REAL NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    UNIQUE (kind, key)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at, lease_until);
CREATE TABLE IF NOT EXISTS outbox_dead (
    rowid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    interview_id TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    reason TEXT NOT NULL,
    failed_at REAL NOT NULL
);
"""


def backoff_delay(attempts: int, *, base: float = 0.5, cap: float = 30.0) -> float:
    """Exponential backoff with full jitter: a resumed API is not hit by every row at once."""
    ceiling = min(cap, base * (2 ** max(attempts - 1, 0)))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class Outbox:
    """The SQLite-backed queue. Thread-safe; every method is short and synchronous.

    Async callers run the methods in a thread (:func:`asyncio.to_thread`), which is what
    :class:`agent.delivery.OutboxFlusher` does.
    """

    def __init__(self, path: Path, *, lease_seconds: float = 30.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lease_seconds = lease_seconds
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            str(path), timeout=30.0, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._conn.executescript(_SCHEMA)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def put(self, kind: OutboxKind, interview_id: str, key: str, payload: dict[str, Any]) -> None:
        """Queue an item; a newer payload under the same key replaces a pending one.

        Replacing matters for the ``started`` event, which is queued again once its
        snapshot URL is known; a key already delivered is sent again and the API ignores
        it, which is the idempotency contract.
        """
        body = json.dumps(payload, separators=(",", ":"))
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO outbox (kind, interview_id, key, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE SET payload = excluded.payload, "
                "version = version + 1, next_attempt_at = 0",
                (kind.value, interview_id, key, body, time.time()),
            )

    def claim_due(self, *, limit: int = 100, now: float | None = None) -> list[OutboxItem]:
        """Lease up to ``limit`` due items, oldest first, so no other flusher sends them."""
        now = time.time() if now is None else now
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT rowid, kind, interview_id, key, payload, attempts, version FROM outbox "
                "WHERE next_attempt_at <= ? AND lease_until <= ? "
                # a lifecycle transition waits while an earlier one is still pending
                "AND NOT (kind = 'lifecycle' AND EXISTS (SELECT 1 FROM outbox AS earlier "
                "WHERE earlier.kind = 'lifecycle' AND earlier.interview_id = outbox.interview_id "
                "AND earlier.rowid < outbox.rowid "
                "AND (earlier.next_attempt_at > ? OR earlier.lease_until > ?))) "
                "ORDER BY rowid LIMIT ?",
                (now, now, now, now, limit),
            ).fetchall()
            if rows:
                conn.executemany(
                    "UPDATE outbox SET lease_until = ? WHERE rowid = ?",
                    [(now + self._lease_seconds, row[0]) for row in rows],
                )
        return [
            OutboxItem(
                rowid=row[0],
                kind=OutboxKind(row[1]),
                interview_id=row[2],
                key=row[3],
                payload=json.loads(row[4]),
                attempts=row[5],
                version=row[6],
            )
            for row in rows
        ]

    def ack(self, items: list[OutboxItem]) -> None:
        """Forget items the API acknowledged (only if not replaced meanwhile)."""
        with self._transaction() as conn:
            conn.executemany(
                "DELETE FROM outbox WHERE rowid = ? AND version = ?",
                [(item.rowid, item.version) for item in items],
            )
            conn.executemany(
                "UPDATE outbox SET lease_until = 0 WHERE rowid = ?",
                [(item.rowid,) for item in items],
            )

    def retry_later(self, items: list[OutboxItem], *, now: float | None = None) -> float:
        """Release items for a later attempt with exponential backoff; return the delay.

        The items of one call share one delay, so they stay in their order.
        """
        now = time.time() if now is None else now
        if not items:
            return 0.0
        delay = backoff_delay(max(item.attempts for item in items) + 1)
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, "
                "lease_until = 0 WHERE rowid = ?",
                [(now + delay, item.rowid) for item in items],
            )
        return delay

    def release(self, items: list[OutboxItem]) -> None:
        """Give items back untouched (e.g. a sequence stopped before them)."""
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE outbox SET lease_until = 0 WHERE rowid = ?",
                [(item.rowid,) for item in items],
            )

    def dead_letter(self, items: list[OutboxItem], reason: str) -> None:
        """Move items the API refused for good (a 4xx) aside, kept for inspection."""
        now = time.time()
        with self._transaction() as conn:
            for item in items:
                conn.execute(
                    "INSERT OR REPLACE INTO outbox_dead "
                    "(rowid, kind, interview_id, key, payload, attempts, reason, failed_at) "
                    "SELECT rowid, kind, interview_id, key, payload, attempts + 1, ?, ? "
                    "FROM outbox WHERE rowid = ?",
                    (reason, now, item.rowid),
                )
                conn.execute("DELETE FROM outbox WHERE rowid = ?", (item.rowid,))

    def pending_count(self, interview_id: str | None = None) -> int:
        """Items not yet acknowledged (all, or one interview's)."""
        with self._lock:
            if interview_id is None:
                row = self._conn.execute("SELECT COUNT(*) FROM outbox").fetchone()
            else:
                row = self._conn.execute(
                    "SELECT COUNT(*) FROM outbox WHERE interview_id = ?", (interview_id,)
                ).fetchone()
        return int(row[0])

    def next_due_in(self, *, now: float | None = None) -> float | None:
        """Seconds until the earliest pending item is due (0 if now), None when empty."""
        now = time.time() if now is None else now
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(MAX(next_attempt_at, lease_until)) FROM outbox"
            ).fetchone()
        if row[0] is None:
            return None
        return max(0.0, float(row[0]) - now)

    def dead_count(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT COUNT(*) FROM outbox_dead").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
