"""Registry storage: persons (the registry's copy of population data) and the queries it needs."""
from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text, bindparam, select

from services.chassis import audit, idempotency
from services.chassis.sql import UTCDateTime, new_metadata
from services.chassis.statements import prebuilt

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
    import hashlib
    import hmac

    return hmac.new(key.encode(), id_number.encode(), hashlib.sha256).hexdigest()[:32]


def find_person(session, id_number: str) -> dict | None:
    query = prebuilt(("registry.find_person",), lambda: select(persons).where(
        persons.c.id_number == bindparam("id_number")))
    row = session.execute(query, {"id_number": id_number}).mappings().first()
    return dict(row) if row else None


def upsert_person(session, person: dict) -> None:
    if find_person(session, person["id_number"]):
        session.execute(persons.update().where(persons.c.id_number == person["id_number"]).values(**person))
    else:
        session.execute(persons.insert().values(**person))
