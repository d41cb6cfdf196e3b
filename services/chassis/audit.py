"""Tamper-evident audit log: every officer action and every read of personal data, in a keyed hash chain.

Each entry's `hash` is HMAC-SHA256 over the previous entry's hash and the entry's canonical form (seq, time,
actor, action, target, details). A head row holds the last seq and hash; appending locks it, so concurrent
writers (green threads, replicas) never fork the chain, and it anchors the end of the chain.

What `verify` detects: a changed field in any entry, an entry inserted or removed anywhere (the chain breaks or
the seq has a gap), entries removed from the end (the head no longer matches), a head changed alone. What it
cannot detect on its own: someone holding the chain key *and* write access rewriting the whole chain. The key
is derived from the platform's secret (never stored in the database), and `checkpoint` logs the head so copies
of it leave the database with the logs; compare a logged checkpoint with `verify` to catch even that.

Entries are written by the unit of work just before it commits (`uow.audit(...)`), so the head lock is held
for one statement at the end of the transaction, and an entry exists if and only if what it records committed.

Ops: `python -m services.chassis.audit verify workflow` (uses DATABASE_URL and MOTCUA_APPLICANT_REF_KEY).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol, TypedDict

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    bindparam,
    select,
    update,
)
from sqlalchemy.orm import Session

from services.chassis.nameko_types import rpc
from services.chassis.sql import UTCDateTime, make_engine
from services.chassis.statements import dialect_insert, prebuilt

GENESIS = "0" * 64


def add_tables(metadata: MetaData) -> None:
    """Declare the audit tables in a service's metadata (then add a migration for them)."""
    Table(
        "audit_log",
        metadata,
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
        Column("at", UTCDateTime, nullable=False),
        Column("actor", String(100), nullable=False),
        Column("action", String(80), nullable=False),
        Column("target", String(100), nullable=False),
        Column("details", Text, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
    )
    Table(
        "audit_head",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
        Column("hash", String(64), nullable=False),
    )


def chain_key(secret: str) -> bytes:
    """The chain's HMAC key, derived from the platform secret (a separate purpose, so the secret itself is
    never used twice for different things)."""
    return hmac.new(secret.encode(), b"motcua-audit-chain-v1", hashlib.sha256).digest()


def person_ref(secret: str, id_number: str) -> str:
    """How the audit log names a person: a keyed hash of the ID number (an investigator holding the platform
    secret can find whose it is; a reader of the table cannot)."""
    return (
        "person:"
        + hmac.new(secret.encode(), f"audit-person:{id_number}".encode(), hashlib.sha256).hexdigest()[:24]
    )


def _canonical(seq: int, at: datetime, actor: str, action: str, target: str, details: str) -> bytes:
    stamp = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(
        [seq, stamp, actor, action, target, details], ensure_ascii=False, separators=(",", ":")
    ).encode()


def entry_hash(
    key: bytes, prev_hash: str, seq: int, at: datetime, actor: str, action: str, target: str, details: str
) -> str:
    return hmac.new(
        key, prev_hash.encode() + b"\n" + _canonical(seq, at, actor, action, target, details), hashlib.sha256
    ).hexdigest()


@dataclass
class Entry:
    actor: str
    action: str
    target: str
    details: dict[str, Any]


def append(session: Session, key: bytes, entries: list[Entry], now: datetime | None = None) -> int:
    """Chain `entries` after the current head, inside the caller's transaction. Returns the new head seq."""
    tables = _tables()
    head_table = tables["audit_head"]
    postgres = session.get_bind().dialect.name == "postgresql"

    def head_query() -> Select[Any, Any]:  # built once (hot path: every read of personal data ends here)
        query = select(head_table.c.seq, head_table.c.hash).where(head_table.c.id == 1)
        return query.with_for_update() if postgres else query

    query = prebuilt(("audit.head", postgres), head_query)
    head = session.execute(query).first()
    if head is None:
        _create_head(session, head_table)
        head = session.execute(query).one()  # there now: this writer's, or the one that won the race
    seq: int = head.seq
    prev: str = head.hash
    at = now or datetime.now(timezone.utc)
    rows = []
    for entry in entries:
        seq += 1
        details = json.dumps(entry.details, ensure_ascii=False, sort_keys=True, default=str)
        actor, action, target = str(entry.actor)[:100], str(entry.action)[:80], str(entry.target)[:100]
        digest = entry_hash(key, prev, seq, at, actor, action, target, details)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": action,
                "target": target,
                "details": details,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    session.execute(prebuilt(("audit.insert",), tables["audit_log"].insert), rows)
    move = prebuilt(
        ("audit.move",),
        lambda: (
            update(head_table)
            .where(head_table.c.id == 1)
            .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
        ),
    )
    session.execute(move, {"new_seq": seq, "new_hash": prev})
    return seq


def _create_head(session: Session, head_table: Table) -> None:
    """The head row, created once; two first writers racing both try, one wins, both then lock it."""
    session.execute(
        dialect_insert(session, head_table).values(id=1, seq=0, hash=GENESIS).on_conflict_do_nothing()
    )


class _InSession(Protocol):
    @property
    def session(self) -> Session: ...


class ChainedDatabase(Protocol):
    """What `AuditChainRpc` needs of the service's `db` (a worker's chassis Database)."""

    @property
    def audit_key(self) -> bytes: ...

    def unit(self) -> AbstractContextManager[_InSession]: ...


class AuditChainRpc:
    """Mixin for a service whose database holds an audit chain (its `db` is a chassis Database): the
    `audit_verify` RPC walks the chain and says whether it is intact, and where it breaks if not."""

    db: ChainedDatabase  # declared by the service class (`db = Database(...)`)

    @rpc
    def audit_verify(self) -> VerdictDict:
        with self.db.unit() as uow:
            return verify(uow.session, self.db.audit_key).to_dict()


_METADATA = MetaData()


def _tables() -> dict[str, Table]:
    if not _METADATA.tables:
        add_tables(_METADATA)
    return _METADATA.tables


class VerdictDict(TypedDict):
    ok: bool
    entries: int
    head_seq: int
    first_bad_seq: int | None
    reason: str


class Head(TypedDict):
    seq: int
    hash: str


@dataclass
class Verdict:
    ok: bool
    entries: int
    head_seq: int
    first_bad_seq: int | None = None
    reason: str = ""

    def to_dict(self) -> VerdictDict:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_seq": self.head_seq,
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
        }


