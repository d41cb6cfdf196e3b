"""SQL statements built once and reused, and the dialect's INSERT for ON CONFLICT clauses.

SQLAlchemy memoises a statement's cache key on the statement object: a statement reused with its values as
execution parameters (`session.execute(stmt, {...})`) skips building and keying, about half of the client CPU of
a small statement (measured on the development machine: 133 → 69 µs for a one-row select).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

T = TypeVar("T")

_PREBUILT: dict[tuple[Hashable, ...], object] = {}


def prebuilt(key: tuple[Hashable, ...], build: Callable[[], T]) -> T:
    """The statement under `key`, built by `build()` the first time. Put in `key` whatever the statement depends
    on besides its parameters (the table when it is per service, the dialect for ON CONFLICT and FOR UPDATE)."""
    stmt = _PREBUILT.get(key)
    if stmt is None:
        stmt = _PREBUILT[key] = build()
    return cast(T, stmt)  # the key names what was built: the same key always holds what the same `build` made


def dialect_insert(session_or_conn: Session | Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """INSERT of the backend behind a session or a connection, for ON CONFLICT clauses (PostgreSQL or SQLite)."""
    bind = session_or_conn.get_bind() if hasattr(session_or_conn, "get_bind") else session_or_conn
    return (postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert)(table)
