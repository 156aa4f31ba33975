"""Ports for servers that a test starts in another process, where the port must be named first.

Every bind to port 0 (the emulators and receivers that the suites running side by side start
all the time) gets a port of the system's ephemeral range. A port picked there and bound by
another process a moment later may be handed out in between; one picked below that range,
free now, cannot be.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
SPAN = 10_000
TRIES = 50


def free_port() -> int:
    """A port of 127.0.0.1 that nothing is bound to now, below the ephemeral range where there is one."""
    low = _ephemeral_low()
    if low is not None and low - SPAN >= 1024:
        for port in random.sample(range(low - SPAN, low), TRIES):
            if _bindable(port):
                return port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ephemeral_low() -> int | None:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
