"""Intake storage: dossiers as submitted and the daily sequences behind their codes."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Column, Date, Index, Integer, String, Table, Text, bindparam, select

from services.chassis import idempotency
from services.chassis.sql import UTCDateTime, new_metadata
from services.chassis.statements import dialect_insert, prebuilt

metadata = new_metadata()

dossiers = Table(
    "dossiers",
    metadata,
    Column("code", String(60), primary_key=True),
    Column("procedure_code", String(30), nullable=False),
    Column("procedure_version", Integer, nullable=False),
    Column("receiving_agency_code", String(30), nullable=False),
    Column("applicant_id_number", String(12), nullable=False, index=True),
    Column("applicant_ref", String(64), nullable=False),
    Column("applicant_name", String(200), nullable=False),
    Column("applicant_unit_code", String(30), nullable=False),
    Column("contact_email", String(200), nullable=False, default=""),
    Column("contact_phone", String(20), nullable=False, default=""),
    Column("language", String(5), nullable=False, default="vi"),
    Column("channel", String(10), nullable=False),
    Column("form_data", Text, nullable=False, default="{}"),
    Column("submitted_by", String(100), nullable=False),
    Column("submitted_at", UTCDateTime, nullable=False),
)

dossier_sequences = Table(
    "dossier_sequences",
    metadata,
    Column("agency_code", String(30), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("last_value", Integer, nullable=False),
)


# What each required document of a dossier is: reused from the registry, uploaded, or the online form itself.
# A document has versions: 1 as filed, then one more for each file the applicant sends for it with a completion
# (before receipt) or a supplement (after); every version stays readable, the highest is the one in force.
dossier_documents = Table(
    "dossier_documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dossier_code", String(60), nullable=False, index=True),
    Column("requirement_code", String(20), nullable=False),
    Column("source", String(10), nullable=False),  # reused | uploaded | form
    Column("registry_document_id", String(36), nullable=True),
    Column("upload_id", String(36), nullable=True),
    Column("sha256", String(64), nullable=False, default=""),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("origin", String(12), nullable=False, server_default="submission"),  # submission | supplement
    Column("added_at", UTCDateTime, nullable=True),  # when a later version arrived (None: filed with the dossier)
    Index("uq_dossier_documents_version", "dossier_code", "requirement_code", "version", unique=True),
)

uploads = Table(
    "uploads",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("owner", String(100), nullable=False, index=True),
    Column("file_name", String(200), nullable=False),
    Column("media_type", String(40), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("path", String(500), nullable=False),
    Column("used_by", String(60), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("owner", String(100), nullable=False, index=True),
    Column("procedure_code", String(30), nullable=False, default=""),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Idempotency-Key on creates (submissions, drafts, uploads): services/chassis/idempotency.py
idempotency_keys = idempotency.add_table(metadata)


def next_sequence(bind, agency_code: str, day: date) -> int:
    """Take the next daily number for an agency, atomically: one upsert, on a session or a connection.

    The row stays locked until the transaction that took the number ends. The service takes numbers on
    PostgreSQL in a transaction of their own (`IntakeService._take_number`), so submissions to one agency do not
    queue behind each other's whole transactions; a submission that fails afterwards leaves a gap in the day's
    numbers. A number is never given twice.
    """
    dialect = bind.get_bind().dialect.name if hasattr(bind, "get_bind") else bind.dialect.name

    def build():
        return dialect_insert(bind, dossier_sequences).values(
            agency_code=bindparam("agency"), day=bindparam("day"), last_value=1,
        ).on_conflict_do_update(
            index_elements=[dossier_sequences.c.agency_code, dossier_sequences.c.day],
            set_={"last_value": dossier_sequences.c.last_value + 1},
        ).returning(dossier_sequences.c.last_value)

    return bind.execute(prebuilt(("intake.next_sequence", dialect), build),
                        {"agency": agency_code, "day": day}).scalar_one()


def find_dossier(session, code: str) -> dict | None:
    query = prebuilt(("intake.find_dossier",), lambda: select(dossiers).where(dossiers.c.code == bindparam("code")))
    row = session.execute(query, {"code": code}).mappings().first()
    return dict(row) if row else None
