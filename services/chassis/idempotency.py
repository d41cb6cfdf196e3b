"""Idempotency keys for creates: a client that retries a request with the same `Idempotency-Key` acts once.

The key, a hash of the request and the answer are kept in the database of the service that owns the data, in
the same transaction as the create, so "created" and "key remembered" commit together or not at all:
- same owner, same key, same request: the kept answer again, with `replayed: True` (the gateway answers 200);
- same owner, same key, another request (another body, or another create): Conflict `idempotency_key_reused`;
- two identical requests at once: the second one's insert of the key fails on the primary key when the first
  commits, its transaction (and its create) rolls back, and it answers from the row the first one wrote.
Keys belong to an owner (the caller's subject: citizen ID number, officer id, agency unit): two owners may use
the same key independently.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Column, Connection, Index, MetaData, String, Table, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.chassis.errors import Conflict, InvalidInput
from services.chassis.sql import UTCDateTime

if TYPE_CHECKING:
    from services.chassis.database import UnitOfWork

MAX_KEY_LENGTH = 100
TABLE = "idempotency_keys"


def add_table(metadata: MetaData) -> Table:
    """Declare the keys table in a service's metadata (then add a migration for it)."""
    return Table(
        TABLE,
        metadata,
        Column("owner", String(100), primary_key=True),
        Column("key", String(MAX_KEY_LENGTH), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("response", Text, nullable=False),  # the answer, JSON
        Column("created_at", UTCDateTime, nullable=False),
        Index(
            "ix_idempotency_keys_created_at", "created_at"
        ),  # housekeeping finds expired keys without a scan
    )


# The same table for this module's queries, whichever service's metadata declared it.
_keys = add_table(MetaData())

Answer = dict[str, Any]  # what a create answers, kept as JSON
Executor = Session | Connection  # the caller's transaction


class Units(Protocol):
    """A service's database as its workers see it (`self.db`)."""

    def unit(self) -> AbstractContextManager[UnitOfWork]: ...


def checked_key(key: str | None) -> str | None:
    """The client's key, None when there is none; longer than MAX_KEY_LENGTH is refused (never cut: two
    long keys sharing a prefix would then be one)."""
    if key is None or key == "":
        return None
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            "idempotency_key_too_long",
            f"Idempotency-Key không được dài quá {MAX_KEY_LENGTH} ký tự.",
            {"max_length": MAX_KEY_LENGTH},
        )
    return key


def request_hash(request: object, operation: str = "") -> str:
    """What identifies a request: its content and which create it is, so a key reused on another create is
    refused too. Submissions (the first user) hash the body alone, as rows kept before this module did."""
    text = json.dumps(request, sort_keys=True, default=str)
    return hashlib.sha256((f"{operation}\n{text}" if operation else text).encode()).hexdigest()


def find(session: Executor, owner: str, key: str, digest: str) -> Answer | None:
    """The answer kept for this owner's key (with `replayed: True`), None if the key is new. Raises Conflict
    when the key was used for another request."""
    row = session.execute(
        select(_keys.c.request_hash, _keys.c.response).where(_keys.c.owner == owner, _keys.c.key == key)
    ).first()
    if row is None:
        return None
    if row.request_hash != digest:
        raise Conflict("idempotency_key_reused", "Idempotency-Key này đã được dùng cho một yêu cầu khác.")
    return {**json.loads(row.response), "replayed": True}


def kept_answer(session: Executor, owner: str, key: str) -> Answer | None:
    """The answer kept for this owner's key whatever the request was (with `replayed: True`), None if the key is
    new: for a client that no longer holds its request (the web wizard, once the filing removed the draft)."""
    row = session.execute(select(_keys.c.response).where(_keys.c.owner == owner, _keys.c.key == key)).first()
    return None if row is None else {**json.loads(row.response), "replayed": True}


def remember(session: Executor, owner: str, key: str, digest: str, answer: Answer) -> None:
    """Keep `answer` under the key, in the caller's transaction (the one that creates)."""
    session.execute(
        _keys.insert().values(
            owner=owner,
            key=key,
            request_hash=digest,
            response=json.dumps(answer, ensure_ascii=False),
            created_at=datetime.now(timezone.utc),
        )
    )


def replace(session: Executor, owner: str, key: str, answer: Answer) -> None:
    """Keep a later answer (a create finished in a second transaction, like a refund after the gateway)."""
    session.execute(
        update(_keys)
        .where(_keys.c.owner == owner, _keys.c.key == key)
        .values(response=json.dumps(answer, ensure_ascii=False))
    )


def forget(session: Executor, owner: str, key: str) -> None:
    """Drop the key, in the transaction that undoes what it created, so a retry acts again."""
    session.execute(_keys.delete().where(_keys.c.owner == owner, _keys.c.key == key))


def after_race(db: Units, owner: str, key: str | None, digest: str, error: IntegrityError) -> Answer:
    """After a create failed on a unique constraint: the answer of the concurrent request with the same key
    that committed first; any other integrity error is raised again."""
    if key:
        with db.unit() as uow:
            earlier = find(uow.session, owner, key, digest)
        if earlier is not None:
            return earlier
    raise error


def perform(
    db: Units, owner: str, key: str | None, digest: str, create: Callable[[UnitOfWork], Answer]
) -> Answer:
    """Run `create(uow) -> answer` in one unit of work of `db`, keeping the answer under the key in that same
    transaction; a key seen before answers from what was kept instead (`create` is not run)."""
    if key is None:
        with db.unit() as uow:
            return create(uow)
    try:
        with db.unit() as uow:
            earlier = find(uow.session, owner, key, digest)
            if earlier is not None:
                return earlier
            answer = create(uow)
            remember(uow.session, owner, key, digest, answer)
    except IntegrityError as exc:
        return after_race(db, owner, key, digest, exc)
    return answer
