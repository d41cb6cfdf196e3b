"""Intake storage: dossiers as submitted, their documents, uploads, drafts, the daily sequences behind the
codes, and the queries the use cases need (each runs in the caller's session or connection)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Date, Index, Integer, String, Table, Text, bindparam, func, select, update

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
    Column(
        "added_at", UTCDateTime, nullable=True
    ),  # when a later version arrived (None: filed with the dossier)
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

# The work queue's search by applicant (services/intake/domain/search.py): one row per term of a dossier (a word of
# the applicant's name without diacritics, the ID number, the contact phone), written with the dossier. Keyed by
# term first: a look-up is an index seek on (term, agency), whatever the number of dossiers.
dossier_search_terms = Table(
    "dossier_search_terms",
    metadata,
    Column("term", String(100), primary_key=True),
    Column("agency_code", String(30), primary_key=True),
    Column("dossier_code", String(60), primary_key=True),
)

# Idempotency-Key on creates (submissions, drafts, uploads): services/chassis/idempotency.py
idempotency_keys = idempotency.add_table(metadata)


def next_sequence(bind, agency_code: str, day: date) -> int:
    """Take the next daily number for an agency, atomically: one upsert, on a session or a connection.

    The row stays locked until the transaction that took the number ends (see `take_number`); a submission
    that fails afterwards leaves a gap in the day's numbers. A number is never given twice.
    """
    dialect = bind.get_bind().dialect.name if hasattr(bind, "get_bind") else bind.dialect.name

    def build():
        return (
            dialect_insert(bind, dossier_sequences)
            .values(agency_code=bindparam("agency"), day=bindparam("day"), last_value=1)
            .on_conflict_do_update(
                index_elements=[dossier_sequences.c.agency_code, dossier_sequences.c.day],
                set_={"last_value": dossier_sequences.c.last_value + 1},
            )
            .returning(dossier_sequences.c.last_value)
        )

    return bind.execute(
        prebuilt(("intake.next_sequence", dialect), build), {"agency": agency_code, "day": day}
    ).scalar_one()


def take_number(db, session, agency_code: str, day: date) -> int:
    """The dossier's daily number. On PostgreSQL in a short transaction of its own (autocommit, one
    statement): the counter row is locked for one round trip, not for the whole submission, which would make
    every submission to the agency wait for the one before it to commit. SQLite serialises writers anyway and
    has one connection: there it is taken in the submission's transaction (`session`)."""
    if db.engine.dialect.name != "postgresql":
        return next_sequence(session, agency_code, day)
    with db.autocommit() as conn:
        return next_sequence(conn, agency_code, day)


# -- dossiers ------------------------------------------------------------------------------------------------
def find_dossier(session, code: str) -> dict | None:
    query = prebuilt(
        ("intake.find_dossier",), lambda: select(dossiers).where(dossiers.c.code == bindparam("code"))
    )
    row = session.execute(query, {"code": code}).mappings().first()
    return dict(row) if row else None


def insert_dossier(session, values: dict[str, Any]) -> None:
    session.execute(prebuilt(("intake.dossiers.insert",), dossiers.insert), values)


def insert_search_terms(session, dossier_code: str, agency_code: str, terms: list[str]) -> None:
    """The terms a dossier is found by in the officers' queue search."""
    if terms:
        session.execute(
            dossier_search_terms.insert(),
            [{"term": t, "agency_code": agency_code, "dossier_code": dossier_code} for t in terms],
        )


def find_by_terms(conn, terms: list[str], agencies: list[str], limit: int) -> list[str]:
    """Codes of the dossiers received by `agencies` that hold every one of `terms`, newest code first."""
    table = dossier_search_terms
    query = (
        select(table.c.dossier_code)
        .where(table.c.term.in_(terms), table.c.agency_code.in_(agencies))
        .group_by(table.c.dossier_code)
        .having(func.count(func.distinct(table.c.term)) == len(terms))
        .order_by(table.c.dossier_code.desc())
        .limit(limit)
    )
    return list(conn.execute(query).scalars().all())


