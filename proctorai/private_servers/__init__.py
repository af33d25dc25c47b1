"""Throw-away servers on free ports: a real livekit-server, a PostgreSQL cluster, and the
control API under uvicorn in a thread.

Shipped in the package (not only under ``tests/``) because the benchmarks
(``proctorai bench api``, ``proctorai bench latency``) start the same private servers the
tests do; the test fixtures import them from here.
"""

from proctorai.private_servers.livekit import MISSING_BINARY, LiveKitServerProcess
from proctorai.private_servers.ports import free_tcp_port, free_udp_port
from proctorai.private_servers.postgres import MISSING_POSTGRES, PostgresServer, start_postgres
from proctorai.private_servers.uvicorn import UvicornThread

__all__ = [
    "MISSING_BINARY",
    "MISSING_POSTGRES",
    "LiveKitServerProcess",
    "PostgresServer",
    "UvicornThread",
    "free_tcp_port",
    "free_udp_port",
    "start_postgres",
]
