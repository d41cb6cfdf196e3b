"""Administrative units and agencies kept by a province administrator at run time (docs/province-admin.md): the
territory with its names and dates, a unit created from a day with its agencies, a unit (and its agencies) renamed
from a day, units merged into a successor. Each change is audited in the hash chain (`unit.created`,
`unit.renamed`, `unit.merged`), logged in `unit_changes` (whose newest id every replica checks before it answers:
services/workflow/dependencies.py) and in force on this replica before the answer. Rules in domain/units.py.

What was issued or routed before a change stays as it was: a renamed unit's forms issued before print its old name,
dossiers routed before a creation stay where they are; a merger moves the open dossiers of the merged units at once
(statistics.merge_units, as it always did) and their applicants are routed to the successor from the day it takes
over."""

from __future__ import annotations

import json
from datetime import date, datetime

from services.chassis.clock import legal_day, utcnow
from services.chassis.errors import InvalidInput, NotFound
from services.workflow.adapters import portal, territory_store
from services.workflow.domain import units as rules
from services.workflow.use_cases import calendar, statistics

TASK = "quản lý đơn vị hành chính"


def _refused(exc: rules.UnitChangeRefused) -> InvalidInput:
    return InvalidInput(exc.code, exc.message, {"field": exc.field} if exc.field else None)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _names(entity) -> list[dict]:
    return [{"name": name, "valid_from": first.isoformat()} for first, name in entity.names]


def unit_view(territory, unit, today: date) -> dict:
    """A unit as the administrator sees it: names (today's and every dated one), dates, successor, agencies."""
    return {
        "code": unit.code,
        "name": unit.name,
        "level": unit.level,
        "parent": unit.parent,
        "valid_from": _day(unit.valid_from),
        "valid_to": _day(unit.valid_to),
        "successor": unit.successor,
        "in_force": unit.in_force(today),
        "names": _names(unit),
        "agencies": [
            {
                "code": a.code,
                "name": a.name,
                "kind": a.kind,
                "valid_from": _day(a.valid_from),
                "valid_to": _day(a.valid_to),
                "in_force": a.in_force(today) and unit.in_force(today),
                "names": _names(a),
            }
            for a in territory.agencies.values()
            if a.unit == unit.code
        ],
    }


def listing(session, catalogue, now: datetime | None = None) -> dict:
    """Every unit (top level first, then by code) with its agencies; the levels and agency kinds a new one may
    take; the newest changes."""
    territory, today = catalogue.territory, legal_day(now or utcnow())
    depth = {level: i for i, level in enumerate(territory.levels)}
    ordered = sorted(territory.units.values(), key=lambda u: (depth.get(u.level, 99), u.code))
    return {
        "model": territory.model,
        "levels": list(territory.levels),
        "kinds": sorted(catalogue.kinds()),
        "today": today.isoformat(),
        "units": [unit_view(territory, u, today) for u in ordered],
        "changes": [_change(c) for c in territory_store.changes(session, limit=50)],
    }


def detail(session, catalogue, code: str, now: datetime | None = None) -> dict:
    """One unit with its change log (who, when, the legal basis). NotFound for an unknown code."""
    unit = catalogue.territory.units.get(code)
    if unit is None:
        raise NotFound("unit_not_found", f"Không có đơn vị {code}.")
    view = unit_view(catalogue.territory, unit, legal_day(now or utcnow()))
    codes = [code, *(a["code"] for a in view["agencies"])]
    log = [c for found in codes for c in territory_store.changes(session, found)]
    view["changes"] = [_change(c) for c in sorted(log, key=lambda c: -c["id"])]
    return view


def _change(row: dict) -> dict:
    return {
        "id": row["id"],
        "change": row["change"],
        "code": row["code"],
        "effective_on": _day(row["effective_on"]),
        "details": json.loads(row["details"] or "{}"),
        "changed_by": row["changed_by"],
        "changed_at": row["changed_at"].isoformat(),
    }


