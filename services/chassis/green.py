"""psycopg2 under eventlet: while the driver waits on its socket, the green thread yields to eventlet's hub.

Without this a query blocks the whole service process (every green thread) until PostgreSQL answers. The wait
callback is the one psycogreen 1.0.2 ships (psycogreen.eventlet, BSD licence, Daniele Varrazzo), written here
because psycogreen publishes only a source distribution: with it in the lock, every install would build it with
build tools that no hash pins (docs/dependencies.md). This module and `eventlet.monkey_patch()` in
services/chassis/run.py are the only places that make the database cooperative (docs/eventlet-exit.md).
"""
from __future__ import annotations

import psycopg2
from psycopg2 import extensions


def eventlet_wait_callback(conn, timeout=None) -> None:
    """Poll the connection until the operation completes, sleeping in eventlet's hub on each wait."""
    from eventlet.hubs import trampoline

    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        if state == extensions.POLL_READ:
            trampoline(conn.fileno(), read=True)
        elif state == extensions.POLL_WRITE:
            trampoline(conn.fileno(), write=True)
        else:
            raise psycopg2.OperationalError(f"Bad result from poll: {state!r}")


def patch_psycopg() -> None:
    """Make every psycopg2 connection of this process cooperative (call after `eventlet.monkey_patch()`)."""
    extensions.set_wait_callback(eventlet_wait_callback)
