"""A simulated proctor: a hidden, subscribe-only rtc client collecting proctoring messages.

It records every anomaly message (parsed and validated with the event model) and every
heartbeat with the time it arrived, so tests and benchmarks can check what a proctor saw
and how fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from livekit import rtc

from contracts.anomaly import (
    TOPIC_ANOMALY,
    TOPIC_STATUS,
    AnomalyEvent,
    AnomalyType,
    InvalidMessageError,
    SignalState,
    StatusHeartbeat,
)


@dataclass
class ReceivedAnomaly:
    event: AnomalyEvent
    at: float


@dataclass
class ProctorLog:
    anomalies: list[ReceivedAnomaly] = field(default_factory=list)
    heartbeats: list[StatusHeartbeat] = field(default_factory=list)
    invalid: int = 0
    other_topics: list[str] = field(default_factory=list)


class SimulatedProctor:
    """Connects with a hidden proctor token and listens."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.log = ProctorLog()
        self.room = rtc.Room()
        self._changed = asyncio.Event()

    async def start(self) -> None:
        self.room.on("data_received", self._on_data)
        await self.room.connect(self.url, self.token, rtc.RoomOptions(auto_subscribe=False))

    def _on_data(self, packet: rtc.DataPacket) -> None:
        now = time.time()
        try:
            if packet.topic == TOPIC_ANOMALY:
                event = AnomalyEvent.from_message(bytes(packet.data))
                self.log.anomalies.append(ReceivedAnomaly(event, now))
            elif packet.topic == TOPIC_STATUS:
                self.log.heartbeats.append(StatusHeartbeat.from_message(bytes(packet.data)))
            else:
                self.log.other_topics.append(packet.topic or "")
        except InvalidMessageError:
            self.log.invalid += 1
        self._changed.set()

    def started(self, anomaly_type: str) -> list[ReceivedAnomaly]:
        return [
            r
            for r in self.log.anomalies
            if r.event.type.value == anomaly_type and r.event.state.value == "started"
        ]

    def ended(self, anomaly_type: str) -> list[ReceivedAnomaly]:
        return [
            r
            for r in self.log.anomalies
            if r.event.type.value == anomaly_type and r.event.state.value == "ended"
        ]

    async def wait_for(self, anomaly_type: str, state: str, timeout: float) -> ReceivedAnomaly:
        """The first message of that type and state, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.started(anomaly_type) if state == "started" else self.ended(anomaly_type)
            if found:
                return found[0]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {anomaly_type} {state} within {timeout} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.5))

    async def wait_count(
        self, anomaly_type: str, state: str, count: int, timeout: float
    ) -> list[ReceivedAnomaly]:
        """Wait until ``count`` messages of that type and state have arrived."""
        found: list[ReceivedAnomaly] = []

        def enough() -> bool:
            nonlocal found
            found = self.started(anomaly_type) if state == "started" else self.ended(anomaly_type)
            return len(found) >= count

        await self._wait(enough, timeout, f"{count} x {anomaly_type} {state}")
        return found

    async def wait_for_signal(self, signal: str, state: str, timeout: float) -> None:
        """Wait for a heartbeat reporting ``signal`` in ``state`` (e.g. face_mismatch clean:
        the agent has enrolled the candidate's face and judges it)."""

        def seen() -> bool:
            return any(
                beat.signals.get(AnomalyType(signal)) is SignalState(state)
                for beat in self.log.heartbeats
            )

        await self._wait(seen, timeout, f"heartbeat with {signal} {state}")

    async def wait_for_judged(self, kind: str, sid: str, timeout: float) -> StatusHeartbeat:
        """Wait for a heartbeat saying the agent judges track ``sid`` as the candidate's
        ``kind`` (``"camera"`` or ``"microphone"``); return that heartbeat."""
        found: list[StatusHeartbeat] = []

        def seen() -> bool:
            found[:] = [b for b in self.log.heartbeats if getattr(b.judged, kind) == sid]
            return bool(found)

        await self._wait(seen, timeout, f"heartbeat judging {kind} {sid}")
        return found[0]

    async def next_heartbeats(self, count: int, timeout: float) -> list[StatusHeartbeat]:
        """The next ``count`` heartbeats received from now on, waiting for them."""
        before = len(self.log.heartbeats)
        await self._wait(
            lambda: len(self.log.heartbeats) >= before + count, timeout, f"{count} heartbeats"
        )
        return self.log.heartbeats[before : before + count]

    async def _wait(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {what} within {timeout} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.5))

    async def stop(self) -> None:
        await self.room.disconnect()
