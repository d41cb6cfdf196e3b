"""Statistics, ratings and what a unit merge does to cases: read models over cases (and the writes a merge and a
rating make). The work queue is services/workflow/use_cases/worklist.py; who may merge, and what a merge does to
the territory, services/workflow/use_cases/units.py."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime

from motcua.workflow.v1.events_pb2 import DossierStatusChanged
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy import case as when

from services.chassis.clock import LEGAL_TZ, iso_utc, utcnow
from services.chassis.errors import Forbidden, InvalidInput, NotFound
from services.workflow.adapters import indicator_counts, storage
from services.workflow.domain import indicators

TERMINAL = indicators.TERMINAL


def merge_units(uow, catalogue, sources, successor, effective_on, actor, now) -> int:
    """Record the merges, then move the sources' open cases to the successor's agency of the same kind (logged
    and published): how many moved."""
    territory = catalogue.territory
    _record_merges(uow.session, sources, successor, effective_on, now)
    old_agencies = {a.code: a for a in territory.agencies.values() if a.unit in sources}
    moved = 0
    for case in _open_cases_held_by(uow.session, list(old_agencies)):
        old = old_agencies[case["agency_code"]]
        new = _successor_agency(territory, old, successor)
        _move_case(uow.session, case["dossier_code"], new.code, now)
        reason = f"Sáp nhập {old.unit} vào {successor} từ {effective_on.isoformat()}"
        _log_and_publish_move(uow, case, old.code, new.code, str(actor.get("subject")), reason, now)
        moved += 1
    return moved


def _record_merges(session, sources, successor, effective_on, now) -> None:
    """One merge row per source (a source merged again replaces its row): statistics roll up through them."""
    for source in sources:
        session.execute(storage.unit_merges.delete().where(storage.unit_merges.c.source_unit == source))
        session.execute(
            storage.unit_merges.insert().values(
                source_unit=source, successor_unit=successor, effective_on=effective_on, merged_at=now
            )
        )


def _open_cases_held_by(session, agencies: list[str]) -> list:
    cases = storage.cases
    query = select(cases).where(cases.c.agency_code.in_(agencies), cases.c.status.not_in(TERMINAL))
    return list(session.execute(query).mappings().all())


def _successor_agency(territory, old, successor: str):
    """The successor unit's agency of the same kind as `old`; refused when it has none."""
    new = next((a for a in territory.agencies.values() if a.unit == successor and a.kind == old.kind), None)
    if new is None:
        raise InvalidInput("no_successor_agency", f"Đơn vị {successor} không có cơ quan loại {old.kind}.")
    return new


def _move_case(session, code: str, agency_code: str, now) -> None:
    """The case and its running step, to the new agency (when that step is the first, the agency the case counts
    for in statistics moves with it, as the step does)."""
    steps = storage.case_steps
    first_running = exists().where(steps.c.dossier_code == code, steps.c.seq == 1, steps.c.ended_at.is_(None))
    session.execute(
        storage.cases.update()
        .where(storage.cases.c.dossier_code == code)
        .values(
            agency_code=agency_code,
            updated_at=now,
            first_agency_code=when((first_running, agency_code), else_=storage.cases.c.first_agency_code),
        )
    )
    session.execute(
        storage.case_steps.update()
        .where(storage.case_steps.c.dossier_code == code, storage.case_steps.c.ended_at.is_(None))
        .values(agency_code=agency_code)
    )


def _log_and_publish_move(uow, case, from_agency: str, to_agency: str, actor: str, reason: str, now) -> None:
    """The case's `unit_merged` action log entry and its DossierStatusChanged (the status stays)."""
    code = case["dossier_code"]
    storage.append_action(
        uow.session,
        code,
        action="unit_merged",
        from_status=case["status"],
        to_status=case["status"],
        actor=actor,
        unit=to_agency,
        reason=reason,
        at=now,
        client_txn_id=None,
        params=json.dumps({"from_agency": from_agency, "to_agency": to_agency}),
        attachments="[]",
    )
    change = {
        "dossier_code": code,
        "procedure_code": case["procedure_code"],
        "agency_code": to_agency,
        "from_status": case["status"],
        "to_status": case["status"],
        "action": "unit_merged",
        "level": case["level"],
        "actor": actor,
        "reason": reason,
        "to_agency_code": to_agency,
        "clock_stopped": case["paused_since"] is not None,
    }
    if case["due_at"]:
        change["due_at"] = iso_utc(case["due_at"])
    uow.publish(DossierStatusChanged, change, subject=code)


def _scope(session, catalogue, request: dict) -> tuple[indicators.Scope, dict]:
    """The agencies, level, procedure and period a statistic is about. An unknown unit, agency, level or
    procedure is refused (422), never answered with zeros."""
    territory = catalogue.territory
    described: dict = {"units": None}
    agencies: set[str] | None = None
    unit = request.get("unit")
    if unit:
        units = _rolled_up_unit(session, territory, unit)
        agencies = {a.code for a in territory.agencies.values() if a.unit in units}
        described["units"] = sorted(units)
    agency = request.get("agency")
    if agency:
        _check_agency(territory, agency, agencies, unit)
        agencies = {agency}
    level, procedure = request.get("level"), request.get("procedure_code")
    _check_level(territory, level)
    if procedure and not any(code == procedure for code, _ in catalogue.procedures):
        raise InvalidInput(
            "unknown_procedure", f"Thủ tục {procedure} không tồn tại.", {"field": "procedure_code"}
        )
    first, last = _period(request)
    described["agencies"] = sorted(agencies) if agencies is not None else None
    described["period"] = {
        "from": first.isoformat() if first else None,
        "to": last.isoformat() if last else None,
        "timezone": LEGAL_TZ.key,
    }
    return indicators.Scope(
        agencies=frozenset(agencies) if agencies is not None else None,
        level=level or None,
        procedure_code=procedure or None,
        first=first,
        last=last,
    ), described


