"""Free loopback ports for test processes, so tests never depend on (or take) a fixed port `make run` uses."""

from __future__ import annotations

import socket

_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 right now, never the same twice in this process.

    The kernel picks it (bind to port 0); the socket is closed before the caller's server binds it, so another
    process could take it in between: rare, and the caller's bind then fails loudly instead of sharing a port."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
