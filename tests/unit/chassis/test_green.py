"""psycopg2's wait callback under eventlet (services/chassis/green.py, in place of psycogreen)."""

from __future__ import annotations

import eventlet.hubs
import psycopg2
import pytest
from psycopg2 import extensions

from services.chassis import green


class Connection:
    def __init__(self, states):
        self.states = list(states)

    def poll(self):
        return self.states.pop(0)

    def fileno(self):
        return 42


def test_waits_in_the_hub_for_each_read_and_write_until_the_driver_is_done(monkeypatch):
    waits = []
    monkeypatch.setattr(
        eventlet.hubs, "trampoline", lambda fd, read=False, write=False: waits.append((fd, read, write))
    )
    conn = Connection([extensions.POLL_WRITE, extensions.POLL_READ, extensions.POLL_READ, extensions.POLL_OK])
    green.eventlet_wait_callback(conn)
    assert waits == [(42, False, True), (42, True, False), (42, True, False)]
    assert conn.states == []


def test_an_unknown_poll_state_is_an_operational_error(monkeypatch):
    monkeypatch.setattr(eventlet.hubs, "trampoline", lambda *a, **k: None)
    with pytest.raises(psycopg2.OperationalError, match="unexpected state from poll"):
        green.eventlet_wait_callback(Connection([extensions.POLL_READ, 99]))


def test_patch_installs_the_callback_for_every_connection():
    previous = extensions.get_wait_callback()
    try:
        green.patch_psycopg()
        assert extensions.get_wait_callback() is green.eventlet_wait_callback
    finally:
        extensions.set_wait_callback(previous)
