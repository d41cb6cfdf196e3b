"""SQL building blocks every service's storage uses, importing nothing else of the chassis: the aware-UTC column
type, metadata with the naming convention and the outbox and inbox tables, and the engine tuned per backend."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes, stored in UTC on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: times are timezone-aware")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A service's metadata, already holding the outbox and inbox tables."""
    md = MetaData(naming_convention=NAMING)
    Table(
        "outbox",
        md,
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(200), nullable=False),
        Column("subject", String(100), nullable=False, default=""),
        Column("envelope", Text, nullable=False),
        Column("headers", Text, nullable=False, default="{}"),
        Column("created_at", UTCDateTime, nullable=False),
        Column("sent_at", UTCDateTime, nullable=True),
        Index("ix_outbox_unsent", "sent_at", "seq"),
    )
    Table(
        "inbox",
        md,
        Column("event_id", String(36), primary_key=True),
        Column("handler", String(200), primary_key=True),
        Column("processed_at", UTCDateTime, nullable=False),
        Index("ix_inbox_processed_at", "processed_at"),  # housekeeping finds expired rows without a scan
    )
    return md


def make_engine(url: str, pool_size: int = 10, isolation_level: str | None = None) -> Engine:
    """An engine tuned for the backend: SQLite in WAL mode with one connection (writes serialise anyway and a
    second connection would make the busy handler block the eventlet hub); PostgreSQL with a pool (in
    `isolation_level` if given, set once per connection)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    options = {"isolation_level": isolation_level} if isolation_level else {}
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800, **options)
    _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it sat idle for a while (a restarted or failed-over
    PostgreSQL leaves dead connections in the pool). A connection in steady use is not pinged: a round trip saved
    on every transaction under load; should it have died all the same, the statement fails, SQLAlchemy sees the
    disconnect and empties the pool, and the unit of work answers Unavailable (the caller retries)."""

    @event.listens_for(engine, "checkout")
    def _checkout(
        dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        if time.monotonic() - record.info.get("last_used", 0.0) <= PING_AFTER_IDLE_SECONDS:
            return
        try:
            cursor = dbapi_conn.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as exc:  # noqa: BLE001 - any failure means: not this connection, take a fresh one
            raise DisconnectionError(f"idle connection is dead: {exc}") from exc

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: DBAPIConnection | None, record: ConnectionPoolEntry | None) -> None:
        if record is not None:
            record.info["last_used"] = time.monotonic()
