"""The shared idempotency helpers on a real (SQLite) unit of work: replay, conflict, owners apart, and the
concurrent duplicate that loses the race on the primary key."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Column, String, Table

from services.chassis import idempotency
from services.chassis.database import new_metadata
from services.chassis.errors import Conflict, InvalidInput
from tests.support import FakeDatabase

metadata = new_metadata()
things = Table("things", metadata, Column("id", String(36), primary_key=True))
idempotency.add_table(metadata)


@pytest.fixture
def db():
    return FakeDatabase(metadata)


def _create(uow) -> dict:
    thing_id = str(uuid.uuid4())
    uow.session.execute(things.insert().values(id=thing_id))
    return {"id": thing_id}


def test_replay_conflict_and_owners(db):
    digest = idempotency.request_hash({"a": 1}, "make_thing")
    first = idempotency.perform(db, "owner-1", "key-1", digest, _create)
    assert idempotency.perform(db, "owner-1", "key-1", digest, _create) == {**first, "replayed": True}
    with pytest.raises(Conflict):
        idempotency.perform(db, "owner-1", "key-1", idempotency.request_hash({"a": 2}, "make_thing"), _create)
    with pytest.raises(Conflict):  # the same body on another create is another request
        idempotency.perform(db, "owner-1", "key-1", idempotency.request_hash({"a": 1}, "other"), _create)
    assert "replayed" not in idempotency.perform(db, "owner-2", "key-1", digest, _create)
    assert len(db.rows("things")) == 2


def test_a_concurrent_duplicate_answers_from_the_row_the_first_one_wrote(db, monkeypatch):
    digest = idempotency.request_hash({"a": 1}, "make_thing")
    first = idempotency.perform(db, "owner-1", "key-1", digest, _create)
    # The duplicate read before the first one committed: it saw no key and created too, until its insert of the
    # key hit the primary key; its transaction (and its thing) rolled back.
    real_find, calls = idempotency.find, []

    def find_late(*args):
        calls.append(args)
        return None if len(calls) == 1 else real_find(*args)

    monkeypatch.setattr(idempotency, "find", find_late)
    assert idempotency.perform(db, "owner-1", "key-1", digest, _create) == {**first, "replayed": True}
    assert len(db.rows("things")) == 1


def test_keys_are_checked():
    assert idempotency.checked_key(None) is None and idempotency.checked_key("") is None
    assert idempotency.checked_key("k" * 100) == "k" * 100
    with pytest.raises(InvalidInput):
        idempotency.checked_key("k" * 101)
