"""Service-quality indicators (Decision 766/QĐ-TTg: on time, early, late, online filing, online payment,
satisfaction) counted from what happened to each dossier. Plain Python: the caller hands over rows.

How a dossier counts (docs/statistics.md):
- Periods are days in Vietnam legal time (Asia/Ho_Chi_Minh): a month, a quarter, a year or a custom range.
- `steps`: each agency is counted for its own step of a dossier (case_steps): received = the step started in the
  period, finished = it ended in the period (early / on time / late against the step's own budget), open steps
  in progress or overdue now. A transferred or chained dossier therefore counts once for each agency it visited.
- `dossiers`: each dossier once, for the agency that received it (its first step): received = legal receipt in
  the period, finished = result returned in the period with the dossier's on-time result, online share, online
  payment, satisfaction of the dossiers finished in the period.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from services.chassis.clock import LEGAL_TZ

TERMINAL = ("refused", "returned", "stopped", "withdrawn")
WAITING = ("submitted", "coordination")
_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])))?$")


class PeriodError(ValueError):
    """A period the indicators cannot count over; `code` is the problem's stable code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def period_bounds(period: str | None, date_from: date | None, date_to: date | None) -> tuple[date | None, date | None]:
    """First and last day (inclusive) of `YYYY`, `YYYY-MM` or `YYYY-Qn`, or of a custom range; (None, None):
    all time. A named period and a range together are refused (which one did the caller mean?)."""
    if period:
        if date_from or date_to:
            raise PeriodError("invalid_period", "Chọn kỳ (period) hoặc khoảng ngày (date_from, date_to), không cả hai.")
        found = _PERIOD.match(period)
        if not found:
            raise PeriodError("invalid_period", "Kỳ phải có dạng YYYY, YYYY-MM hoặc YYYY-Qn (n = 1..4).")
        year = int(found["year"])
        if not 2000 <= year <= 2100:
            raise PeriodError("invalid_period", "Năm của kỳ phải trong khoảng 2000-2100.")
        if found["month"]:
            first = date(year, int(found["month"]), 1)
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        elif found["quarter"]:
            first = date(year, 3 * int(found["quarter"]) - 2, 1)
            last = (date(year + 1, 1, 1) if found["quarter"] == "4" else date(year, first.month + 3, 1)) - timedelta(days=1)
        else:
            first, last = date(year, 1, 1), date(year, 12, 31)
        return first, last
    if date_from and date_to and date_from > date_to:
        raise PeriodError("invalid_period", "Ngày bắt đầu (date_from) sau ngày kết thúc (date_to).")
    return date_from, date_to


def legal_day(moment: datetime) -> date:
    return moment.astimezone(LEGAL_TZ).date()


@dataclass(frozen=True)
class Scope:
    """Which agencies, level and procedure a statistic is about (None: no restriction)."""

    agencies: frozenset[str] | None = None
    level: str | None = None
    procedure_code: str | None = None
    first: date | None = None
    last: date | None = None

    def in_period(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        day = legal_day(moment)
        return (self.first is None or day >= self.first) and (self.last is None or day <= self.last)

    def holds(self, agency: str, level: str) -> bool:
        return (self.agencies is None or agency in self.agencies) and (self.level is None or level == self.level)


@dataclass
class _Tally:
    received: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    in_progress: int = 0
    overdue: int = 0
    extra: dict = field(default_factory=dict)

    def finish(self, outcome: str) -> None:
        if outcome in ("early", "on_time", "late"):
            setattr(self, outcome, getattr(self, outcome) + 1)

    def view(self) -> dict:
        finished = self.early + self.on_time + self.late
        return {"received": self.received, "finished": finished, "finished_early": self.early,
                "finished_on_time": self.on_time, "finished_late": self.late,
                "on_time_rate": _rate(self.early + self.on_time, finished),
                "in_progress": self.in_progress, "overdue": self.overdue, **self.extra}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def count(cases: list[dict], steps: dict[str, list[dict]], scope: Scope, now: datetime, *,
          ratings: dict[str, int], paid: set[str], with_fee: set[str]) -> dict:
    """Indicators over `cases` (rows of `cases`), their `steps` by dossier code (in order), the `ratings` by
    dossier code, the dossiers whose fee was `paid` online and the procedure codes that charge a fee."""
    per_dossier, per_step = _Tally(), _Tally()
    online = paid_online = charged = waiting = 0
    scores: list[int] = []
    for case in cases:
        if scope.procedure_code and case["procedure_code"] != scope.procedure_code:
            continue
        path = steps.get(case["dossier_code"], [])
        for step in path:
            if not scope.holds(step["agency_code"], step["level"]):
                continue
            if scope.in_period(step["started_at"]):
                per_step.received += 1
            if step["ended_at"] is not None:
                if scope.in_period(step["ended_at"]):
                    per_step.finish(step["outcome"])
            elif case["status"] not in TERMINAL:
                per_step.in_progress += 1
                if step["due_at"] < now and case["paused_since"] is None:
                    per_step.overdue += 1
        if not path:
            # Not received yet: waiting in the queue of the agency it was routed to (or the receiving desk).
            held = case["agency_code"] or case["receiving_agency_code"]
            level = case["level"]
            if case["status"] in WAITING and (scope.agencies is None or held in scope.agencies
                                              or case["receiving_agency_code"] in scope.agencies) \
                    and (scope.level is None or level == scope.level):
                waiting += 1
            continue
        first = path[0]
        if not scope.holds(first["agency_code"], first["level"]):
            continue
        if scope.in_period(case["received_at"]):
            per_dossier.received += 1
            if case.get("channel", "online") == "online":
                online += 1
            if case["procedure_code"] in with_fee:
                charged += 1
                if case["dossier_code"] in paid:
                    paid_online += 1
        if case["status"] == "returned" and scope.in_period(case["finished_at"]):
            per_dossier.finish(case["outcome"])
            if case["dossier_code"] in ratings:
                scores.append(ratings[case["dossier_code"]])
        if case["status"] not in TERMINAL:
            per_dossier.in_progress += 1
            if case["due_at"] is not None and case["due_at"] < now and case["paused_since"] is None:
                per_dossier.overdue += 1
    per_dossier.extra = {
        "received_online": online, "online_share": _rate(online, per_dossier.received),
        "fee_charged": charged, "paid_online": paid_online, "online_payment_share": _rate(paid_online, charged),
        "ratings": len(scores), "satisfaction_average": round(sum(scores) / len(scores), 2) if scores else None,
        "awaiting_receipt": waiting,
    }
    return {"dossiers": per_dossier.view(), "steps": per_step.view()}
