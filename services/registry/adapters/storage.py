"""Registry storage: persons (the registry's copy of population data), businesses, verified documents,
consents, the access log, and the queries the use cases need (each runs in the caller's session or connection)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    select,
    update,
)

from services.chassis import audit, idempotency
from services.chassis.sql import UTCDateTime, new_metadata
from services.chassis.statements import prebuilt
from services.registry.domain.consent import Consent

metadata = new_metadata()
# The tamper-evident audit chain (officer actions, reads of personal data): services/chassis/audit.py
audit.add_tables(metadata)

persons = Table(
    "persons",
    metadata,
    Column("id_number", String(12), primary_key=True),
    Column("full_name", String(200), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(10), nullable=False),
    Column("address_unit_code", String(20), nullable=False),
    Column("address_line", String(300), nullable=False, default=""),
    Column("email", String(200), nullable=False, default=""),
    Column("phone", String(20), nullable=False, default=""),
    Column("language", String(5), nullable=False, default="vi"),
    # Opaque reference used in events (keyed hash of the ID number): results find their owner through it.
    Column("ref", String(64), nullable=True, unique=True),
)

businesses = Table(
    "businesses",
    metadata,
    Column("tax_code", String(14), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("address_unit_code", String(20), nullable=False),
    Column("representative_id_number", String(12), nullable=True),
)

# Verified documents a person holds (citizen document store): reusable in later procedures.
documents = Table(
    "documents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("owner_id_number", String(12), nullable=False, index=True),
    Column("doc_type", String(20), nullable=False),
    Column("title", String(300), nullable=False),
    Column("issuer", String(200), nullable=False),
    Column("number", String(60), nullable=False, default=""),
    Column("issued_on", Date, nullable=False),
    Column("expires_on", Date, nullable=True),
    Column("sha256", String(64), nullable=False),
    Column("provenance", String(20), nullable=False),  # uploaded | issued | imported
    Column("status", String(20), nullable=False),  # valid | expired | revoked
    Column("source_dossier_code", String(60), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)

consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("id_number", String(12), ForeignKey("persons.id_number"), nullable=False, index=True),
    Column("agency_code", String(30), nullable=False),
    Column("category", String(20), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("valid_until", UTCDateTime, nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

# Every read of personal data: who, why, for which dossier, and whether it was allowed.
access_log = Table(
    "access_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("id_number", String(12), nullable=False, index=True),
    Column("requester", String(60), nullable=False),
    Column("category", String(20), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("dossier_code", String(60), nullable=False, default=""),
    Column("allowed", Boolean, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("detail", Text, nullable=False, default=""),
)

# Idempotency-Key on consents: services/chassis/idempotency.py
idempotency_keys = idempotency.add_table(metadata)


def person_ref(key: str, id_number: str) -> str:
    """The opaque applicant reference intake puts in events (same keyed hash, same shared secret)."""
    return hmac.new(key.encode(), id_number.encode(), hashlib.sha256).hexdigest()[:32]


# -- persons -------------------------------------------------------------------------------------------------
def find_person(session, id_number: str) -> dict | None:
    query = prebuilt(
        ("registry.find_person",),
        lambda: select(persons).where(persons.c.id_number == bindparam("id_number")),
    )
    row = session.execute(query, {"id_number": id_number}).mappings().first()
    return dict(row) if row else None


def upsert_person(session, person: dict) -> None:
    if find_person(session, person["id_number"]):
        session.execute(persons.update().where(persons.c.id_number == person["id_number"]).values(**person))
    else:
        session.execute(persons.insert().values(**person))


def owner_of_ref(session, ref: str) -> str | None:
    """The ID number behind an applicant reference, if the registry holds the person."""
    return session.execute(select(persons.c.id_number).where(persons.c.ref == ref)).scalar_one_or_none()


def some_persons(conn, limit: int) -> list[dict]:
    """The first `limit` persons by ID number: {id_number, full_name}."""
    rows = conn.execute(
        select(persons.c.id_number, persons.c.full_name).order_by(persons.c.id_number).limit(limit)
    )
    return [dict(r) for r in rows.mappings()]


# -- documents -----------------------------------------------------------------------------------------------
def valid_documents(session, owner_id_number: str, doc_types: list[str]) -> list[dict]:
    """The owner's documents of these types still marked valid, newest first (expiry not checked here)."""
    table = documents
    rows = session.execute(
        select(table)
        .where(
            table.c.owner_id_number == owner_id_number,
            table.c.doc_type.in_(doc_types),
            table.c.status == "valid",
        )
        .order_by(table.c.issued_on.desc())
    ).mappings()
    return [dict(r) for r in rows]


def mark_expired(session, document_ids: list[str]) -> None:
    session.execute(update(documents).where(documents.c.id.in_(document_ids)).values(status="expired"))


def find_document(session, document_id: str) -> dict | None:
    row = session.execute(select(documents).where(documents.c.id == document_id)).mappings().first()
    return dict(row) if row else None


def insert_document(session, values: dict[str, Any]) -> None:
    session.execute(documents.insert().values(**values))


def document_types(session) -> list[str]:
    """Every document type the store holds (of anyone)."""
    return [r[0] for r in session.execute(select(documents.c.doc_type).distinct()).all()]


# -- consents ------------------------------------------------------------------------------------------------
def consents_of(session, id_number: str) -> list[Consent]:
    rows = session.execute(select(consents).where(consents.c.id_number == id_number)).mappings()
    return [
        Consent(r["id"], r["agency_code"], r["category"], r["purpose"], r["valid_until"], r["revoked_at"])
        for r in rows
    ]


def insert_consent(session, values: dict[str, Any]) -> int:
    """The new consent's id."""
    return session.execute(consents.insert().values(**values)).inserted_primary_key[0]


def revoke_consent(session, consent_id: int, id_number: str, at: datetime) -> int:
    """Rows changed: 0 when the person has no such consent still in force."""
    return session.execute(
        update(consents)
        .where(
            consents.c.id == consent_id, consents.c.id_number == id_number, consents.c.revoked_at.is_(None)
        )
        .values(revoked_at=at)
    ).rowcount


# -- the access log ------------------------------------------------------------------------------------------
def log_access(session, rows: list[dict[str, Any]]) -> None:
    """Several rows in one statement."""
    session.execute(access_log.insert(), rows)


def access_log_of(session, id_number: str, limit: int) -> list[dict]:
    """The latest reads of a person's data, newest first."""
    table = access_log
    rows = session.execute(
        select(table).where(table.c.id_number == id_number).order_by(table.c.id.desc()).limit(limit)
    ).mappings()
    return [dict(r) for r in rows]
