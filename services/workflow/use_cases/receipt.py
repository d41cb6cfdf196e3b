"""Receipt of filed dossiers: how long a unit has to answer a filing (receive it, ask for completion, or refuse it),
and which waiting dossiers are past that time ("quá hạn tiếp nhận"). Read model over cases; see docs/receipt.md.

The time allowed is a province setting, `receipt_working_days` (a province administrator's value, else
`MOTCUA_RECEIPT_WORKING_DAYS`, else 1 working day; domain/province_settings.py), counted like the
legal clock: a filing on a day off or after the cut-off counts from the next working day, and the time ends at the
end of the last working day). UNSOURCED: the rule of Decree 118/2025/NĐ-CP and Circular 03/2025/TT-VPCP on how
quickly an online filing must be answered was not found in the sources available when this was written; the
default is a setting to check against the official text, not a legal constant.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from sqlalchemy import select

from services.chassis.clock import iso_utc, legal_day, utcnow
from services.workflow.adapters import storage
from services.workflow.domain import province_settings

WAITING = "submitted"  # the receipt queue: filed (or completed after Form 02), not yet received or refused
DEFAULT_WORKING_DAYS = int(province_settings.SETTINGS["receipt_working_days"].default)


def working_days(catalogue=None) -> int:
    """The province's setting (the catalogue's, as of its last refresh); a bad variable stops nothing but falls
    back to the default."""
    if catalogue is not None:
        return int(catalogue.setting("receipt_working_days"))
    return int(province_settings.in_force((), "receipt_working_days", legal_day(utcnow()), os.environ).value)


def due(catalogue, waiting_since: datetime) -> datetime:
    """When the unit must have answered a dossier that entered the receipt queue at `waiting_since`."""
    days = working_days(catalogue)
    return catalogue.clock.deadline(waiting_since, days).due_at.astimezone(timezone.utc)


def waiting_since(case: dict) -> datetime:
    """When the case entered the receipt queue: filed, or sent back completed (the last change of a waiting case;
    nothing else writes a case while it waits)."""
    return case.get("updated_at") or case["submitted_at"]


def view(case: dict, catalogue, now: datetime) -> dict:
    """`receipt_due_at` and `receipt_overdue` of a case (None and False once it left the queue)."""
    if case["status"] != WAITING:
        return {"receipt_due_at": None, "receipt_overdue": False}
    deadline = due(catalogue, waiting_since(case))
    return {"receipt_due_at": iso_utc(deadline), "receipt_overdue": deadline < now}


def annotate(session, catalogue, items: list[dict], now: datetime) -> list[dict]:
    """Add the receipt deadline to the waiting items of a work queue page (one query for the page)."""
    codes = [i["dossier_code"] for i in items if i.get("status") == WAITING]
    rows = {}
    if codes:
        cases = storage.cases
        rows = {
            r["dossier_code"]: dict(r)
            for r in session.execute(
                select(cases.c.dossier_code, cases.c.status, cases.c.submitted_at, cases.c.updated_at).where(
                    cases.c.dossier_code.in_(codes)
                )
            ).mappings()
        }
    for item in items:
        case = rows.get(item["dossier_code"])
        item.update(
            view(case, catalogue, now) if case else {"receipt_due_at": None, "receipt_overdue": False}
        )
    return items


def overdue_by_unit(session, catalogue, now: datetime) -> dict[str, int]:
    """Waiting dossiers past their receipt deadline, per agency holding them (for the gauge)."""
    cases = storage.cases
    counts: dict[str, int] = {}
    for row in session.execute(
        select(
            cases.c.agency_code,
            cases.c.receiving_agency_code,
            cases.c.status,
            cases.c.submitted_at,
            cases.c.updated_at,
        ).where(cases.c.status == WAITING)
    ).mappings():
        if due(catalogue, waiting_since(dict(row))) < now:
            unit = row["agency_code"] or row["receiving_agency_code"]
            counts[unit] = counts.get(unit, 0) + 1
    return counts
