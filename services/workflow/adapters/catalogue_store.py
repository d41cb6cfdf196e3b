"""The procedure catalogue's queries (tables in adapters/storage.py; the mark every replica compares before using
the catalogue is storage.catalogue_mark): the versions in force or once in force (what the in-memory catalogue holds), every version of a code,
writing versions and changes."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update

from services.workflow.adapters.storage import bump_mark, catalogue_changes, procedure_versions
from services.workflow.domain import catalogue
from services.workflow.domain.catalogue import DRAFT, Procedure
from services.workflow.domain.catalogue_import import Stored, digest


def loaded(session) -> dict[tuple[str, int], Procedure]:
    """Every version but the drafts (withdrawn ones too: dossiers filed under them keep them), by (code, version)."""
    rows = session.execute(
        select(
            procedure_versions.c.status, procedure_versions.c.valid_from, procedure_versions.c.definition
        ).where(procedure_versions.c.status != DRAFT)
    )
    found = {}
    for status, valid_from, text in rows:
        procedure = catalogue.from_definition(
            {**json.loads(text), "valid_from": valid_from.isoformat()}, status
        )
        found[(procedure.code, procedure.version)] = procedure
    return found


def empty(session) -> bool:
    return session.execute(select(procedure_versions.c.code).limit(1)).first() is None


def stored(session) -> list[Stored]:
    """What an import compares a file with: every version's code, number, status and digest."""
    table = procedure_versions
    rows = session.execute(select(table.c.code, table.c.version, table.c.status, table.c.digest))
    return [Stored(code, version, status, found) for code, version, status, found in rows]


def versions(session, code: str) -> list[dict]:
    """Every version of `code`, newest first."""
    rows = session.execute(
        select(procedure_versions)
        .where(procedure_versions.c.code == code)
        .order_by(procedure_versions.c.version.desc())
    ).mappings()
    return [dict(r) for r in rows]


def version_for_update(session, code: str, version: int) -> dict | None:
    """One version, locked for the rest of the transaction on PostgreSQL (a publication or a withdrawal)."""
    query = select(procedure_versions).where(
        procedure_versions.c.code == code, procedure_versions.c.version == version
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).mappings().first()
    return dict(row) if row else None


def summaries(session) -> list[dict]:
    """Code, version, status, effective date, name and field of every version (the administrators' list)."""
    table = procedure_versions
    rows = session.execute(
        select(table.c.code, table.c.version, table.c.status, table.c.valid_from, table.c.name, table.c.field)
    ).mappings()
    return [dict(r) for r in rows]


def add_change(session, kind: str, by: str, at: datetime, details: dict[str, Any]) -> int:
    inserted = session.execute(
        catalogue_changes.insert().values(
            kind=kind, at=at, by=by, details=json.dumps(details, ensure_ascii=False, sort_keys=True)
        )
    )
    bump_mark(session, "catalogue")
    return int(inserted.inserted_primary_key[0])


def add_versions(session, procedures: list[Procedure], change_id: int, by: str, at: datetime) -> None:
    """Insert versions (one statement, executemany); a (code, version) taken meanwhile raises IntegrityError."""
    if not procedures:
        return
    session.execute(
        procedure_versions.insert(),
        [
            {
                "code": p.code,
                "version": p.version,
                "status": p.status,
                "valid_from": p.valid_from,
                "name": p.name.get("vi", ""),
                "field": (p.field or {}).get("vi", ""),
                "definition": json.dumps(catalogue.definition(p), ensure_ascii=False, sort_keys=True),
                "digest": digest(p),
                "change_id": change_id,
                "created_at": at,
                "created_by": by,
                "published_at": at if p.status == catalogue.PUBLISHED else None,
                "published_by": by if p.status == catalogue.PUBLISHED else None,
            }
            for p in procedures
        ],
    )


def set_published(session, code: str, version: int, valid_from: date, by: str, at: datetime) -> None:
    session.execute(
        update(procedure_versions)
        .where(procedure_versions.c.code == code, procedure_versions.c.version == version)
        .values(status=catalogue.PUBLISHED, valid_from=valid_from, published_at=at, published_by=by)
    )


def set_withdrawn(session, code: str, version: int, reason: str, by: str, at: datetime) -> None:
    session.execute(
        update(procedure_versions)
        .where(procedure_versions.c.code == code, procedure_versions.c.version == version)
        .values(status=catalogue.WITHDRAWN, withdrawn_at=at, withdrawn_by=by, withdrawn_reason=reason)
    )


def seed_change(session) -> dict | None:
    """The catalogue's seed (the procedures file it started from), if it was seeded."""
    row = (
        session.execute(select(catalogue_changes).where(catalogue_changes.c.kind == "seed").limit(1))
        .mappings()
        .first()
    )
    return {**dict(row), "details": json.loads(row["details"])} if row else None
