"""Queues, statistics and unit merges: read models over cases (and the one write a merge makes)."""
from __future__ import annotations

import base64
import json
from collections import Counter
from datetime import date, datetime, timedelta, timezone

from motcua.workflow.v1.events_pb2 import DossierStatusChanged
from sqlalchemy import and_, or_, select

from services.chassis.errors import InvalidInput
from services.workflow import storage

TERMINAL = ("refused", "returned", "stopped", "withdrawn")


def _iso(value):
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else None


def _cursor(due_at, code) -> str:
    return base64.urlsafe_b64encode(json.dumps([_iso(due_at), code]).encode()).decode()


def work_queue(session, catalogue, unit, status, procedure_code, due, limit, after, now) -> dict:
    cases = storage.cases
    # A service centre's queue also holds what nobody could route (the coordination queue).
    held = or_(cases.c.agency_code == unit,
               and_(cases.c.status == "coordination", cases.c.receiving_agency_code == unit))
    query = select(cases).where(held, cases.c.status.not_in(TERMINAL))
    if status:
        query = query.where(cases.c.status == status)
    if procedure_code:
        query = query.where(cases.c.procedure_code == procedure_code)
    if due == "overdue":
        query = query.where(cases.c.due_at < now)
    elif due == "soon":
        query = query.where(cases.c.due_at >= now, cases.c.due_at < now + timedelta(days=3))
    if after:
        try:
            due_text, code = json.loads(base64.urlsafe_b64decode(after.encode()))
            after_due = datetime.fromisoformat(due_text.replace("Z", "+00:00")) if due_text else None
        except (ValueError, TypeError):
            raise InvalidInput("invalid_cursor", "Con trỏ phân trang không hợp lệ.") from None
        if after_due is not None:
            query = query.where(or_(cases.c.due_at > after_due,
                                    and_(cases.c.due_at == after_due, cases.c.dossier_code > code),
                                    cases.c.due_at.is_(None)))
        else:
            query = query.where(cases.c.due_at.is_(None), cases.c.dossier_code > code)
    query = query.order_by(cases.c.due_at.is_(None), cases.c.due_at, cases.c.dossier_code).limit(limit + 1)
    rows = session.execute(query).mappings().all()
    items = [{
        "dossier_code": r["dossier_code"], "procedure_code": r["procedure_code"], "status": r["status"],
        "due_at": _iso(r["due_at"]), "assignee": r["assignee"], "clock_stopped": r["paused_since"] is not None,
        "overdue": bool(r["due_at"] and r["due_at"] < now and r["paused_since"] is None),
        "working_days_left": catalogue.clock.working_days_left(now, r["due_at"]) if r["due_at"] else None,
    } for r in rows[:limit]]
    nxt = _cursor(rows[limit - 1]["due_at"], rows[limit - 1]["dossier_code"]) if len(rows) > limit else None
    return {"items": items, "next": nxt}


def merge_units(uow, catalogue, sources, successor, effective_on, actor, now) -> int:
    territory = catalogue.territory
    for code in [*sources, successor]:
        if code not in territory.units:
            raise InvalidInput("unknown_unit", f"Đơn vị {code} không tồn tại.")
    if successor in sources:
        raise InvalidInput("invalid_request", "Đơn vị kế thừa không thể là đơn vị bị sáp nhập.")
    session = uow.session
    for source in sources:
        session.execute(storage.unit_merges.delete().where(storage.unit_merges.c.source_unit == source))
        session.execute(storage.unit_merges.insert().values(source_unit=source, successor_unit=successor,
                                                            effective_on=effective_on, merged_at=now))
    moved = 0
    old_agencies = {a.code: a for a in territory.agencies.values() if a.unit in sources}
    rows = session.execute(select(storage.cases).where(
        storage.cases.c.agency_code.in_(list(old_agencies)), storage.cases.c.status.not_in(TERMINAL))).mappings().all()
    for case in rows:
        old = old_agencies[case["agency_code"]]
        new = next((a for a in territory.agencies.values() if a.unit == successor and a.kind == old.kind), None)
        if new is None:
            raise InvalidInput("no_successor_agency", f"Đơn vị {successor} không có cơ quan loại {old.kind}.")
        code = case["dossier_code"]
        session.execute(storage.cases.update().where(storage.cases.c.dossier_code == code).values(
            agency_code=new.code, updated_at=now))
        session.execute(storage.case_steps.update().where(
            storage.case_steps.c.dossier_code == code, storage.case_steps.c.ended_at.is_(None)
        ).values(agency_code=new.code))
        reason = f"Sáp nhập {old.unit} vào {successor} từ {effective_on.isoformat()}"
        storage.append_action(session, code, action="unit_merged", from_status=case["status"],
                              to_status=case["status"], actor=str(actor.get("subject")), unit=new.code,
                              reason=reason, at=now, client_txn_id=None,
                              params=json.dumps({"from_agency": old.code, "to_agency": new.code}), attachments="[]")
        change = {"dossier_code": code, "procedure_code": case["procedure_code"], "agency_code": new.code,
                  "from_status": case["status"], "to_status": case["status"], "action": "unit_merged",
                  "level": case["level"], "actor": str(actor.get("subject")), "reason": reason,
                  "to_agency_code": new.code, "clock_stopped": case["paused_since"] is not None}
        if case["due_at"]:
            change["due_at"] = _iso(case["due_at"])
        uow.publish(DossierStatusChanged, change, subject=code)
        moved += 1
    return moved


