"""The officers' worklist over a unit's open cases: views (mine, unassigned, awaiting receipt, due within N working
days, overdue) with their counts in one query of conditional aggregates, filters (status, procedure, a search by
code or among the dossier codes intake found by applicant), keyset pages forward and backward, and the export of a
whole filter. Rules (views, marks, cursors) in services/workflow/domain/worklist.py.

Order: most urgent first, by the due date of received cases and, for dossiers still waiting for receipt (no due
date yet), the time they were filed; then by code. Each row carries its mark ("sắp đến hạn", "quá hạn") and, for a
dossier waiting for receipt, the time the unit has to answer it."""

from __future__ import annotations

import os
from datetime import datetime

from sqlalchemy import and_, case, false, func, or_, select, type_coerce

from services.chassis.clock import iso_utc, legal_day, utcnow
from services.chassis.errors import InvalidInput
from services.chassis.sql import UTCDateTime
from services.workflow.adapters import storage
from services.workflow.domain import indicators, province_settings
from services.workflow.domain import worklist as rules
from services.workflow.use_cases import receipt

# How many working days before its due date a case is "due soon": the queue's filter and mark, and the CaseDueSoon
# event that reminds the assignee and the unit's leaders. The province's choice (no legal source sets it); 2 gives
# the officer a full working day before the last one.
DEFAULT_DUE_SOON_WORKING_DAYS = int(province_settings.SETTINGS["due_soon_working_days"].default)


def due_soon_days(catalogue=None) -> int:
    """The province's setting `due_soon_working_days`: a province administrator's value in force today (as of the
    catalogue's last refresh), else `MOTCUA_DUE_SOON_WORKING_DAYS`; a bad variable falls back to the default."""
    if catalogue is not None:
        return int(catalogue.setting("due_soon_working_days"))
    return int(province_settings.in_force((), "due_soon_working_days", legal_day(utcnow()), os.environ).value)


def _sort_key():
    cases = storage.cases
    return type_coerce(func.coalesce(cases.c.due_at, cases.c.submitted_at), UTCDateTime)


class _Scope:
    """The SQL conditions of one request: the unit's open cases, the filters, each view."""

    def __init__(self, catalogue, unit: str, request: dict, now: datetime):
        cases = storage.cases
        actions = [a for p in catalogue.processes.values() for a in p.actions.values()]
        self.within = request.get("due_within")
        self.within = due_soon_days(catalogue) if self.within is None else self.within
        self.until = rules.soon_until(catalogue.clock.calendar, now, self.within)
        self.now = now
        running = and_(cases.c.due_at.is_not(None), cases.c.paused_since.is_(None))
        self.views = {
            "all": None,
            "mine": cases.c.assignee == request["me"] if request.get("me") else false(),
            "unassigned": and_(
                cases.c.assignee == "", cases.c.status.in_(sorted(rules.assignable_states(actions)))
            ),
            "awaiting_receipt": cases.c.status.in_(sorted(rules.receipt_states(actions))),
            "due_soon": and_(running, cases.c.due_at >= now, cases.c.due_at < self.until),
            "overdue": and_(running, cases.c.due_at < now),
        }
        self.base = [
            # A service centre's queue also holds what nobody could route (the coordination queue).
            or_(
                cases.c.agency_code == unit,
                and_(cases.c.status == "coordination", cases.c.receiving_agency_code == unit),
            ),
            cases.c.status.not_in(indicators.TERMINAL),
            *self._filters(request),
        ]

    def _filters(self, request: dict) -> list:
        cases = storage.cases
        found = []
        if request.get("status"):
            found.append(cases.c.status == request["status"])
        if request.get("procedure_code"):
            found.append(cases.c.procedure_code == request["procedure_code"])
        if request.get("due") == "soon":
            found.append(self.views["due_soon"])
        elif request.get("due") == "overdue":
            found.append(self.views["overdue"])
        if request.get("q"):
            found.append(_search(request["q"], request.get("codes") or []))
        return found

    def where(self, view: str) -> list:
        condition = self.views[view]
        return self.base + ([condition] if condition is not None else [])


def _search(text: str, codes: list[str]):
    """A code (or a piece of one: the day, the daily number), or one of the codes intake found by applicant."""
    cases = storage.cases
    found = [cases.c.dossier_code.in_(codes)] if codes else []
    if rules.looks_like_code(text):
        found.append(func.upper(cases.c.dossier_code).contains(text.strip().upper(), autoescape=True))
    return or_(*found) if found else cases.c.dossier_code.is_(None)  # nothing matches


