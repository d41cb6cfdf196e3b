"""Test helpers: a real (SQLite, in memory) unit of work for `worker_factory`, so entrypoint tests exercise the
service's own SQL and outbox writes without a broker."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from services.chassis import audit
from services.chassis.database import Database

AUDIT_SECRET = "unit-test-secret"


class FakeDatabase:
    """Stands in for the `Database` dependency: same unit of work, SQLite in memory, no relay."""

    def __init__(self, metadata, service: str = "test", handler: str = "test.handler"):
        self.metadata = metadata
        self.engine = create_engine(
            "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
        )
        metadata.create_all(self.engine)
        provider = Database.__new__(Database)
        provider.metadata = metadata
        provider.settings = SimpleNamespace(service=service)
        provider.sessions = sessionmaker(self.engine, expire_on_commit=False)
        provider._wake = SimpleNamespace(set=lambda: None)
        provider.audit_key = audit.chain_key(AUDIT_SECRET)
        provider.engine = self.engine
        provider._autocommit_engine = None  # SQLite: autocommit() is a plain transaction, as in the service
        self._provider = provider
        self.handler = handler

    def unit(self, event=None):
        inbox = (event.id, self.handler) if event is not None else None
        return self._provider.unit("test-correlation", inbox=inbox)

    def autocommit(self):
        return self._provider.autocommit()

    @property
    def audit_key(self) -> bytes:
        return self._provider.audit_key

    def outbox(self) -> list[dict]:
        table = self.metadata.tables["outbox"]
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(table).order_by(table.c.seq)).mappings()]

    def rows(self, table_name: str) -> list[dict]:
        table = self.metadata.tables[table_name]
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(table)).mappings()]


def free_port() -> int:
    """A TCP port on the loopback nobody listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
