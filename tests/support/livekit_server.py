"""A private, real livekit-server for the test session.

The code lives in :mod:`proctorai.private_servers` (the API benchmark starts the
same server); the tests keep importing it from here.
"""

from __future__ import annotations

from proctorai.private_servers.livekit import (
    MISSING_BINARY,
    LiveKitServerProcess,
    livekit_binary,
)
from proctorai.private_servers.ports import free_tcp_port, free_udp_port

TestLiveKitServer = LiveKitServerProcess

__all__ = [
    "MISSING_BINARY",
    "TestLiveKitServer",
    "free_tcp_port",
    "free_udp_port",
    "livekit_binary",
]
