"""Legal time, first cut: due dates in plain working days (Monday to Friday), explained.

Holiday calendars, the cut-off hour and clock stops come with the workflow issue; the interface stays.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LEGAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
END_OF_DAY = time(17, 0)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def add_working_days(start: date, days: int) -> tuple[date, list[date]]:
    """The working day `days` working days after `start`, and the days skipped on the way."""
    current, skipped, counted = start, [], 0
    while counted < days:
        current += timedelta(days=1)
        if is_working_day(current):
            counted += 1
        else:
            skipped.append(current)
    return current, skipped


def due_at(received_at: datetime, processing_days: int) -> tuple[datetime, dict]:
    """Due date (end of the working day, legal time zone) and its explanation."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    local = received_at.astimezone(LEGAL_TZ)
    start = local.date()
    due_day, skipped = add_working_days(start, processing_days)
    due = datetime.combine(due_day, END_OF_DAY, tzinfo=LEGAL_TZ)
    explanation = {
        "received_local": local.isoformat(),
        "start_day": start.isoformat(),
        "working_days": processing_days,
        "skipped_days": [d.isoformat() for d in skipped],
        "due_local": due.isoformat(),
        "rule": "plain working days (Mon-Fri)",
    }
    return due, explanation
