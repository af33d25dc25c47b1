"""Free loopback ports, so private servers never clash with a running stack."""

from __future__ import annotations

import socket


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_tcp_port_block(size: int) -> int:
    """A base port such that ``base .. base+size-1`` are all free on loopback (TCP): a
    stack started on it (livekit-server's HTTP, RTC/TCP and UDP ports) clashes with nothing."""
    for _ in range(200):
        base = free_tcp_port()
        if base + size < 65000 and all(tcp_port_free(base + i) for i in range(size)):
            return base
    raise RuntimeError("no block of free ports found")


def tcp_port_free(port: int) -> bool:
    """True when nothing accepts connections on 127.0.0.1:``port`` (TCP)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0
