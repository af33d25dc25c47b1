"""Publish anomaly messages and heartbeats to the proctors, and only to them."""

from __future__ import annotations

import logging

from livekit import rtc

from agent.proctor.directory import ProctorDirectory
from contracts.anomaly import TOPIC_ANOMALY, TOPIC_STATUS, AnomalyEvent, StatusHeartbeat

logger = logging.getLogger("proctorai.agent.publisher")


class ProctorPublisher:
    """Sends on ``proctoring.anomaly`` / ``proctoring.status`` with explicit destinations."""

    def __init__(self, participant: rtc.LocalParticipant, directory: ProctorDirectory) -> None:
        self._participant = participant
        self._directory = directory
        self.sent_anomalies = 0

    async def _send(self, payload: bytes, topic: str) -> bool:
        destinations = self._directory.identities
        if not destinations:  # an empty list would broadcast to the candidate too
            return False
        try:
            await self._participant.publish_data(
                payload, reliable=True, topic=topic, destination_identities=destinations
            )
        except Exception:
            logger.warning("publishing to proctors failed", extra={"topic": topic})
            return False
        return True

    async def anomaly(self, event: AnomalyEvent) -> bool:
        sent = await self._send(event.to_message(), TOPIC_ANOMALY)
        self.sent_anomalies += int(sent)
        return sent

    async def heartbeat(self, status: StatusHeartbeat) -> bool:
        return await self._send(status.to_message(), TOPIC_STATUS)
