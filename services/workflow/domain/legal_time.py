"""The legal-time engine: working days, holidays and make-up days, the cut-off hour, clock stops, per-step
budgets, and an explanation for every due date. Pure: the calendar files are read by
services/workflow/adapters/datafiles.py and their content parsed here.

Rules (DOMAIN.md "Time rules"; configuration, not constants, where marked verify):
- Working days are Monday–Friday, minus public holidays, plus make-up working days (per-year calendars, with
  per-province overrides).
- The clock starts at valid receipt. Received on a non-working day the dossier counts as received on the next
  working day ("effective receipt day"). The day of receipt itself is never counted: a period in days starts on
  the day after the event (Civil Code 91/2015/QH13 art. 147(2)-(3)). No national rule moving a late-afternoon
  receipt to the next day was found in Decree 118/2025/NĐ-CP or Circular 03/2025/TT-VPCP, so there is no cut-off
  by default; a province that decides one sets it (MOTCUA_CUTOFF, e.g. 15:00) and the explanation names it.
- A processing time of N working days ends at the end of the Nth working day after the effective receipt day
  (N = 0: the same day).
- Every calendar entry carries its legal source; a province administrator can publish corrections at run time
  (`WorkCalendar.corrected`), which count for every deadline computed after them.
- A clock stop (supplement requested) removes the working days strictly between the day it stops and the day it
  resumes; the due date moves by exactly that many working days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from services.chassis.clock import LEGAL_TZ

DEFAULT_CUTOFF: time | None = None  # no cut-off unless the province sets one (see the module docstring)
DEFAULT_END_OF_DAY = time(17, 0)


class CalendarError(ValueError):
    """A calendar file is malformed; the message names the file and the problem."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class WorkCalendar:
    holidays: dict[date, str] = field(default_factory=dict)
    makeup_days: dict[date, str] = field(default_factory=dict)
    years: frozenset[int] = frozenset()
    weekend: frozenset[int] = frozenset({5, 6})
    sources: dict[date, str] = field(default_factory=dict)  # the legal source of each listed day

    def corrected(self, corrections: Iterable[Mapping[str, Any]]) -> WorkCalendar:
        """This calendar with published corrections applied in order: each has `day`, `kind` ("day_off" or
        "working_day"), `name` and `source`. A later correction of the same day wins."""
        holidays, makeup, sources = dict(self.holidays), dict(self.makeup_days), dict(self.sources)
        for c in corrections:
            holidays.pop(c["day"], None)
            makeup.pop(c["day"], None)
            if c["kind"] == "day_off":
                holidays[c["day"]] = c["name"]
            elif c["day"].weekday() in self.weekend:  # a weekend day to work (make-up day)
                makeup[c["day"]] = c["name"]
            # a weekday made working again needs only the holiday removed
            sources[c["day"]] = c["source"]
        return WorkCalendar(
            holidays=holidays, makeup_days=makeup, years=self.years, weekend=self.weekend, sources=sources
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_days:
            return True
        if day in self.holidays:
            return False
        return day.weekday() not in self.weekend

    def why_not_working(self, day: date) -> str:
        return self.holidays.get(day) or ("Thứ Bảy" if day.weekday() == 5 else "Chủ nhật")

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, days: int) -> tuple[date, list[date], list[date]]:
        """The day `days` working days after `start`; the working days counted and the days skipped."""
        if days < 0:
            raise ValueError("days must be >= 0")
        current, counted, skipped = start, list[date](), list[date]()
        while len(counted) < days:
            current += timedelta(days=1)
            if self.is_working_day(current):
                counted.append(current)
            else:
                skipped.append(current)
        return current, counted, skipped

    def working_days_between(self, first: date, last: date) -> list[date]:
        """Working days strictly between two dates."""
        days, current = list[date](), first + timedelta(days=1)
        while current < last:
            if self.is_working_day(current):
                days.append(current)
            current += timedelta(days=1)
        return days