def create(uow, catalogue, body: dict, actor: dict, now: datetime | None = None) -> dict:
    """A unit in force from `valid_from` (today or later) under its parent, with its agencies (each from the same
    day). Audited `unit.created`."""
    calendar.check_admin(catalogue, actor, TASK)
    now, who = now or utcnow(), str(actor.get("subject") or "")
    asked = rules.NewUnit(
        code=body["code"],
        name=body["name"],
        level=body["level"],
        parent=body["parent"],
        valid_from=body["valid_from"],
        source=body["source"],
        agencies=tuple(rules.NewAgency(a["code"], a["name"], a["kind"]) for a in body.get("agencies") or ()),
    )
    try:
        new = rules.check_new_unit(catalogue.territory, asked, legal_day(now), catalogue.kinds())
    except rules.UnitChangeRefused as exc:
        raise _refused(exc) from None
    session = uow.session
    unit = {"code": new.code, "level": new.level, "parent": new.parent, "valid_from": new.valid_from}
    territory_store.add_unit(session, unit, who, now)
    territory_store.add_name(session, "unit", new.code, new.name, new.valid_from, new.source, who, now)
    for agency in new.agencies:
        row = {"code": agency.code, "unit": new.code, "kind": agency.kind, "valid_from": new.valid_from}
        territory_store.add_agency(session, row, who, now)
        territory_store.add_name(
            session, "agency", agency.code, agency.name, new.valid_from, new.source, who, now
        )
    details = {
        "name": new.name,
        "level": new.level,
        "parent": new.parent,
        "source": new.source,
        "agencies": [{"code": a.code, "name": a.name, "kind": a.kind} for a in new.agencies],
    }
    territory_store.record(session, "created", new.code, new.valid_from, details, who, now)
    uow.audit(
        f"officer:{who}", "unit.created", new.code, {**details, "valid_from": new.valid_from.isoformat()}
    )
    catalogue.refresh(session, force=True)
    return detail(session, catalogue, new.code, now)


def rename(uow, catalogue, code: str, body: dict, actor: dict, now: datetime | None = None) -> dict:
    """A unit's new name from `valid_from` (today or later), and its agencies' if given; the names before stay for
    what was issued before. Audited `unit.renamed`."""
    calendar.check_admin(catalogue, actor, TASK)
    now, who = now or utcnow(), str(actor.get("subject") or "")
    territory, valid_from = catalogue.territory, body["valid_from"]
    wanted = {a["code"]: a["name"] for a in body.get("agencies") or ()}
    try:
        name, agencies = rules.check_rename(territory, code, body["name"], valid_from, legal_day(now), wanted)
        source = rules.check_source(body["source"])
    except rules.UnitChangeRefused as exc:
        raise _refused(exc) from None
    session, unit = uow.session, territory.units[code]
    before = {
        "name": unit.name_on(valid_from),
        "agencies": {c: territory.agencies[c].name_on(valid_from) for c in agencies},
    }
    if name != before["name"]:
        territory_store.add_name(session, "unit", code, name, valid_from, source, who, now)
    for agency_code, agency_name in agencies.items():
        territory_store.add_name(session, "agency", agency_code, agency_name, valid_from, source, who, now)
    details = {"name": name, "agencies": agencies, "before": before, "source": source}
    territory_store.record(session, "renamed", code, valid_from, details, who, now)
    uow.audit(f"officer:{who}", "unit.renamed", code, {**details, "valid_from": valid_from.isoformat()})
    catalogue.refresh(session, force=True)
    return detail(session, catalogue, code, now)


def merge(uow, catalogue, body: dict, actor: dict, sync=None, now: datetime | None = None) -> dict:
    """Units merged into a successor from `effective_on` (a province administrator, ADR 0008): each source ends
    the day before, its applicants are routed to the successor from then, statistics roll up into it; open cases
    held by the sources' agencies move to the successor's agency of the same kind now. Audited `unit.merged`."""
    calendar.check_admin(catalogue, actor, TASK)
    now, who = now or utcnow(), str(actor.get("subject") or "")
    sources, successor, effective_on = list(body["sources"]), body["successor"], body["effective_on"]
    try:
        rules.check_merge(catalogue.territory, sources, successor, effective_on)
        source = rules.check_source(body["source"]) if body.get("source") else ""
    except rules.UnitChangeRefused as exc:
        raise _refused(exc) from None
    moved = statistics.merge_units(uow, catalogue, sources, successor, effective_on, actor, now)
    session = uow.session
    for code in sources:
        territory_store.end_unit(session, code, rules.last_day_before(effective_on), successor)
    details = {"sources": sources, "successor": successor, "moved_cases": moved, "source": source}
    territory_store.record(session, "merged", successor, effective_on, details, who, now)
    uow.audit(
        f"officer:{who}", "unit.merged", successor, {**details, "effective_on": effective_on.isoformat()}
    )
    portal.record_changes(uow, sync)
    catalogue.refresh(session, force=True)
    return {"successor": successor, "moved_cases": moved}