def applicants_of(conn, codes: list[str]) -> list[dict]:
    """Who filed each of these dossiers (code, name, ID number; nothing else)."""
    query = select(dossiers.c.code, dossiers.c.applicant_name, dossiers.c.applicant_id_number).where(
        dossiers.c.code.in_(codes)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def insert_documents(session, dossier_code: str, resolved) -> None:
    """The documents a dossier is filed with (version 1 each); an upload cited becomes used by the dossier."""
    for item in resolved:
        session.execute(
            prebuilt(("intake.documents.insert",), dossier_documents.insert),
            dict(
                dossier_code=dossier_code,
                requirement_code=item.requirement_code,
                source=item.source,
                registry_document_id=item.registry_document_id,
                upload_id=item.upload_id,
                sha256=item.sha256,
            ),
        )
        if item.upload_id:
            mark_upload_used(session, item.upload_id, dossier_code)


def documents_of(conn, dossier_code: str) -> list[dict]:
    """Every version of every document of a dossier, with its upload's file details, in the order added."""
    docs, ups = dossier_documents, uploads
    query = prebuilt(
        ("intake.dossier_documents",),
        lambda: (
            select(docs, ups.c.file_name, ups.c.media_type, ups.c.size_bytes)
            .select_from(docs.outerjoin(ups, ups.c.id == docs.c.upload_id))
            .where(docs.c.dossier_code == bindparam("code"))
            .order_by(docs.c.id)
        ),
    )
    return [dict(r) for r in conn.execute(query, {"code": dossier_code}).mappings()]


def document_rows(session, dossier_code: str) -> list[dict]:
    table = dossier_documents
    rows = session.execute(select(table).where(table.c.dossier_code == dossier_code)).mappings()
    return [dict(r) for r in rows]


def last_version(session, dossier_code: str, requirement_code: str) -> int:
    table = dossier_documents
    return session.execute(
        select(func.coalesce(func.max(table.c.version), 0)).where(
            table.c.dossier_code == dossier_code, table.c.requirement_code == requirement_code
        )
    ).scalar_one()


def insert_document_version(session, row: dict[str, Any]) -> None:
    session.execute(dossier_documents.insert().values(**row))


def dossiers_of(session, id_number: str, limit: int, before: tuple[datetime, str] | None) -> list[dict]:
    """An applicant's dossiers, newest first, at most `limit`; only those before `(submitted_at, code)`
    when given."""
    table = dossiers
    query = select(
        table.c.code,
        table.c.procedure_code,
        table.c.receiving_agency_code,
        table.c.channel,
        table.c.submitted_at,
    ).where(table.c.applicant_id_number == id_number)
    if before is not None:
        at, code = before
        query = query.where(
            (table.c.submitted_at < at) | ((table.c.submitted_at == at) & (table.c.code < code))
        )
    rows = session.execute(query.order_by(table.c.submitted_at.desc(), table.c.code.desc()).limit(limit))
    return [dict(r) for r in rows.mappings()]


# -- uploads -------------------------------------------------------------------------------------------------
def insert_upload(session, values: dict[str, Any]) -> None:
    session.execute(uploads.insert().values(**values))


def unused_uploads(session, owner: str, ids: list[str]) -> dict[str, dict]:
    """The owner's uploads among `ids` that no dossier uses yet, by id."""
    if not ids:
        return {}
    rows = (
        session.execute(
            select(uploads).where(
                uploads.c.id.in_(ids), uploads.c.owner == owner, uploads.c.used_by.is_(None)
            )
        )
        .mappings()
        .all()
    )
    return {r["id"]: dict(r) for r in rows}


def owned_upload(session, upload_id: str, owner: str) -> dict | None:
    found = (
        session.execute(select(uploads).where(uploads.c.id == upload_id, uploads.c.owner == owner))
        .mappings()
        .first()
    )
    return dict(found) if found else None


def mark_upload_used(session, upload_id: str, dossier_code: str) -> None:
    session.execute(update(uploads).where(uploads.c.id == upload_id).values(used_by=dossier_code))


# -- drafts --------------------------------------------------------------------------------------------------
def insert_draft(session, values: dict[str, Any]) -> None:
    session.execute(drafts.insert().values(**values))


def update_draft(session, draft_id: str, owner: str, **values: Any) -> int:
    """Rows changed: 0 when the owner has no such draft."""
    return session.execute(
        update(drafts).where(drafts.c.id == draft_id, drafts.c.owner == owner).values(**values)
    ).rowcount


def find_draft(session, draft_id: str, owner: str) -> dict | None:
    found = (
        session.execute(select(drafts).where(drafts.c.id == draft_id, drafts.c.owner == owner))
        .mappings()
        .first()
    )
    return dict(found) if found else None


def drafts_of(session, owner: str) -> list[dict]:
    rows = session.execute(select(drafts).where(drafts.c.owner == owner).order_by(drafts.c.updated_at.desc()))
    return [dict(r) for r in rows.mappings()]


def delete_draft(session, draft_id: str, owner: str) -> int:
    """Rows deleted: 0 when the owner has no such draft."""
    return session.execute(drafts.delete().where(drafts.c.id == draft_id, drafts.c.owner == owner)).rowcount
