"""The legal clock watched: CaseDueSoon when a case enters its last N working days (the province's setting
`due_soon_working_days`, services/workflow/use_cases/worklist.py: the queue's "sắp đến hạn" mark uses the same) and
CaseOverdue once it passed, each once per case; and what the gauges show (open and overdue cases, filings waiting
past their receipt time). Notify turns both events into reminders to the assignee and the unit's leaders."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from motcua.workflow.v1.events_pb2 import CaseDueSoon, CaseOverdue
from sqlalchemy import and_, or_, select, update

from services.chassis.clock import LEGAL_TZ, iso_utc, legal_day
from services.workflow.adapters import storage
from services.workflow.use_cases import receipt, statistics
from services.workflow.use_cases.worklist import due_soon_days

OPEN = (
    "received",
    "in_progress",
    "awaiting_supplement",
    "approved",
    "rejected",
    "result_ready",
    "coordination",
    "submitted",
)


def check(uow, catalogue, now: datetime) -> dict:
    """Flag and announce the cases due soon or overdue; return the gauges' figures. Replicas may run this
    together: each flag is claimed by a conditional update, so each event is written once."""
    catalogue.refresh(uow.session)
    cases, soon = storage.cases, due_soon_days(catalogue)
    rows = (
        uow.session.execute(
            select(cases).where(
                cases.c.status.in_(OPEN),
                cases.c.due_at.is_not(None),
                cases.c.paused_since.is_(None),
                cases.c.finished_at.is_(None),
                _candidates(catalogue, now, soon),
            )
        )
        .mappings()
        .all()
    )
    for case in rows:
        left = catalogue.clock.working_days_left(now, case["due_at"])
        if case["due_at"] < now and case["overdue_flagged_at"] is None:
            if _claim(uow, case, cases.c.overdue_flagged_at, overdue_flagged_at=now):
                uow.publish(CaseOverdue, _event(case), subject=case["dossier_code"])
        elif 0 <= left <= soon and case["due_soon_flagged_at"] is None:
            if _claim(uow, case, cases.c.due_soon_flagged_at, due_soon_flagged_at=now):
                uow.publish(
                    CaseDueSoon, {**_event(case), "working_days_left": left}, subject=case["dossier_code"]
                )
    return {
        **statistics.gauges(uow.session, now),
        "late_receipts": receipt.overdue_by_unit(uow.session, catalogue, now),
    }


def _candidates(catalogue, now: datetime, soon_days: int):
    """The only cases the loop below can flag, found by the database instead of reading every open case: overdue
    and not announced yet, or due by the `soon_days`-th working day after today (the province's setting) and not
    reminded yet."""
    cases, calendar = storage.cases, catalogue.clock.calendar
    today = legal_day(now)
    last = today
    for _ in range(max(soon_days, 1)):
        last = calendar.next_working_day(last)
    soon_until = datetime.combine(last + timedelta(days=1), time(0), tzinfo=LEGAL_TZ)
    return or_(
        and_(cases.c.overdue_flagged_at.is_(None), cases.c.due_at < now),
        and_(
            cases.c.due_soon_flagged_at.is_(None),
            cases.c.due_at >= datetime.combine(today, time(0), tzinfo=LEGAL_TZ),
            cases.c.due_at < soon_until,
        ),
    )


def _claim(uow, case, flag, **values) -> bool:
    cases = storage.cases
    return bool(
        uow.session.execute(
            update(cases).where(cases.c.dossier_code == case["dossier_code"], flag.is_(None)).values(**values)
        ).rowcount
    )


def _event(case) -> dict:
    return {
        "dossier_code": case["dossier_code"],
        "agency_code": case["agency_code"],
        "level": case["level"],
        "due_at": iso_utc(case["due_at"]),
    }
