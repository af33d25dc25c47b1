"""Where each anomaly start and end goes: the proctors first, then the outbox.

Every start and end goes at once to the proctors (and only to them:
:class:`~agent.proctor.publisher.ProctorPublisher`) and into the outbox
(:class:`~agent.records.InterviewRecords`). A face anomaly's start also gets a snapshot of
the frame whose readings confirmed it, and the snapshot's URL is added to the stored
record (and to the ``ended`` message). The message to the proctors goes first: encoding
and uploading the snapshot happen after it, off the critical path, so a proctor never
waits for a JPEG to learn that someone else is on camera. Heartbeats to the proctors go
out through here too. Steps 4 to 6 of docs/architecture.md, "One anomaly".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import numpy as np
from numpy.typing import NDArray
from pydantic import JsonValue

from agent.proctor.publisher import ProctorPublisher
from agent.proctor.snapshots import SnapshotUploader
from agent.proctor.tasks import TaskSet
from agent.records import InterviewRecords
from contracts.anomaly import AnomalyEvent, AnomalyState, AnomalyType, StatusHeartbeat

logger = logging.getLogger("proctorai.agent.sink")

FACE_TYPES = frozenset({AnomalyType.FACE_MISMATCH, AnomalyType.MULTIPLE_FACES, AnomalyType.NO_FACE})
"""The anomalies whose start is stored with a snapshot of the frame behind it."""


class AnomalySink:
    """Publishes, snapshots and stores the monitor's events, in the order given.

    :meth:`emit` is called under the pipeline's lock (:mod:`agent.proctor.pipeline`), so
    events reach it one batch at a time, in the order the monitor produced them.
    """

    def __init__(
        self,
        *,
        publisher: ProctorPublisher,
        records: InterviewRecords,
        snapshots: SnapshotUploader | None = None,
    ) -> None:
        self._publisher = publisher
        self._records = records
        self._snapshots = snapshots
        self._snapshot_evidence: dict[str, dict[str, JsonValue]] = {}
        self._snapshot_tasks: dict[str, asyncio.Task[None]] = {}
        self._evidence_frame: NDArray[np.uint8] | None = None
        self._tasks = TaskSet()

    def remember_frame(self, rgb: NDArray[np.uint8]) -> None:
        """The newest judged frame: a face anomaly its readings confirm is snapshotted from it."""
        self._evidence_frame = rgb

    async def emit(self, events: list[AnomalyEvent]) -> None:
        """Publish to proctors at once, then store; a face start is stored with its snapshot.

        The API applies each (id, state) once, so the stored ``started`` record must carry
        the snapshot URL the first time: it is queued once the upload has finished (the
        upload is bounded by a timeout), and an ``ended`` that overtakes it waits for it.
        """
        for event in events:
            extra = self._snapshot_evidence.get(event.id)
            if extra:
                event = event.model_copy(update={"evidence": {**event.evidence, **extra}})
            await self._publisher.anomaly(event)
            if (
                event.state is AnomalyState.STARTED
                and event.type in FACE_TYPES
                and self._snapshots is not None
                and self._evidence_frame is not None
            ):
                task = asyncio.create_task(self._snapshot_then_store(event, self._evidence_frame))
                self._snapshot_tasks[event.id] = task
            elif event.id in self._snapshot_tasks and event.id not in self._snapshot_evidence:
                self._tasks.spawn(self._store_after_snapshot(event))
            else:
                await self._records.event(event)

    async def heartbeat(self, status: StatusHeartbeat) -> None:
        """Send the proctors the monitor's status (the judged tracks named in it)."""
        await self._publisher.heartbeat(status)

    async def _snapshot_then_store(self, started: AnomalyEvent, rgb: NDArray[np.uint8]) -> None:
        assert self._snapshots is not None
        try:
            evidence = await self._snapshots.store(started.id, rgb)
        except Exception:
            logger.exception("snapshot failed")
            evidence = {"snapshot_error": "encode_failed"}
        self._snapshot_evidence[started.id] = evidence
        await self._records.event(
            started.model_copy(update={"evidence": {**started.evidence, **evidence}})
        )

    async def _store_after_snapshot(self, ended: AnomalyEvent) -> None:
        task = self._snapshot_tasks.get(ended.id)
        if task is not None:
            with contextlib.suppress(Exception):
                await task
        extra = self._snapshot_evidence.get(ended.id, {})
        await self._records.event(
            ended.model_copy(update={"evidence": {**ended.evidence, **extra}})
        )

    async def settle(self) -> None:
        """Wait for the records now waiting for their snapshot."""
        await self._tasks.settle()

    async def finish(self) -> None:
        """Wait for every snapshot, then for every record still waiting for one."""
        if self._snapshot_tasks:
            await asyncio.gather(*self._snapshot_tasks.values(), return_exceptions=True)
        await self._tasks.settle()