def _unit_of(catalogue, agency_code: str) -> str | None:
    agency = catalogue.territory.agencies.get(agency_code)
    return agency.unit if agency else None


def statistics(session, catalogue, request: dict, now) -> dict:
    successors = storage.successors(session)
    units = catalogue.territory.rolled_up(request["unit"], successors) if request.get("unit") else None
    rows = session.execute(select(storage.cases)).mappings().all()
    ratings = {r.dossier_code: r.score for r in session.execute(select(storage.ratings)).all()}
    date_from: date | None = request.get("date_from")
    date_to: date | None = request.get("date_to")

    def in_period(moment) -> bool:
        if moment is None:
            return False
        day = moment.astimezone(timezone.utc).date()
        return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)

    counts = Counter()
    scores = []
    for case in rows:
        if units is not None:
            # A case counts for the unit that received it first (its first step) and for that unit's successors.
            steps = storage.steps(session, case["dossier_code"])
            first = _unit_of(catalogue, steps[0]["agency_code"]) if steps else _unit_of(catalogue, case["agency_code"])
            if first not in units and _unit_of(catalogue, case["agency_code"]) not in units:
                continue
        if request.get("level") and case["level"] != request["level"]:
            continue
        if request.get("procedure_code") and case["procedure_code"] != request["procedure_code"]:
            continue
        if in_period(case["received_at"]):
            counts["received"] += 1
        if case["status"] == "returned" and in_period(case["finished_at"]):
            counts[f"finished_{case['outcome'] or 'unknown'}"] += 1
            if case["dossier_code"] in ratings:
                scores.append(ratings[case["dossier_code"]])
        if case["status"] not in TERMINAL:
            counts["in_progress"] += 1
            if case["due_at"] and case["due_at"] < now and case["paused_since"] is None:
                counts["overdue"] += 1
    finished = counts["finished_early"] + counts["finished_on_time"] + counts["finished_late"]
    return {
        "filters": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in request.items()},
        "units": sorted(units) if units is not None else None,
        "received": counts["received"], "finished": finished,
        "finished_early": counts["finished_early"], "finished_on_time": counts["finished_on_time"],
        "finished_late": counts["finished_late"],
        "on_time_rate": round((counts["finished_early"] + counts["finished_on_time"]) / finished, 4) if finished else None,
        "in_progress": counts["in_progress"], "overdue": counts["overdue"],
        "ratings": len(scores), "satisfaction_average": round(sum(scores) / len(scores), 2) if scores else None,
    }


def gauges(session, now) -> dict:
    open_counts, overdue = Counter(), Counter()
    rows = session.execute(select(storage.cases.c.level, storage.cases.c.agency_code, storage.cases.c.status,
                                  storage.cases.c.due_at, storage.cases.c.paused_since)
                           .where(storage.cases.c.status.not_in(TERMINAL))).all()
    for level, unit, status, due_at, paused in rows:
        open_counts[(level, unit, status)] += 1
        if due_at and due_at < now and paused is None:
            overdue[(level, unit)] += 1
    return {"open": open_counts, "overdue": overdue}


def logbook(session, unit: str) -> list[dict]:
    rows = session.execute(select(storage.cases).where(or_(storage.cases.c.agency_code == unit,
                                                           storage.cases.c.receiving_agency_code == unit))
                           .order_by(storage.cases.c.submitted_at)).mappings().all()
    return [dict(r) for r in rows]
