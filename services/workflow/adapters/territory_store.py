"""The territory's tables (admin_units, agencies, catalogue_names, unit_changes): read whole for the catalogue,
seeded once from the units file, written by the administrator's changes. Rules in domain/units.py."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from services.chassis.statements import dialect_insert
from services.workflow.adapters.storage import admin_units, agencies, bump_mark, catalogue_names, unit_changes

FILE = "file"
ADMIN = "admin"
SEEDER = "system"


def load(session) -> tuple[list[dict], list[dict], list[dict]]:
    """Every unit, agency and name, in a stable order (codes; names by first day, then as recorded)."""
    units = session.execute(select(admin_units).order_by(admin_units.c.code)).mappings().all()
    found = session.execute(select(agencies).order_by(agencies.c.code)).mappings().all()
    names = (
        session.execute(select(catalogue_names).order_by(catalogue_names.c.valid_from, catalogue_names.c.id))
        .mappings()
        .all()
    )
    return [dict(r) for r in units], [dict(r) for r in found], [dict(r) for r in names]


def seeded_model(session) -> dict | None:
    """What the seeding recorded (model, levels), None before the territory was seeded."""
    row = session.execute(
        select(unit_changes.c.details).where(unit_changes.c.change == "seeded").order_by(unit_changes.c.id)
    ).first()
    return json.loads(row[0]) if row else None


def seed(session, rows: tuple[list[dict], list[dict], list[dict]], model: str, levels, now: datetime) -> int:
    """The units file's territory, once: rows already there are left alone (two replicas starting together: the
    second inserts nothing and records nothing). How many units were inserted."""
    units, found, names = rows
    stamp = {"created_by": SEEDER, "created_at": now}
    inserted = 0
    for unit in units:
        inserted += _insert_once(session, admin_units, {**unit, "source": FILE, **stamp})
    if not inserted:
        return 0
    for agency in found:
        _insert_once(session, agencies, {**agency, "source": FILE, **stamp})
    for name in names:
        session.execute(catalogue_names.insert().values(**name, basis="", changed_by=SEEDER, changed_at=now))
    record(
        session,
        "seeded",
        model,
        None,
        {"model": model, "levels": list(levels), "units": len(units), "agencies": len(found)},
        SEEDER,
        now,
    )
    return inserted


def _insert_once(session, table, values: dict) -> int:
    key = list(table.primary_key.columns)
    statement = dialect_insert(session, table).values(**values).on_conflict_do_nothing(index_elements=key)
    return int(session.execute(statement).rowcount or 0)


def add_unit(session, unit: dict[str, Any], who: str, now: datetime) -> None:
    session.execute(admin_units.insert().values(**unit, source=ADMIN, created_by=who, created_at=now))


def add_agency(session, agency: dict[str, Any], who: str, now: datetime) -> None:
    session.execute(agencies.insert().values(**agency, source=ADMIN, created_by=who, created_at=now))


def add_name(session, entity: str, code: str, name: str, valid_from: date, basis: str, who: str, now) -> None:
    session.execute(
        catalogue_names.insert().values(
            entity=entity,
            code=code,
            name=name,
            valid_from=valid_from,
            basis=basis,
            changed_by=who,
            changed_at=now,
        )
    )


def end_unit(session, code: str, last_day: date, successor: str) -> None:
    """A merged unit: in force until `last_day`, followed by `successor`."""
    session.execute(
        admin_units.update().where(admin_units.c.code == code).values(valid_to=last_day, successor=successor)
    )


def record(session, change: str, code: str, effective_on, details: dict, who: str, now: datetime) -> int:
    """A line of the territory's change log (it moves the mark every replica checks)."""
    result = session.execute(
        unit_changes.insert().values(
            change=change,
            code=code,
            effective_on=effective_on,
            details=json.dumps(details, ensure_ascii=False, default=str),
            changed_by=who,
            changed_at=now,
        )
    )
    bump_mark(session, "units")
    return int(result.inserted_primary_key[0])


def changes(session, code: str | None = None, limit: int = 200) -> list[dict]:
    """The change log, newest first (of one unit or agency code when given)."""
    query = select(unit_changes).order_by(unit_changes.c.id.desc()).limit(limit)
    if code is not None:
        query = query.where(unit_changes.c.code == code)
    return [dict(r) for r in session.execute(query).mappings().all()]


def count_units(session) -> int:
    return int(session.execute(select(func.count()).select_from(admin_units)).scalar_one())
