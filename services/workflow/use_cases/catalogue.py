"""The catalogue as clients see it: procedures in force (all, or matching a search), agencies, routing a dossier
to its competent agency, and the process vocabulary (states, actions, roles) the gateway names them by."""

from __future__ import annotations

from datetime import date

from services.chassis.clock import legal_day, utcnow
from services.chassis.errors import InvalidInput
from services.workflow.domain import catalogue


def _today() -> date:
    return legal_day(utcnow())


def procedures(session, cat, today: date | None = None) -> list[dict]:
    """Procedures in force on `today` (default: today in legal time)."""
    cat.refresh(session)
    return [p.to_dict() for p in cat.search.in_force(today or _today())]


def search(session, cat, body: dict, today: date | None = None) -> dict:
    """The search_procedures use case: check the filter values against the model and catalogue in force, then
    search the precomputed index."""
    cat.refresh(session)
    today = today or _today()
    index, levels = cat.search, cat.territory.levels
    if body["level"] and body["level"] not in levels:
        raise InvalidInput(
            "unknown_level",
            f"Cấp {body['level']} không có trong mô hình đang áp dụng ({', '.join(levels)}).",
            {"field": "level", "allowed": list(levels)},
        )
    if body["online"] and body["online"] not in catalogue.MODES:
        raise InvalidInput(
            "unknown_online_mode",
            "Mức độ trực tuyến phải là full (toàn trình) hoặc partial (một phần).",
            {"field": "online", "allowed": sorted(catalogue.MODES)},
        )
    if body["field"] and index.field_named(body["field"]) is None:
        raise InvalidInput(
            "unknown_field",
            f"Lĩnh vực {body['field']} không có trong danh mục.",
            {"field": "field", "allowed": [f.get("vi") for f in index.fields()]},
        )
    found = index.search(today, body["q"], body["level"], body["field"], body["online"])
    return {
        "items": [dict(p.to_dict(), level=index.level_of(p)) for p in found],
        "total": len(index.in_force(today)),
        "levels": list(levels),
        "fields": index.fields(),
        "online_modes": sorted(catalogue.MODES),
    }


def agencies(cat) -> list[dict]:
    """Every agency of the territory with its name today and its dates (none: as long as its unit): those created
    from a later day, and those of ended units, are listed too (the pages name what dossiers went through)."""
    territory = cat.territory
    return [
        {
            "code": a.code,
            "name": a.name,
            "kind": a.kind,
            "unit": a.unit,
            "level": territory.level_of(a),
            "valid_from": a.valid_from.isoformat() if a.valid_from else None,
            "valid_to": a.valid_to.isoformat() if a.valid_to else None,
        }
        for a in sorted(territory.agencies.values(), key=lambda a: a.code)
    ]


def route(session, cat, procedure_code: str, applicant_unit_code: str, today: date | None = None) -> dict:
    """The procedure version in force (on today's legal day, Vietnam time, by default) and the competent
    agency for an applicant living in a unit (a merged unit's applicants: its successor's; a unit not in force
    yet is unknown). InvalidInput `unknown_procedure` or `unknown_unit`."""
    cat.refresh(session)
    today = today or _today()
    procedure = cat.search.current(procedure_code, today)
    if procedure is None:
        raise InvalidInput(
            "unknown_procedure",
            f"Thủ tục {procedure_code} không tồn tại hoặc chưa có hiệu lực.",
            {"field": "procedure_code"},
        )
    territory = cat.territory
    if territory.applicant_unit(applicant_unit_code, today) is None:
        raise InvalidInput(
            "unknown_unit",
            "Địa chỉ của người nộp không thuộc đơn vị hành chính nào của tỉnh.",
            {"field": "applicant.address_unit_code"},
        )
    agency = first_agency(territory, procedure, applicant_unit_code, today)
    service_centre = next((a for a in territory.agencies.values() if a.kind == "service_centre"), None)
    return {
        "procedure": procedure.to_dict(),
        "agency_code": agency.code if agency else "",
        "agency_name": agency.name if agency else "",
        "level": territory.level_of(agency) if agency else "",
        # Dossiers nobody can route are received by the province's service centre for coordination.
        "receiving_agency_code": agency.code
        if agency
        else (service_centre.code if service_centre else "000"),
    }


def first_agency(territory, procedure, applicant_unit_code: str, on: date):
    """The agency a dossier opens in on `on`: the first of the procedure's chain, else the competent one for the
    applicant's unit (or the unit it was merged into); among agencies in force that day. None: nobody."""
    unit = territory.applicant_unit(applicant_unit_code, on)
    if unit is None:
        return None
    if procedure.chain:
        return territory.chain_agency(procedure.chain[0], unit.code, on)
    return territory.competent_agency(procedure, unit.code, on)


def vocabulary(cat) -> dict:
    """Every process definition's states, actions and roles, with the roles and records of all together."""
    processes = {name: p.vocabulary() for name, p in cat.processes.items()}
    roles: dict = {}
    records: dict = {}
    for described in processes.values():
        roles.update(described["roles"])
        records.update(described["records"])
    return {"processes": processes, "roles": roles, "records": records}
