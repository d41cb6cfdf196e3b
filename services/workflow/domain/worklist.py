"""The officers' worklist, as rules: which views a unit's queue has (mine, unassigned, awaiting receipt, due soon,
overdue), where "due soon" ends, how a case is marked ("sắp đến hạn", "quá hạn"), and the keyset cursor of its
pages (next and previous). Plain Python: the SQL is in services/workflow/use_cases/worklist.py.

"Due soon" is counted in working days of the legal calendar, the same for the queue filter, the mark on a row and
the CaseDueSoon event that reminds the assignee and the unit's leaders (`MOTCUA_DUE_SOON_WORKING_DAYS`)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from services.chassis.clock import LEGAL_TZ

VIEWS = ("all", "mine", "unassigned", "awaiting_receipt", "due_soon", "overdue")
MAX_PAGE = 200
EXPORT_MAX = 5000
MAX_DUE_WITHIN = 60


class InvalidCursor(ValueError):
    pass


class Calendar(Protocol):
    def add_working_days(self, start: date, days: int) -> tuple[date, list[date], list[date]]: ...


def soon_until(calendar: Calendar, now: datetime, working_days: int) -> datetime:
    """The instant before which an open case's due date is "due within `working_days` working days" of `now`: the
    start of the day after the `working_days`-th working day after today (Vietnam time). A case due today counts
    (0 days left), so does one due on that last working day or on the days off just before it. The same boundary
    as `LegalClock.working_days_left(now, due_at) <= working_days`."""
    today = now.astimezone(LEGAL_TZ).date()
    last = calendar.add_working_days(today, working_days)[0]
    return datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=LEGAL_TZ)


@dataclass(frozen=True)
class Mark:
    """What a row of the queue shows beside its due date."""

    overdue: bool
    due_soon: bool


def mark(due_at: datetime | None, paused: bool, now: datetime, until: datetime) -> Mark:
    """Overdue: due date passed on a running clock. Due soon: not yet, but before `until` (see soon_until). A
    stopped clock (a supplement asked) is neither: its due date moves when the applicant answers."""
    if due_at is None or paused:
        return Mark(False, False)
    return Mark(due_at < now, now <= due_at < until)


@dataclass(frozen=True)
class Cursor:
    """A position in the queue's order (sort key, dossier code): `after` pages forward, `before` backward."""

    key: datetime | None
    code: str

    def encode(self) -> str:
        key = self.key.isoformat() if self.key is not None else None
        return base64.urlsafe_b64encode(json.dumps([key, self.code]).encode()).decode()

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            key, code = json.loads(base64.urlsafe_b64decode(text.encode()))
            moment = datetime.fromisoformat(key.replace("Z", "+00:00")) if key else None
        except (ValueError, TypeError, binascii.Error, AttributeError, UnicodeError):
            raise InvalidCursor(text) from None
        if not isinstance(code, str) or (moment is not None and moment.tzinfo is None):
            raise InvalidCursor(text)
        return cls(moment, code)


def assignable_states(actions: Iterable[Any]) -> frozenset[str]:
    """States in which a case can be given to a handler: the sources of every action taking an `assignee`."""
    return frozenset(s for a in actions if "assignee" in a.params for s in a.sources)


def receipt_states(actions: Iterable[Any]) -> frozenset[str]:
    """States of a case waiting for receipt: the sources of every action that starts the legal clock."""
    return frozenset(s for a in actions if a.clock == "start" for s in a.sources)


def looks_like_code(text: str) -> bool:
    """A dossier code or a piece of one (`000.00.07.H41-261008`, `0975`): letters, digits, dots and dashes, with
    at least one digit. Names never match; a phone number or an ID number may (they are searched both ways)."""
    stripped = text.strip()
    return (
        2 <= len(stripped) <= 60
        and any(c.isdigit() for c in stripped)
        and all(c.isalnum() or c in ".-" for c in stripped)
    )
