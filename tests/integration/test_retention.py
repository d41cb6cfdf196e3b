"""Housekeeping on PostgreSQL: the same purge as on SQLite (tests/unit/chassis/test_retention.py), and two
replicas purging at once delete every expired row exactly once (SKIP LOCKED), with no error."""

from __future__ import annotations

import threading
import uuid

import pytest

from services.chassis import idempotency, metrics
from tests.unit.chassis.test_retention import NOW, assert_only_recent_and_unsent_left, provider, seed

pytestmark = pytest.mark.integration


@pytest.fixture
def database_url(postgres, monkeypatch):
    monkeypatch.setattr(metrics, "_readiness_checks", {})  # setup() registers one; not for this process
    name = f"retention_{uuid.uuid4().hex[:8]}"
    postgres.create_database(name)
    yield postgres.url(name)
    postgres.drop_database(name)


def test_exactly_the_expired_rows_are_purged_in_batches(database_url):
    db = provider(database_url, purge_batch=3)
    assert db.is_postgres
    seed(db, old=10, recent=2)
    assert db.purge_expired(now=NOW) == {"outbox": 10, "inbox": 10, idempotency.TABLE: 10}
    assert_only_recent_and_unsent_left(db)
    db.engine.dispose()


def test_replicas_purging_at_once_delete_each_row_once(database_url):
    replicas = [provider(database_url, purge_batch=3) for _ in range(2)]
    seed(replicas[0], old=60, recent=2)
    results, errors = [], []
    start = threading.Barrier(len(replicas))

    def purge(db):
        start.wait()
        try:
            results.append(db.purge_expired(now=NOW))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=purge, args=(db,)) for db in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    for table in ("outbox", "inbox", idempotency.TABLE):
        assert sum(r[table] for r in results) == 60
    assert_only_recent_and_unsent_left(replicas[0])
    for db in replicas:
        db.engine.dispose()
