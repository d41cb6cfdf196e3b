"""The deadline timer reads only the cases it can flag (services/workflow/use_cases/deadlines.py `_candidates`):
exactly those the loop over every open case would announce as overdue or due soon, on random due dates around
days off (a weekend, Tết 2026) and flags already set or not."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from random import Random
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from services.chassis.clock import LEGAL_TZ
from services.workflow.adapters import datafiles, storage
from services.workflow.dependencies import DATA_DIR
from services.workflow.domain.legal_time import LegalClock
from services.workflow.use_cases import deadlines

CLOCK = LegalClock(datafiles.load_calendar(DATA_DIR / "calendars", "NB"))
NOWS = [
    datetime(2026, 11, 27, 16, 30, tzinfo=LEGAL_TZ),  # a Friday afternoon
    datetime(2026, 11, 28, 9, 0, tzinfo=LEGAL_TZ),  # a Saturday
    datetime(2026, 2, 13, 10, 0, tzinfo=LEGAL_TZ),  # the last working day before Tết 2026
    datetime(2026, 12, 2, 23, 59, tzinfo=LEGAL_TZ),  # a Wednesday, a minute before midnight
]


def would_flag(case: dict, now: datetime, soon: int) -> bool:
    """What the timer's loop acts on, read from every open case as it was before the filter."""
    left = CLOCK.working_days_left(now, case["due_at"])
    overdue = case["due_at"] < now and case["overdue_flagged_at"] is None
    return overdue or (0 <= left <= soon and case["due_soon_flagged_at"] is None)


@pytest.mark.parametrize("soon", [1, 2, 5])
@pytest.mark.parametrize("now", NOWS, ids=lambda n: n.isoformat())
def test_the_candidates_are_exactly_the_cases_the_timer_would_flag(now, soon):
    engine = create_engine("sqlite://")
    storage.metadata.create_all(engine)
    rng = Random(now.toordinal())
    utc_now = now.astimezone(timezone.utc)
    with Session(engine) as session:
        for i in range(600):
            due = utc_now + timedelta(minutes=rng.randint(-6 * 1440, 12 * 1440))
            flag = due - timedelta(hours=1)
            session.execute(
                storage.cases.insert().values(
                    dossier_code=f"D-{i}", procedure_code="P", procedure_version=1, agency_code="A", level="commune",
                    receiving_agency_code="A", applicant_unit_code="U", applicant_ref="r", status="in_progress",
                    submitted_at=utc_now, due_at=due, updated_at=utc_now, due_explanation="{}",
                    overdue_flagged_at=flag if rng.random() < 0.4 else None,
                    due_soon_flagged_at=flag if rng.random() < 0.4 else None,
                )
            )  # fmt: skip
        rows = [dict(r) for r in session.execute(select(storage.cases)).mappings()]
        expected = {r["dossier_code"] for r in rows if would_flag(r, utc_now, soon)}
        found = session.execute(
            select(storage.cases.c.dossier_code).where(
                deadlines._candidates(SimpleNamespace(clock=CLOCK), utc_now, soon)
            )
        )
        assert {r.dossier_code for r in found} == expected and expected
    engine.dispose()
