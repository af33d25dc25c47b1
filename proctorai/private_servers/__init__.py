"""Throw-away servers on free ports: a real livekit-server, a PostgreSQL cluster, the
control API under uvicorn in a thread, and agent worker processes (ready once registered).

Shipped in the package (not only under ``tests/``) because the benchmarks
(``proctorai bench api``, ``proctorai bench latency``) start the same private servers the
tests do; the test fixtures import them from here.
"""

from proctorai.private_servers.livekit import MISSING_BINARY, LiveKitServerProcess
from proctorai.private_servers.ports import free_tcp_port, free_udp_port
from proctorai.private_servers.postgres import MISSING_POSTGRES, PostgresServer, start_postgres
from proctorai.private_servers.uvicorn import UvicornThread
from proctorai.private_servers.worker import (
    WorkerNotReady,
    WorkerProcess,
    ready_url,
    start_worker,
    wait_ready,
)

__all__ = [
    "MISSING_BINARY",
    "MISSING_POSTGRES",
    "LiveKitServerProcess",
    "PostgresServer",
    "UvicornThread",
    "WorkerNotReady",
    "WorkerProcess",
    "free_tcp_port",
    "free_udp_port",
    "ready_url",
    "start_postgres",
    "start_worker",
    "wait_ready",
]