def counts(session, scope: _Scope) -> dict[str, int]:
    """How many cases each view holds under the filters: one query, one conditional aggregate per view."""
    columns = [
        func.count().label("all")
        if condition is None
        else func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(view)
        for view, condition in scope.views.items()
    ]
    row = session.execute(select(*columns).select_from(storage.cases).where(*scope.base)).mappings().one()
    return {view: int(row[view] or 0) for view in rules.VIEWS}


def _page(session, scope: _Scope, view: str, limit: int, after, before) -> tuple[list, bool]:
    """One page of rows in queue order, and whether there is more in the direction read."""
    cases, key = storage.cases, _sort_key()
    query = select(cases, key.label("sort_key")).where(*scope.where(view))
    if before is not None:
        query = query.where(
            or_(key < before.key, and_(key == before.key, cases.c.dossier_code < before.code))
        ).order_by(key.desc(), cases.c.dossier_code.desc())
    else:
        if after is not None:
            query = query.where(
                or_(key > after.key, and_(key == after.key, cases.c.dossier_code > after.code))
            )
        query = query.order_by(key, cases.c.dossier_code)
    rows = list(session.execute(query.limit(limit + 1)).mappings().all())
    more = len(rows) > limit
    rows = rows[:limit]
    return (rows[::-1] if before is not None else rows), more


def _item(row, catalogue, scope: _Scope) -> dict:
    due_at, paused = row["due_at"], row["paused_since"] is not None
    flags = rules.mark(due_at, paused, scope.now, scope.until)
    return {
        "dossier_code": row["dossier_code"],
        "procedure_code": row["procedure_code"],
        "status": row["status"],
        "agency_code": row["agency_code"],
        "submitted_at": iso_utc(row["submitted_at"]),
        "due_at": iso_utc(due_at),
        "assignee": row["assignee"],
        "clock_stopped": paused,
        "overdue": flags.overdue,
        "due_soon": flags.due_soon,
        "working_days_left": catalogue.clock.working_days_left(scope.now, due_at) if due_at else None,
        **receipt.view(dict(row), catalogue, scope.now),
    }


def _cursor(row) -> str:
    return rules.Cursor(row["sort_key"], row["dossier_code"]).encode()


def _decode(text: str | None):
    if not text:
        return None
    try:
        return rules.Cursor.decode(text)
    except rules.InvalidCursor:
        raise InvalidInput("invalid_cursor", "Con trỏ phân trang không hợp lệ.") from None


def worklist(session, catalogue, unit: str, request: dict, now: datetime | None = None) -> dict:
    """One page of the unit's queue under `request` (a loaded WorklistRequest), with the counts of every view,
    the cursors of the next and previous pages, and how many working days "due soon" means."""
    catalogue.refresh(session)
    scope = _Scope(catalogue, unit, request, now or utcnow())
    view = request.get("view") or "all"
    after, before = _decode(request.get("after")), _decode(request.get("before"))
    rows, more = _page(session, scope, view, request.get("limit") or 50, after, before)
    forward_more = more if before is None else True
    backward_more = (after is not None) if before is None else more
    return {
        "items": [_item(r, catalogue, scope) for r in rows],
        "next": _cursor(rows[-1]) if rows and forward_more else None,
        "previous": _cursor(rows[0]) if rows and backward_more else None,
        "counts": counts(session, scope),
        "view": view,
        "due_within": scope.within,
    }


def export(session, catalogue, unit: str, request: dict, now: datetime | None = None) -> dict:
    """Every row of the filter and view (in queue order, at most EXPORT_MAX), for a download."""
    catalogue.refresh(session)
    scope = _Scope(catalogue, unit, request, now or utcnow())
    rows, more = _page(session, scope, request.get("view") or "all", rules.EXPORT_MAX, None, None)
    return {
        "items": [_item(r, catalogue, scope) for r in rows],
        "truncated": more,
        "due_within": scope.within,
    }


def receipt_agencies(session, unit: str) -> list[str]:
    """The agencies that received the dossiers `unit` holds open: where intake looks for them by applicant (a
    dossier transferred or merged keeps the receiving agency of its filing)."""
    cases = storage.cases
    query = (
        select(cases.c.receiving_agency_code)
        .where(
            or_(
                cases.c.agency_code == unit,
                and_(cases.c.status == "coordination", cases.c.receiving_agency_code == unit),
            ),
            cases.c.status.not_in(indicators.TERMINAL),
        )
        .distinct()
    )
    return sorted({unit, *session.execute(query).scalars().all()})
