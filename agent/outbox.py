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

What goes wrong is kept in the file too, because the worker's health check (another
process than the jobs that deliver) must see it: a refused service token (401/403) is
a state (``delivery_auth``), not a verdict on the rows, which stay queued; rows the API
refused for good are set aside in ``outbox_dead`` with a ``reported`` flag, cleared once
the API has been told about them.
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


CREDENTIAL_STATUSES = (401, 403)


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


@dataclass(frozen=True)
class DeadLetter:
    """A row set aside, as reported to the API: ids and the refusal, never the payload."""

    rowid: int
    kind: OutboxKind
    interview_id: str
    key: str
    status: int | None
    reason: str
    attempts: int
    failed_at: float


@dataclass(frozen=True)
class CredentialsRefused:
    """Since when the API refuses this agent's service token, and how often it did."""

    status: int
    since: float
    refusals: int


@dataclass(frozen=True)
class OutboxStatus:
    """What the health check and the metrics report about the file."""

    pending: int
    dead_letters: int
    unreported_dead_letters: int
    credentials_refused: CredentialsRefused | None
    credential_refusals_total: int


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
    last_status INTEGER,
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
    failed_at REAL NOT NULL,
    status INTEGER,
    reported INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS delivery_auth (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    status INTEGER,
    since REAL,
    refusals INTEGER NOT NULL DEFAULT 0,
    refusals_total INTEGER NOT NULL DEFAULT 0
);
"""

# Columns added after the first release: a file written by an older agent gets them.
_ADDED_COLUMNS = {
    "outbox": {"last_status": "INTEGER"},
    "outbox_dead": {"status": "INTEGER", "reported": "INTEGER NOT NULL DEFAULT 0"},
}


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
        self._upgrade()

    def _upgrade(self) -> None:
        """Bring a file of an older agent up to date, and undo its wrong dead letters.

        Older agents set aside what a 401/403 refused, so a rotated token dead-lettered
        everything: those rows were never refused for what they are, so they go back
        into the queue (under their old rowid, which keeps lifecycle order), due now.
        """
        with self._transaction() as conn:
            for table, columns in _ADDED_COLUMNS.items():
                present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                for name, declaration in columns.items():
                    if name not in present:
                        conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")
            conn.execute(
                "UPDATE outbox_dead SET status = CAST(substr(reason, 6) AS INTEGER) "
                "WHERE status IS NULL AND reason LIKE 'HTTP %'"
            )
            marks = ",".join("?" * len(CREDENTIAL_STATUSES))
            conn.execute(
                "INSERT OR IGNORE INTO outbox "
                "(rowid, kind, interview_id, key, payload, attempts, created_at) "
                "SELECT rowid, kind, interview_id, key, payload, attempts, failed_at "
                f"FROM outbox_dead WHERE status IN ({marks})",
                CREDENTIAL_STATUSES,
            )
            conn.execute(f"DELETE FROM outbox_dead WHERE status IN ({marks})", CREDENTIAL_STATUSES)
            conn.execute("INSERT OR IGNORE INTO delivery_auth (id) VALUES (1)")

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
                # a lifecycle transition waits until everything its interview queued before
                # it has been delivered (acknowledged or set aside): the API evaluates on
                # "completed", so the last turns and anomaly ends must be there first
                "AND NOT (kind = 'lifecycle' AND EXISTS (SELECT 1 FROM outbox AS earlier "
                "WHERE earlier.interview_id = outbox.interview_id "
                "AND earlier.rowid < outbox.rowid)) "
                "ORDER BY rowid LIMIT ?",
                (now, now, limit),
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

    def retry_later(
        self,
        items: list[OutboxItem],
        *,
        status: int | None = None,
        cap: float = 30.0,
        now: float | None = None,
    ) -> float:
        """Release items for a later attempt with exponential backoff; return the delay.

        The items of one call share one delay, so they stay in their order. ``status``
        is the answer that failed (None: no answer), kept so rows held back by a refused
        token can be made due at once when a token works again; ``cap`` bounds the delay.
        """
        now = time.time() if now is None else now
        if not items:
            return 0.0
        delay = backoff_delay(max(item.attempts for item in items) + 1, cap=cap)
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, "
                "lease_until = 0, last_status = ? WHERE rowid = ?",
                [(now + delay, status, item.rowid) for item in items],
            )
        return delay

    def release(self, items: list[OutboxItem]) -> None:
        """Give items back untouched (e.g. a sequence stopped before them)."""
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE outbox SET lease_until = 0 WHERE rowid = ?",
                [(item.rowid,) for item in items],
            )

    def dead_letter(self, items: list[OutboxItem], status: int) -> None:
        """Move items the API refused for good (a 4xx) aside, kept for inspection and to be
        reported to the API (``reported`` = 0 until :meth:`mark_reported`)."""
        if status in CREDENTIAL_STATUSES:
            raise ValueError("a refused token is not the row's fault: retry the row")
        now = time.time()
        with self._transaction() as conn:
            for item in items:
                conn.execute(
                    "INSERT OR REPLACE INTO outbox_dead (rowid, kind, interview_id, key, "
                    "payload, attempts, reason, failed_at, status, reported) "
                    "SELECT rowid, kind, interview_id, key, payload, attempts + 1, ?, ?, ?, 0 "
                    "FROM outbox WHERE rowid = ?",
                    (f"HTTP {status}", now, status, item.rowid),
                )
                conn.execute("DELETE FROM outbox WHERE rowid = ?", (item.rowid,))

    def unreported_dead_letters(self, *, limit: int = 100) -> list[DeadLetter]:
        """Dead letters the API has not acknowledged yet, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT rowid, kind, interview_id, key, status, reason, attempts, failed_at "
                "FROM outbox_dead WHERE reported = 0 ORDER BY failed_at, rowid LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            DeadLetter(
                rowid=row[0],
                kind=OutboxKind(row[1]),
                interview_id=row[2],
                key=row[3],
                status=row[4],
                reason=row[5],
                attempts=row[6],
                failed_at=row[7],
            )
            for row in rows
        ]

    def mark_reported(self, letters: list[DeadLetter]) -> None:
        """The API stored these reports (unless the row was set aside again since)."""
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE outbox_dead SET reported = 1 WHERE rowid = ? AND failed_at = ?",
                [(letter.rowid, letter.failed_at) for letter in letters],
            )

    def record_credentials_refused(self, status: int, *, now: float | None = None) -> bool:
        """The API refused the token; True when it was accepted until now (log it once)."""
        now = time.time() if now is None else now
        with self._transaction() as conn:
            (was,) = conn.execute("SELECT status FROM delivery_auth WHERE id = 1").fetchone()
            conn.execute(
                "UPDATE delivery_auth SET status = ?, since = COALESCE(since, ?), "
                "refusals = refusals + 1, refusals_total = refusals_total + 1 WHERE id = 1",
                (status, now),
            )
        return was is None

    def credentials_refused(self) -> CredentialsRefused | None:
        """Since when (and how) the API refuses the token, None while it accepts it."""
        with self._lock:
            row = self._conn.execute(
                "SELECT status, since, refusals FROM delivery_auth WHERE id = 1"
            ).fetchone()
        if row is None or row[0] is None:
            return None
        return CredentialsRefused(status=int(row[0]), since=float(row[1]), refusals=int(row[2]))

    def credentials_accepted(self) -> bool:
        """A call went through: clear the refusal and make the rows it held back due now.

        Returns True when the token had been refused (worth a log line).
        """
        marks = ",".join("?" * len(CREDENTIAL_STATUSES))
        with self._transaction() as conn:
            (was,) = conn.execute("SELECT status FROM delivery_auth WHERE id = 1").fetchone()
            conn.execute(
                "UPDATE delivery_auth SET status = NULL, since = NULL, refusals = 0 WHERE id = 1"
            )
            conn.execute(
                "UPDATE outbox SET next_attempt_at = 0, last_status = NULL "
                f"WHERE last_status IN ({marks})",
                CREDENTIAL_STATUSES,
            )
        return was is not None

    def retry_held_back_now(self) -> int:
        """Make rows a refused token held back due now; return how many.

        A flusher that starts may have been given the new token (a worker restarted
        after a rotation): it should not wait out the old token's backoff.
        """
        marks = ",".join("?" * len(CREDENTIAL_STATUSES))
        with self._transaction() as conn:
            cursor = conn.execute(
                f"UPDATE outbox SET next_attempt_at = 0 WHERE last_status IN ({marks})",
                CREDENTIAL_STATUSES,
            )
        return int(cursor.rowcount)

    def status(self) -> OutboxStatus:
        """Counts and the token's state, for the health check and the metrics."""
        with self._lock:
            pending = self._conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
            dead, unreported = self._conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(reported = 0), 0) FROM outbox_dead"
            ).fetchone()
            total = self._conn.execute(
                "SELECT refusals_total FROM delivery_auth WHERE id = 1"
            ).fetchone()[0]
        return OutboxStatus(
            pending=int(pending),
            dead_letters=int(dead),
            unreported_dead_letters=int(unreported),
            credentials_refused=self.credentials_refused(),
            credential_refusals_total=int(total),
        )

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
