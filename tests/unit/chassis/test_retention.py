"""Housekeeping: exactly the expired delivery and deduplication rows go (sent outbox rows, inbox rows, idempotency
keys), in batches; unsent outbox rows, recent rows and the audit chain stay. Retention settings from the
environment."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from services.chassis import audit, config, idempotency, metrics
from services.chassis.config import Settings
from services.chassis.database import Database, new_metadata

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=40)  # past every default retention
RECENT = NOW - timedelta(hours=1)  # within every default retention


def provider(database_url: str, purge_batch: int = 1000, relay: bool = False, **settings) -> Database:
    """A Database provider set up the way its container does it, with the service's own metadata."""
    md = new_metadata()
    idempotency.add_table(md)
    audit.add_tables(md)
    db = Database(md, relay=relay, purge_batch=purge_batch)
    db.container = SimpleNamespace(
        config={"MOTCUA": Settings(service="test", database_url=database_url, **settings)}
    )
    db.setup()
    md.create_all(db.engine)
    return db


def seed(db: Database, old: int = 2, recent: int = 2) -> None:
    """`old` expired and `recent` kept rows in each purged table, plus unsent outbox rows (old and recent) and
    an audit chain dated as old as the expired rows."""
    tables = db.metadata.tables
    outbox, inbox, keys = tables["outbox"], tables["inbox"], tables[idempotency.TABLE]
    outbox_rows, inbox_rows, key_rows = [], [], []
    for when, count, label in ((OLD, old, "old"), (RECENT, recent, "recent")):
        for i in range(count):
            outbox_rows.append(
                {
                    "event_id": f"sent-{label}-{i}",
                    "event_type": "motcua.test.v1.Done",
                    "envelope": "{}",
                    "created_at": when,
                    "sent_at": when,
                }
            )
            inbox_rows.append(
                {"event_id": f"event-{label}-{i}", "handler": "test.handler", "processed_at": when}
            )
            key_rows.append(
                {
                    "owner": "037090000001",
                    "key": f"key-{label}-{i}",
                    "request_hash": "0" * 64,
                    "response": "{}",
                    "created_at": when,
                }
            )
        outbox_rows.append(
            {
                "event_id": f"unsent-{label}",
                "event_type": "motcua.test.v1.Done",
                "envelope": "{}",
                "created_at": when,
                "sent_at": None,
            }
        )
    with db.sessions() as session, session.begin():
        session.execute(outbox.insert(), outbox_rows)
        session.execute(inbox.insert(), inbox_rows)
        session.execute(keys.insert(), key_rows)
        audit.append(
            session, db.audit_key, [audit.Entry("officer:1", "case.approve", "DOSSIER-1", {})], now=OLD
        )


def ids(db: Database, table: str, column: str) -> set[str]:
    t = db.metadata.tables[table]
    with db.engine.connect() as conn:
        return set(conn.execute(select(t.c[column])).scalars())


def assert_only_recent_and_unsent_left(db: Database, recent: int = 2) -> None:
    assert ids(db, "outbox", "event_id") == (
        {f"sent-recent-{i}" for i in range(recent)} | {"unsent-old", "unsent-recent"}
    )
    assert ids(db, "inbox", "event_id") == {f"event-recent-{i}" for i in range(recent)}
    assert ids(db, idempotency.TABLE, "key") == {f"key-recent-{i}" for i in range(recent)}
    with db.sessions() as session:
        assert audit.verify(session, db.audit_key).entries == 1


@pytest.fixture(autouse=True)
def _own_readiness_checks(monkeypatch):
    # setup() registers the database readiness check; keep it out of the process-wide registry.
    monkeypatch.setattr(metrics, "_readiness_checks", {})


@pytest.fixture
def db(tmp_path):
    database = provider(f"sqlite:///{tmp_path}/test.db", purge_batch=3)
    yield database
    database.engine.dispose()


def purged_metric(table: str) -> float:
    return (
        metrics.REGISTRY.get_sample_value(
            "motcua_retention_purged_total", {"service": "test", "table": table}
        )
        or 0
    )


def test_exactly_the_expired_rows_are_purged_and_counted(db):
    seed(db)
    before = {t: purged_metric(t) for t in ("outbox", "inbox", idempotency.TABLE)}
    assert db.purge_expired(now=NOW) == {"outbox": 2, "inbox": 2, idempotency.TABLE: 2}
    assert_only_recent_and_unsent_left(db)
    assert {t: purged_metric(t) - before[t] for t in before} == {
        "outbox": 2,
        "inbox": 2,
        idempotency.TABLE: 2,
    }
    assert db.purge_expired(now=NOW) == {"outbox": 0, "inbox": 0, idempotency.TABLE: 0}


def test_more_rows_than_a_batch_are_purged_in_several_transactions(db):
    seed(db, old=10, recent=4)  # batches of 3: 3 + 3 + 3 + 1
    transactions = []
    sessions = db.sessions

    def counting_sessions():
        transactions.append(1)
        return sessions()

    db.sessions = counting_sessions
    assert db.purge_expired(now=NOW) == {"outbox": 10, "inbox": 10, idempotency.TABLE: 10}
    assert len(transactions) == 3 * 4  # one transaction per batch, per table
    assert_only_recent_and_unsent_left(db, recent=4)


