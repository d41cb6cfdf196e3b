"""SQLAlchemy unit of work as a nameko dependency, with the transactional outbox and the inbox.

- The engine is created once per container (`setup`), a small UnitOfWork per use.
- `uow.publish(...)` validates an event and adds an outbox row in the same transaction as the state change.
- `uow.first_delivery(event, handler)` records the event id in the inbox and answers False for a duplicate.
- The relay (a green thread per container) claims unsent outbox rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL,
  so replicas share the work), publishes them with publisher confirms and marks them sent. At least once:
  consumers deduplicate with the inbox.
- Housekeeping (a green thread per container, every replica) deletes rows that only served delivery or
  deduplication once past their retention (`purge_expired`): sent outbox rows, inbox rows, idempotency keys.
  Audit and business tables are never touched.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol, Unpack, cast

import structlog
from google.protobuf.message import Message as ProtoMessage
from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    MetaData,
    Result,
    Row,
    Select,
    Table,
    bindparam,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from services.chassis import audit, metrics
from services.chassis.config import Settings
from services.chassis.errors import Unavailable
from services.chassis.events import Envelope, Event, build_event, exchange_name
from services.chassis.idempotency import TABLE as IDEMPOTENCY_KEYS
from services.chassis.nameko_types import DependencyProvider, GreenThread, WorkerContext
from services.chassis.sql import UTCDateTime, make_engine, new_metadata
from services.chassis.statements import dialect_insert, prebuilt

log = structlog.get_logger()

AnySelect = Select[Unpack[tuple[Any, ...]]]
AnyRow = Row[Unpack[tuple[Any, ...]]]


class Producer(Protocol):
    """kombu.Producer, as the relay uses it."""

    def publish(self, body: object, **options: Any) -> object: ...


def _rows_affected(result: Result[Unpack[tuple[Any, ...]]]) -> int:
    """The rows an INSERT, UPDATE or DELETE touched: SQLAlchemy answers one with a CursorResult, which its
    `Session.execute` declares as a plain Result."""
    return cast(CursorResult[Unpack[tuple[Any, ...]]], result).rowcount


def _safe_rollback(session: Session) -> None:
    try:
        session.rollback()
    except Exception:  # noqa: BLE001 - the connection may already be gone; the transaction died with it
        pass


class UnitOfWork:
    """One transaction: a session, the events it records and the inbox entries it claims."""

    def __init__(self, session: Session, metadata: MetaData, source: str, correlation_id: str = "") -> None:
        self.session = session
        self._outbox = metadata.tables["outbox"]
        self._inbox = metadata.tables["inbox"]
        self.source = source
        self.correlation_id = correlation_id
        self.published: list[Envelope] = []
        self.duplicate = False
        self.audit_entries: list[audit.Entry] = []

    def audit(self, actor: str, action: str, target: str, details: dict[str, Any] | None = None) -> None:
        """Record an officer action or a read of personal data in the service's audit chain; written just
        before this transaction commits (services/chassis/audit.py). Never put full ID numbers in details."""
        self.audit_entries.append(audit.Entry(actor, action, target, dict(details or {})))

    def publish(
        self,
        message_cls: type[ProtoMessage],
        data: dict[str, Any],
        subject: str = "",
        occurred_at: datetime | None = None,
    ) -> Envelope:
        """Validate an event against its proto and add it to the outbox of this transaction."""
        envelope = build_event(
            message_cls,
            data,
            source=self.source,
            subject=subject,
            correlation_id=self.correlation_id,
            occurred_at=occurred_at,
        )
        headers = {"nameko.correlation_id": self.correlation_id} if self.correlation_id else {}
        if subject:
            headers["nameko.dossier_code"] = subject
        outbox = self._outbox
        self.session.execute(
            prebuilt(("outbox.insert", outbox), lambda: outbox.insert()),
            {
                "event_id": envelope["id"],
                "event_type": envelope["type"],
                "subject": subject,
                "envelope": json.dumps(envelope, ensure_ascii=False),
                "headers": json.dumps(headers),
                "created_at": datetime.now(timezone.utc),
                "sent_at": None,
            },
        )
        self.published.append(envelope)
        return envelope

    def first_delivery(self, event_id: str, handler: str) -> bool:
        """Claim `event_id` for `handler` in this transaction; False if it was processed before.

        One statement (insert, or nothing on a conflict). Two replicas racing on the same id: on PostgreSQL the
        second insert waits for the first transaction and then inserts nothing (a duplicate); if the first rolls
        back, the second claims the event.
        """
        inbox = self._inbox
        dialect = self.session.get_bind().dialect.name
        stmt = prebuilt(
            ("inbox.claim", inbox, dialect),
            lambda: dialect_insert(self.session, inbox).on_conflict_do_nothing(
                index_elements=[inbox.c.event_id, inbox.c.handler]
            ),
        )
        claimed = _rows_affected(
            self.session.execute(
                stmt, {"event_id": event_id, "handler": handler, "processed_at": datetime.now(timezone.utc)}
            )
        )
        return claimed == 1


class Database(DependencyProvider):
    """The service's database: unit of work for workers, outbox relay in the background.

    Usage in a service: `db = Database(storage.metadata)`; in a worker: `with self.db.unit() as uow: ...`.
    """

    # Set in `setup`, once the container's settings are known.
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    _autocommit_engine: Engine | None
    is_postgres: bool
    audit_key: bytes
    _relay_thread: GreenThread  # set in `start` when the relay is enabled
    _housekeeping_thread: GreenThread

    def __init__(
        self, metadata: MetaData, relay: bool = True, relay_batch: int = 200, purge_batch: int = 1000
    ) -> None:
        self.metadata = metadata
        self.relay_enabled = relay
        self.relay_batch = relay_batch
        self.purge_batch = purge_batch

    def setup(self) -> None:
        settings: Settings = self.container.config["MOTCUA"]
        self.settings = settings
        # As many pooled connections as workers can hold at once (plus the relay and the timers): beyond the pool,
        # SQLAlchemy opens a connection per checkout and closes it on return, and PostgreSQL starts a backend
        # (fork, authentication, empty caches) for each. With 30 workers and a pool of 10 that was half a new
        # connection per dossier under load (bench/run.py "connections opened per dossier").
        self.engine = make_engine(settings.database_url, pool_size=max(10, settings.max_workers + 2))
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # PostgreSQL: a smaller second pool whose connections stay in autocommit (see `autocommit`): half the
        # workers' (5 with the default 10 workers; intake's busiest readers overflowed 5 at 30 workers).
        self._autocommit_engine = (
            make_engine(
                settings.database_url,
                pool_size=max(5, settings.max_workers // 2 + 1),
                isolation_level="AUTOCOMMIT",
            )
            if self.engine.dialect.name == "postgresql"
            else None
        )
        self._wake = threading.Event()
        self._halt = threading.Event()  # set once on stop: ends the housekeeping wait at once
        self._stopping = False
        self.is_postgres = self.engine.dialect.name == "postgresql"
        self.audit_key = audit.chain_key(settings.applicant_ref_key)
        metrics.add_readiness_check("database", self.ping)

    def start(self) -> None:
        if self.relay_enabled:
            self._relay_thread = self.container.spawn_managed_thread(
                self._relay_loop, identifier="outbox-relay"
            )
        # Every service purges, relay or not: its inbox and idempotency keys grow as well.
        self._housekeeping_thread = self.container.spawn_managed_thread(
            self._housekeeping_loop, identifier="housekeeping"
        )

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._halt.set()

    def kill(self) -> None:
        self.stop()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    @contextmanager
    def unit(self, correlation_id: str = "", inbox: tuple[str, str] | None = None) -> Iterator[UnitOfWork]:
        """A transaction. With `inbox=(event_id, handler)` the event is claimed first; `uow.duplicate` tells
        the caller it was already processed (the caller then does nothing)."""
        session = self.sessions()
        uow = UnitOfWork(session, self.metadata, self.settings.service, correlation_id)
        try:
            if inbox is not None and not uow.first_delivery(*inbox):
                uow.duplicate = True
                metrics.EVENTS_DUPLICATE.labels(self.settings.service, inbox[1]).inc()
            yield uow
            if uow.audit_entries:
                audit.append(session, self.audit_key, uow.audit_entries)
            session.commit()
        except OperationalError as exc:
            # The database went away (restart, failover): a clean "try again later", nothing half-written.
            _safe_rollback(session)
            raise Unavailable(
                "database_unavailable",
                "Cơ sở dữ liệu tạm thời không truy cập được, vui lòng thử lại.",
                {"service": self.settings.service},
            ) from exc
        except BaseException:
            _safe_rollback(session)
            raise
        finally:
            try:
                session.close()
            except Exception:  # noqa: BLE001 - closing a dead connection must not hide the real error
                pass
        if uow.published:
            self._wake.set()

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A connection on which every statement commits on its own: for one-statement work (a read that needs
        no snapshot shared with another statement, an atomic upsert). On PostgreSQL from a pool kept in
        autocommit mode: no BEGIN and COMMIT round trips, and no isolation level to set and reset at each
        checkout (what `execution_options(isolation_level=...)` on the main pool costs). On SQLite a plain
        transaction on the one connection."""
        try:
            if self._autocommit_engine is None:
                with self.engine.begin() as conn:
                    yield conn
            else:
                with self._autocommit_engine.connect() as conn:
                    yield conn
        except OperationalError as exc:
            raise Unavailable(
                "database_unavailable",
                "Cơ sở dữ liệu tạm thời không truy cập được, vui lòng thử lại.",
                {"service": self.settings.service},
            ) from exc

    def get_dependency(self, worker_ctx: WorkerContext) -> _WorkerDatabase:
        return _WorkerDatabase(self, worker_ctx)

    # -- the relay ---------------------------------------------------------------------------------------
    def _relay_loop(self) -> None:
        import eventlet
        from kombu import Connection

        backoff = 0.5
        while not self._stopping:
            try:
                with Connection(
                    self.settings.amqp_uri, transport_options={"confirm_publish": True}, heartbeat=30
                ) as conn:
                    conn.ensure_connection(max_retries=1)
                    producer = conn.Producer(serializer="json")
                    backoff = 0.5
                    measured = 0.0
                    while not self._stopping:
                        published = self.relay_once(producer)
                        if time.monotonic() - measured > 10:
                            self.measure_backlog()
                            measured = time.monotonic()
                        if published < self.relay_batch:
                            self._wake.wait(timeout=0.5)
                            self._wake.clear()
            except Exception as exc:  # noqa: BLE001 - the relay must survive broker and database outages
                log.warning("outbox_relay_failed", error=str(exc), error_type=type(exc).__name__)
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    def relay_once(self, producer: Producer) -> int:
        """Publish one batch of unsent rows; return how many were published."""
        outbox = self.metadata.tables["outbox"]
        with self.sessions() as session, session.begin():
            rows = session.execute(
                prebuilt(
                    ("relay.claim", outbox, self.is_postgres, self.relay_batch),
                    lambda: self._claim_query(outbox),
                )
            ).all()
            if not rows:
                return 0
            sent, failure = self._publish_rows(producer, rows)
            if sent:
                self._mark_sent(session, outbox, sent)
        if failure is not None:
            raise failure
        return len(sent)

    def _claim_query(self, outbox: Table) -> AnySelect:
        """The oldest unsent rows, one batch; on PostgreSQL locked so that replicas claim different rows."""
        query = (
            select(outbox.c.seq, outbox.c.event_type, outbox.c.envelope, outbox.c.headers, outbox.c.event_id)
            .where(outbox.c.sent_at.is_(None))
            .order_by(outbox.c.seq)
            .limit(self.relay_batch)
        )
        return query.with_for_update(skip_locked=True) if self.is_postgres else query

    def _publish_rows(self, producer: Producer, rows: Sequence[AnyRow]) -> tuple[list[int], Exception | None]:
        """Publish `rows` in order, stopping at the first failure: the seqs published, and that failure if any."""
        from kombu import Exchange

        sent: list[int] = []
        for row in rows:
            exchange = Exchange(exchange_name(row.event_type), type="topic", durable=True)
            try:
                producer.publish(
                    json.loads(row.envelope),
                    exchange=exchange,
                    routing_key=row.event_type,
                    delivery_mode=2,
                    headers=json.loads(row.headers),
                    message_id=row.event_id,
                    content_encoding="utf-8",
                    declare=[exchange],
                    retry=False,
                )
            except Exception as exc:  # noqa: BLE001 - keep what was confirmed, retry the rest later
                return sent, exc
            sent.append(row.seq)
            metrics.EVENTS_PUBLISHED.labels(self.settings.service, row.event_type).inc()
        return sent, None

    @staticmethod
    def _mark_sent(session: Session, outbox: Table, seqs: list[int]) -> None:
        mark = prebuilt(
            ("relay.mark", outbox),
            lambda: (
                update(outbox)
                .where(outbox.c.seq.in_(bindparam("seqs", expanding=True)))
                .values(sent_at=bindparam("at"))
            ),
        )
        session.execute(mark, {"seqs": seqs, "at": datetime.now(timezone.utc)})

    def measure_backlog(self) -> None:
        outbox = self.metadata.tables["outbox"]
        with self.engine.connect() as conn:
            count, oldest = conn.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.sent_at.is_(None))
            ).one()
        metrics.OUTBOX_BACKLOG.labels(self.settings.service).set(count)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=timezone.utc)
        age = (datetime.now(timezone.utc) - oldest).total_seconds() if oldest else 0
        metrics.OUTBOX_OLDEST_SECONDS.labels(self.settings.service).set(max(age, 0))

    def outbox_backlog(self) -> int:
        outbox = self.metadata.tables["outbox"]
        with self.engine.connect() as conn:
            count: int = conn.execute(
                select(text("count(*)")).select_from(outbox).where(outbox.c.sent_at.is_(None))
            ).scalar_one()
        return count

    # -- housekeeping --------------------------------------------------------------------------------------
    def _housekeeping_loop(self) -> None:
        every = self.settings.housekeeping_every_seconds
        # The first pass at a random point of the first interval: replicas started together (a rollout, a
        # restart of the platform) then purge apart instead of all at the same moment.
        delay = random.uniform(0, every)
        while not self._halt.wait(timeout=delay):
            try:
                self.purge_expired()
            except Exception as exc:  # noqa: BLE001 - the next pass tries again; the thread must not die
                log.warning("housekeeping_failed", error=str(exc), error_type=type(exc).__name__)
            delay = every

    def purge_expired(self, now: datetime | None = None) -> dict[str, int]:
        """Delete the rows past their retention (settings `*_retention_hours`): outbox rows sent before the
        cutoff (unsent rows never), inbox rows processed before it, idempotency keys created before it (when
        the service has that table). Returns the rows deleted per table."""
        now = now or datetime.now(timezone.utc)
        settings = self.settings
        expiring = [
            ("outbox", "sent_at", settings.outbox_retention_hours),
            ("inbox", "processed_at", settings.inbox_retention_hours),
        ]
        if IDEMPOTENCY_KEYS in self.metadata.tables:
            expiring.append((IDEMPOTENCY_KEYS, "created_at", settings.idempotency_retention_hours))
        purged: dict[str, int] = {}
        for name, column, hours in expiring:
            table = self.metadata.tables[name]
            purged[name] = self._purge(table, table.c[column] < now - timedelta(hours=hours))
            if purged[name]:
                metrics.RETENTION_PURGED.labels(settings.service, name).inc(purged[name])
        if any(purged.values()):
            log.info("housekeeping_purged", **purged)
        return purged

    def _purge(self, table: Table, expired: ColumnElement[bool]) -> int:
        """Delete the rows of `table` matching `expired`, a batch per transaction so no lock is held for long.

        Keys first (LIMIT: the same statement on SQLite and PostgreSQL, which have no DELETE ... LIMIT in
        common), then a delete by those keys that checks `expired` again, so it can never remove a live row
        whatever happened to the key in between. Replicas purging at once: on PostgreSQL each skips the rows
        another one has locked (SKIP LOCKED), so they neither wait for nor repeat each other's batches; SQLite
        serialises writers anyway. Counts are the rows this call deleted, so no row is counted twice.
        """
        keys = tuple_(*table.primary_key.columns)
        pick = select(*table.primary_key.columns).where(expired).limit(self.purge_batch)
        if self.is_postgres:
            pick = pick.with_for_update(skip_locked=True)
        delete = table.delete().where(keys.in_(bindparam("keys", expanding=True)), expired)
        total = 0
        while not self._stopping:
            with self.sessions() as session, session.begin():
                picked = [tuple(row) for row in session.execute(pick)]
                deleted = _rows_affected(session.execute(delete, {"keys": picked})) if picked else 0
            total += deleted
            if deleted < self.purge_batch:
                break
            time.sleep(0)  # monkey-patched: lets the service's workers run between batches
        return total


class _WorkerDatabase:
    """What a worker gets: units of work that carry the worker's correlation id."""

    def __init__(self, provider: Database, worker_ctx: WorkerContext) -> None:
        self._provider = provider
        data = worker_ctx.data or {}
        self.correlation_id: str = data.get("correlation_id") or worker_ctx.call_id
        self.handler = f"{worker_ctx.service_name}.{worker_ctx.entrypoint.method_name}"

    def unit(self, event: Event | None = None) -> AbstractContextManager[UnitOfWork]:
        """A unit of work; pass the consumed `event` to deduplicate on its id (see `uow.duplicate`)."""
        inbox = (event.id, self.handler) if event is not None else None
        return self._provider.unit(self.correlation_id, inbox=inbox)

    def autocommit(self) -> AbstractContextManager[Connection]:
        """See `Database.autocommit`."""
        return self._provider.autocommit()

    @property
    def engine(self) -> Engine:
        return self._provider.engine

    @property
    def audit_key(self) -> bytes:
        return self._provider.audit_key


__all__ = ["Database", "UnitOfWork", "UTCDateTime", "new_metadata", "make_engine", "IntegrityError"]