def verify(session: Session | Connection, key: bytes, batch: int = 5000) -> Verdict:
    """Walk the chain from the start and recompute every hash; compare the end with the head."""
    tables = _tables()
    log, head_table = tables["audit_log"], tables["audit_head"]
    head = session.execute(select(head_table.c.seq, head_table.c.hash).where(head_table.c.id == 1)).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    expected_seq, prev, count, last = 1, GENESIS, 0, 0
    while True:
        rows = session.execute(
            select(log).where(log.c.seq >= expected_seq).order_by(log.c.seq).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                return Verdict(False, count, head_seq, expected_seq, f"entry {expected_seq} is missing")
            if row.prev_hash != prev:
                return Verdict(False, count, head_seq, row.seq, "does not follow the entry before it")
            at = row.at if row.at.tzinfo else row.at.replace(tzinfo=timezone.utc)
            digest = entry_hash(key, prev, row.seq, at, row.actor, row.action, row.target, row.details)
            if not hmac.compare_digest(digest, row.hash):
                return Verdict(False, count, head_seq, row.seq, "content does not match its hash")
            prev, last, count = row.hash, row.seq, count + 1
            expected_seq += 1
    if last != head_seq or prev != head_hash:
        return Verdict(
            False,
            count,
            head_seq,
            last + 1 if last < head_seq else head_seq,
            f"the chain ends at {last} but the head says {head_seq}",
        )
    return Verdict(True, count, head_seq)


def head(session: Session | Connection) -> Head:
    head_table = _tables()["audit_head"]
    row = session.execute(select(head_table.c.seq, head_table.c.hash).where(head_table.c.id == 1)).first()
    return {"seq": row.seq, "hash": row.hash} if row else {"seq": 0, "hash": GENESIS}


def main(argv: list[str]) -> int:
    """`python -m services.chassis.audit verify <service>`: exit 0 if the chain is intact, 1 if not."""
    from sqlalchemy.orm import Session

    from services.chassis import config

    if len(argv) != 2 or argv[0] != "verify":
        print("usage: python -m services.chassis.audit verify <service>", file=sys.stderr)
        return 2
    settings = config.load(argv[1])
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        verdict = verify(session, chain_key(settings.applicant_ref_key))
    print(json.dumps({"service": argv[1], **verdict.to_dict()}, ensure_ascii=False))
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