@dataclass(frozen=True)
class CalendarYear:
    """One year's calendar file: its public holidays and make-up working days, each with its legal source."""

    year: int
    holidays: dict[date, str]
    makeup_days: dict[date, str]
    sources: dict[date, str]


@dataclass(frozen=True)
class CalendarOverride:
    """A province's own changes to the national calendar, each with its legal source."""

    added: dict[date, str]
    removed: dict[date, str]
    sources: dict[date, str]


def _dates(
    source: str, data: dict[str, Any], key: str, year: int | None, sources: dict[date, str]
) -> dict[date, str]:
    entries = data.get(key) or []
    if not isinstance(entries, list):
        raise CalendarError(source, f"'{key}' must be a list")
    found: dict[date, str] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "date" not in entry:
            raise CalendarError(source, f"{key}[{i}]: needs 'date' (and 'name')")
        value = entry["date"]
        try:
            day = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            raise CalendarError(source, f"{key}[{i}]: {value!r} is not a date (YYYY-MM-DD)") from None
        if year is not None and day.year != year:
            raise CalendarError(source, f"{key}[{i}]: {day} is not in {year}")
        if day in found:
            raise CalendarError(source, f"{key}[{i}]: {day} listed twice")
        found[day] = str(entry.get("name") or key)
        sources[day] = str(entry.get("source") or "").strip()
    return found