def _rolled_up_unit(session, territory, unit: str) -> set:
    """The unit and the units merged into it; an agency code given as a unit is refused with a hint."""
    if unit not in territory.units:
        hint = {"field": "unit"}
        if unit in territory.agencies:
            hint["use"] = "agency"  # an agency code given as a unit: say which parameter it belongs to
            raise InvalidInput(
                "unknown_unit",
                f"{unit} là mã cơ quan, không phải mã đơn vị hành chính; dùng tham số agency.",
                hint,
            )
        raise InvalidInput("unknown_unit", f"Đơn vị hành chính {unit} không tồn tại.", hint)
    return territory.rolled_up(unit, storage.successors(session))


def _check_agency(territory, agency: str, agencies: set[str] | None, unit) -> None:
    """A known agency (a unit code given as an agency is refused with a hint), inside the unit if one is given."""
    if agency not in territory.agencies:
        hint = {"field": "agency"}
        if agency in territory.units:
            hint["use"] = "unit"
            raise InvalidInput(
                "unknown_agency",
                f"{agency} là mã đơn vị hành chính, không phải mã cơ quan; dùng tham số unit.",
                hint,
            )
        raise InvalidInput("unknown_agency", f"Cơ quan {agency} không tồn tại.", hint)
    if agencies is not None and agency not in agencies:
        raise InvalidInput(
            "agency_not_in_unit", f"Cơ quan {agency} không thuộc đơn vị {unit}.", {"field": "agency"}
        )


def _check_level(territory, level) -> None:
    if level and level not in territory.levels:
        raise InvalidInput(
            "unknown_level",
            f"Cấp {level} không có trong mô hình {territory.model} ({', '.join(territory.levels)}).",
            {"field": "level", "allowed": list(territory.levels)},
        )


def _period(request: dict) -> tuple[date | None, date | None]:
    """The first and last day (inclusive) asked for; (None, None): all time."""
    try:
        return indicators.period_bounds(
            request.get("period"), request.get("date_from"), request.get("date_to")
        )
    except indicators.PeriodError as exc:
        raise InvalidInput(exc.code, exc.message, {"field": "period"}) from None


def statistics(session, catalogue, request: dict, now: datetime | None = None) -> dict:
    now = now or utcnow()
    catalogue.refresh(session)
    scope, described = _scope(session, catalogue, request)
    with_fee = {p.code for p in catalogue.procedures.values() if p.fee_vnd > 0}
    counted = indicator_counts.count(session, scope, now, with_fee)
    return {
        "filters": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in request.items() if v},
        **described,
        # The dossier indicators, also at the top level (earlier clients read them there).
        **counted["dossiers"],
        "dossiers": counted["dossiers"],
        "steps": counted["steps"],
    }


def gauges(session, now) -> dict:
    """Open cases per (level, agency, status) and overdue ones per (level, agency): counted by the database."""
    cases = storage.cases
    overdue = and_(cases.c.due_at.is_not(None), cases.c.due_at < now, cases.c.paused_since.is_(None))
    rows = session.execute(
        select(
            cases.c.level,
            cases.c.agency_code,
            cases.c.status,
            func.count(),
            func.coalesce(func.sum(when((overdue, 1), else_=0)), 0),
        )
        .where(cases.c.status.not_in(TERMINAL))
        .group_by(cases.c.level, cases.c.agency_code, cases.c.status)
    ).all()
    open_counts, late = Counter(), Counter()
    for level, unit, status, n, overdue_n in rows:
        open_counts[(level, unit, status)] += n
        if overdue_n:
            late[(level, unit)] += overdue_n
    return {"open": open_counts, "overdue": late}


def logbook(session, unit: str) -> list[dict]:
    rows = (
        session.execute(
            select(storage.cases)
            .where(or_(storage.cases.c.agency_code == unit, storage.cases.c.receiving_agency_code == unit))
            .order_by(storage.cases.c.submitted_at)
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]


def rate(uow, dossier_code: str, body: dict, actor: dict, now: datetime | None = None) -> dict:
    """A citizen's satisfaction rating (1-5) after the result was returned; once per dossier."""
    if actor.get("kind") != "citizen":
        raise Forbidden("citizens_only", "Chỉ người nộp hồ sơ được đánh giá.")
    case = storage.find_case(uow.session, dossier_code)
    if case is None:
        raise NotFound("case_not_found", "Không tìm thấy hồ sơ.")
    if case["status"] != "returned":
        raise InvalidInput("not_returned_yet", "Chỉ đánh giá sau khi đã nhận kết quả.")
    if uow.session.execute(
        select(storage.ratings).where(storage.ratings.c.dossier_code == dossier_code)
    ).first():
        raise InvalidInput("already_rated", "Hồ sơ đã được đánh giá.")
    uow.session.execute(
        storage.ratings.insert().values(
            dossier_code=dossier_code, score=body["score"], comment=body["comment"], rated_at=now or utcnow()
        )
    )
    return {"dossier_code": dossier_code, "score": body["score"]}