def test_an_exact_multiple_of_the_batch_stops_after_an_empty_batch(db):
    seed(db, old=6, recent=0)
    assert db.purge_expired(now=NOW) == {"outbox": 6, "inbox": 6, idempotency.TABLE: 6}
    assert_only_recent_and_unsent_left(db, recent=0)


def test_each_table_has_its_own_window(tmp_path):
    db = provider(
        f"sqlite:///{tmp_path}/windows.db",
        outbox_retention_hours=1,
        inbox_retention_hours=10_000,
        idempotency_retention_hours=24 * 50,
    )
    seed(db)
    # Outbox: 1 h, so even the rows sent an hour ago (RECENT) go; inbox and keys: longer than OLD, all stay.
    assert db.purge_expired(now=NOW + timedelta(seconds=1)) == {"outbox": 4, "inbox": 0, idempotency.TABLE: 0}
    assert ids(db, "outbox", "event_id") == {"unsent-old", "unsent-recent"}
    db.engine.dispose()


def test_a_service_without_idempotency_keys_purges_the_rest(tmp_path):
    md = new_metadata()
    db = Database(md, relay=False)
    db.container = SimpleNamespace(
        config={"MOTCUA": Settings(service="test", database_url=f"sqlite:///{tmp_path}/plain.db")}
    )
    db.setup()
    md.create_all(db.engine)
    assert db.purge_expired(now=NOW) == {"outbox": 0, "inbox": 0}
    db.engine.dispose()


def test_the_housekeeping_thread_purges_survives_failures_and_stops_at_once(tmp_path, monkeypatch):
    db = provider(f"sqlite:///{tmp_path}/loop.db", housekeeping_every_seconds=1)
    threads = []

    def spawn_managed_thread(fn, identifier=None):
        thread = threading.Thread(target=fn, name=identifier, daemon=True)
        threads.append(thread)
        thread.start()
        return thread

    db.container.spawn_managed_thread = spawn_managed_thread
    monkeypatch.setattr("services.chassis.database.random.uniform", lambda low, high: 0.0)  # no jitter here
    passes = []

    def purge_expired(now=None):
        passes.append(time.monotonic())
        if len(passes) == 1:
            raise RuntimeError("database gone for a moment")
        return {}

    db.purge_expired = purge_expired
    with capture_logs() as logs:
        db.start()
        assert [t.name for t in threads] == ["housekeeping"]  # started without the relay too
        deadline = time.monotonic() + 5
        while len(passes) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(passes) >= 2, "a failed pass must not end the housekeeping"
    assert [e for e in logs if e["event"] == "housekeeping_failed"][0]["error_type"] == "RuntimeError"
    stopped_at = time.monotonic()
    db.stop()
    threads[0].join(timeout=2)
    assert not threads[0].is_alive() and time.monotonic() - stopped_at < 0.5
    db.engine.dispose()


def test_the_first_pass_waits_a_random_part_of_the_interval(tmp_path, monkeypatch):
    db = provider(f"sqlite:///{tmp_path}/jitter.db", housekeeping_every_seconds=3600)
    asked = []
    monkeypatch.setattr(
        "services.chassis.database.random.uniform", lambda low, high: asked.append((low, high)) or 0
    )
    db._halt.set()  # already stopping: the loop returns after choosing its first delay
    db._housekeeping_loop()
    assert asked == [(0, 3600)]
    db.engine.dispose()


# -- settings ---------------------------------------------------------------------------------------------------
RETENTION_ENV = (
    "MOTCUA_OUTBOX_RETENTION_HOURS",
    "MOTCUA_INBOX_RETENTION_HOURS",
    "MOTCUA_IDEMPOTENCY_RETENTION_HOURS",
    "MOTCUA_HOUSEKEEPING_EVERY_SECONDS",
)


@pytest.fixture
def env(monkeypatch):
    for name in RETENTION_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOTCUA_ENV", "local")
    return monkeypatch


def test_retention_defaults(env):
    settings = config.load("intake")
    assert (
        settings.outbox_retention_hours,
        settings.inbox_retention_hours,
        settings.idempotency_retention_hours,
        settings.housekeeping_every_seconds,
    ) == (168, 720, 168, 3600)


def test_retention_from_the_environment(env):
    for name, value in zip(RETENTION_ENV, ("24", "2160", "48", "600"), strict=True):
        env.setenv(name, value)
    settings = config.load("intake")
    assert (
        settings.outbox_retention_hours,
        settings.inbox_retention_hours,
        settings.idempotency_retention_hours,
        settings.housekeeping_every_seconds,
    ) == (24, 2160, 48, 600)


@pytest.mark.parametrize("name", RETENTION_ENV)
@pytest.mark.parametrize("value", ["0", "-5", "7d", "1.5", "many"])
def test_an_invalid_retention_stops_the_start_naming_the_variable(env, name, value):
    env.setenv(name, value)
    with pytest.raises(RuntimeError, match=name):
        config.load("intake")