def _mapping(source: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise CalendarError(source, "top level must be a mapping")
    return data


def parse_year(data: Any, source: str, named_year: str) -> CalendarYear:
    """A `vn-<year>.yaml` file's content; `named_year` is the year its name says. CalendarError names `source`."""
    data = _mapping(source, data)
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or str(year) != named_year:
        raise CalendarError(source, "'year' must be an integer matching the file name")
    sources: dict[date, str] = {}
    holidays = _dates(source, data, "holidays", year, sources)
    makeup = _dates(source, data, "makeup_working_days", year, sources)
    for day in makeup:
        if day in holidays:
            raise CalendarError(source, f"{day} is both a holiday and a make-up working day")
        if day.weekday() < 5:
            raise CalendarError(source, f"make-up working day {day} is already a weekday")
    _require_sources(source, sources)
    return CalendarYear(year, holidays, makeup, sources)


def parse_override(data: Any, source: str) -> CalendarOverride:
    """A province's `overrides/<province>.yaml` content: holidays it adds and removes."""
    data = _mapping(source, data)
    sources: dict[date, str] = {}
    added = _dates(source, data, "add_holidays", None, sources)
    removed = _dates(source, data, "remove_holidays", None, sources)
    _require_sources(source, sources)
    return CalendarOverride(added, removed, sources)


def build_calendar(years: Iterable[CalendarYear], override: CalendarOverride | None = None) -> WorkCalendar:
    """The working calendar of the given years, with the province's override applied last."""
    holidays: dict[date, str] = {}
    makeup: dict[date, str] = {}
    sources: dict[date, str] = {}
    numbers = set()
    for entry in years:
        holidays.update(entry.holidays)
        makeup.update(entry.makeup_days)
        sources.update(entry.sources)
        numbers.add(entry.year)
    if override is not None:
        holidays.update(override.added)
        for day in override.removed:
            holidays.pop(day, None)
        sources.update(override.sources)
    return WorkCalendar(holidays=holidays, makeup_days=makeup, years=frozenset(numbers), sources=sources)


def _require_sources(source: str, sources: dict[date, str]) -> None:
    """Every day the calendar moves says which legal document moves it (number and date)."""
    missing = sorted(day for day, text in sources.items() if not text)
    if missing:
        raise CalendarError(source, f"{missing[0]}: needs 'source' (the legal document's number and date)")


@dataclass(frozen=True)
class Pause:
    """A clock stop: when it stopped, when it resumed (None: still stopped), and why."""

    started_at: datetime
    ended_at: datetime | None
    reason: str


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    effective_start: date
    explanation: dict[str, Any]


@dataclass(frozen=True)
class LegalClock:
    calendar: WorkCalendar
    cutoff: time | None = DEFAULT_CUTOFF
    end_of_day: time = DEFAULT_END_OF_DAY

    def effective_start(self, received_at: datetime) -> tuple[date, str]:
        if received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware")
        local = received_at.astimezone(LEGAL_TZ)
        day = local.date()
        if not self.calendar.is_working_day(day):
            return self.calendar.next_working_day(day), "received on a non-working day"
        if self.cutoff is not None and local.time() >= self.cutoff:
            return self.calendar.next_working_day(
                day
            ), f"received at or after the {self.cutoff:%H:%M} cut-off"
        if self.cutoff is None:
            return day, "received on a working day (the day of receipt is not counted: Civil Code art. 147)"
        return day, "received before the cut-off on a working day"

    def pause_days(self, pause: Pause, until: datetime | None = None) -> list[date]:
        end = pause.ended_at or until
        if end is None:
            return []
        return self.calendar.working_days_between(
            pause.started_at.astimezone(LEGAL_TZ).date(), end.astimezone(LEGAL_TZ).date()
        )

    def deadline(
        self, received_at: datetime, working_days: int, pauses: tuple[Pause, ...] = (), extra_days: int = 0
    ) -> Deadline:
        """Due date for `working_days` from receipt, moved by closed pauses and explicit extensions."""
        start, start_rule = self.effective_start(received_at)
        paused = [(p, self.pause_days(p)) for p in pauses]
        total = working_days + sum(len(days) for _, days in paused) + extra_days
        due_day, counted, skipped = self.calendar.add_working_days(start, total)
        due_at = datetime.combine(due_day, self.end_of_day, tzinfo=LEGAL_TZ)
        explanation = {
            "received_at": received_at.astimezone(LEGAL_TZ).isoformat(),
            "effective_start": start.isoformat(),
            "start_rule": start_rule,
            "cutoff": self.cutoff.strftime("%H:%M") if self.cutoff is not None else None,
            "working_days": working_days,
            "extension_days": extra_days,
            "pauses": [
                {
                    "from": p.started_at.astimezone(LEGAL_TZ).isoformat(),
                    "to": p.ended_at.astimezone(LEGAL_TZ).isoformat() if p.ended_at else None,
                    "reason": p.reason,
                    "working_days": [d.isoformat() for d in days],
                }
                for p, days in paused
            ],
            "counted_days": [d.isoformat() for d in counted],
            "skipped_days": [
                {
                    "date": d.isoformat(),
                    "why": self.calendar.why_not_working(d),
                    **({"source": self.calendar.sources[d]} if d in self.calendar.sources else {}),
                }
                for d in skipped
            ],
            "due_at": due_at.isoformat(),
        }
        return Deadline(due_at=due_at, effective_start=start, explanation=explanation)

    def classify(self, finished_at: datetime, due_at: datetime) -> str:
        """early (before the due day), on_time (on the due day, by the due time) or late."""
        finished_day = finished_at.astimezone(LEGAL_TZ).date()
        due_day = due_at.astimezone(LEGAL_TZ).date()
        if finished_day < due_day:
            return "early"
        return "on_time" if finished_at <= due_at else "late"

    def working_days_left(self, now: datetime, due_at: datetime) -> int:
        """Working days from today until the due day (0 on the due day, negative when overdue)."""
        today, due_day = now.astimezone(LEGAL_TZ).date(), due_at.astimezone(LEGAL_TZ).date()
        if today <= due_day:
            return len(self.calendar.working_days_between(today, due_day)) + (1 if today < due_day else 0)
        return -(len(self.calendar.working_days_between(due_day, today)) + 1)


def reproduce(explanation: dict[str, Any], calendar: WorkCalendar) -> date:
    """Recompute the due day from an explanation alone: effective start plus the counted working days."""
    start = date.fromisoformat(explanation["effective_start"])
    total = (
        explanation["working_days"]
        + explanation["extension_days"]
        + sum(len(p["working_days"]) for p in explanation["pauses"])
    )
    return calendar.add_working_days(start, total)[0]
