"""The staff directory's queries (tables in adapters/storage.py): an entry by subject (the sign-in's one read, by
primary key), the officers of an agency, writing an entry and its assignment periods."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import bindparam, select, update

from services.chassis.statements import dialect_insert, prebuilt
from services.workflow.adapters.storage import officer_assignments, officers
from services.workflow.domain.staff import Entry, roles_of


def to_entry(row) -> Entry:
    return Entry(
        subject=row["subject"],
        full_name=row["full_name"],
        title=row["title"],
        unit=row["unit"],
        roles=roles_of(json.loads(row["roles"] or "[]")),
        email=row["email"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        source=row["source"],
        revoked=row["revoked_at"] is not None,
    )


def find(session, subject: str, for_update: bool = False) -> dict | None:
    """An officer's row; locked for the rest of the transaction on PostgreSQL when `for_update` (a change)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    lock = for_update and postgres

    def build():
        query = select(officers).where(officers.c.subject == bindparam("s"))
        return query.with_for_update() if lock else query

    row = (
        session.execute(prebuilt(("workflow.officers.find", lock), build), {"s": subject}).mappings().first()
    )
    return dict(row) if row else None


def of_unit(session, unit: str) -> list[dict]:
    rows = session.execute(
        select(officers).where(officers.c.unit == unit).order_by(officers.c.full_name, officers.c.subject)
    ).mappings()
    return [dict(r) for r in rows]


def _values(entry: Entry) -> dict:
    return {
        "full_name": entry.full_name,
        "title": entry.title,
        "unit": entry.unit,
        "roles": json.dumps(list(entry.roles)),
        "email": entry.email,
        "valid_from": entry.valid_from,
        "valid_to": entry.valid_to,
        "source": entry.source,
    }


def insert(session, entry: Entry, by: str, now: datetime) -> bool:
    """A new entry; False (nothing written) when another transaction recorded the officer first."""
    values = {
        "subject": entry.subject,
        **_values(entry),
        "revoked_at": None,
        "revoked_reason": "",
        "created_at": now,
        "updated_at": now,
        "updated_by": by,
    }
    done = session.execute(
        dialect_insert(session, officers).values(**values).on_conflict_do_nothing(index_elements=["subject"])
    )
    return bool(done.rowcount)


def write(session, entry: Entry, by: str, now: datetime) -> None:
    """An existing entry changed (a revoked one admitted again: its revocation cleared)."""
    session.execute(
        update(officers)
        .where(officers.c.subject == entry.subject)
        .values(**_values(entry), revoked_at=None, revoked_reason="", updated_at=now, updated_by=by)
    )


def mark_revoked(session, subject: str, reason: str, by: str, now: datetime) -> None:
    session.execute(
        update(officers)
        .where(officers.c.subject == subject)
        .values(revoked_at=now, revoked_reason=reason, updated_at=now, updated_by=by)
    )


def end_assignment(session, subject: str, now: datetime) -> None:
    session.execute(
        update(officer_assignments)
        .where(officer_assignments.c.subject == subject, officer_assignments.c.ended_at.is_(None))
        .values(ended_at=now)
    )


def open_assignment(session, entry: Entry, change: str, by: str, reason: str, now: datetime) -> None:
    session.execute(
        officer_assignments.insert().values(
            subject=entry.subject,
            unit=entry.unit,
            roles=json.dumps(list(entry.roles)),
            title=entry.title,
            change=change,
            started_at=now,
            ended_at=None,
            changed_by=by,
            reason=reason,
        )
    )


def assignments(session, subject: str) -> list[dict]:
    rows = session.execute(
        select(officer_assignments)
        .where(officer_assignments.c.subject == subject)
        .order_by(officer_assignments.c.id)
    ).mappings()
    return [dict(r) for r in rows]
