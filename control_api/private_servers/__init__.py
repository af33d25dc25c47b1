"""Throw-away servers on free ports: a real livekit-server and a PostgreSQL cluster.

Shipped in the package (not only under ``tests/``) because the control API benchmark
(``python -m control_api.bench``) starts the same private servers the tests do; the
test fixtures import them from here.
"""

from control_api.private_servers.livekit import MISSING_BINARY, LiveKitServerProcess
from control_api.private_servers.ports import free_tcp_port, free_udp_port
from control_api.private_servers.postgres import MISSING_POSTGRES, PostgresServer, start_postgres

__all__ = [
    "MISSING_BINARY",
    "MISSING_POSTGRES",
    "LiveKitServerProcess",
    "PostgresServer",
    "free_tcp_port",
    "free_udp_port",
    "start_postgres",
]
