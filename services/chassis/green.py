"""psycopg2 under eventlet: while the driver waits on its socket, the green thread yields to eventlet's hub.

Without this a query blocks the whole service process (every green thread) until PostgreSQL answers. psycopg2
lets a program take over its waiting (`extensions.set_wait_callback`, psycopg2's documentation on coroutine
support): the driver reports what it waits for (`conn.poll()`: done, readable, writable) and the callback waits
for it. Written here rather than taken from psycogreen, which publishes only a source distribution: with it in the
lock, every install would build it with build tools that no hash pins (docs/dependencies.md). This module and
`eventlet.monkey_patch()` in services/chassis/run.py are the only places that make the database cooperative
(docs/eventlet-exit.md).
"""

from __future__ import annotations

from typing import Any

import psycopg2
from psycopg2 import extensions

# What to wait for, by the state `poll()` reports: (read, write) for eventlet's trampoline.
_WAIT_FOR = {extensions.POLL_READ: (True, False), extensions.POLL_WRITE: (False, True)}


def eventlet_wait_callback(conn: Any, timeout: float | None = None) -> None:
    """Drive the connection's pending operation to its end, parking the green thread while the socket is busy."""
    from eventlet.hubs import trampoline

    state = conn.poll()
    while state != extensions.POLL_OK:
        if state not in _WAIT_FOR:
            raise psycopg2.OperationalError(f"unexpected state from poll(): {state!r}")
        read, write = _WAIT_FOR[state]
        trampoline(conn.fileno(), read=read, write=write)
        state = conn.poll()


def patch_psycopg() -> None:
    """Make every psycopg2 connection of this process cooperative (call after `eventlet.monkey_patch()`)."""
    extensions.set_wait_callback(eventlet_wait_callback)
