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
from typing import Any

from services.chassis.clock import legal_day

TERMINAL = ("refused", "returned", "stopped", "withdrawn")
WAITING = ("submitted", "coordination")
_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])))?$")


class PeriodError(ValueError):
    """A period the indicators cannot count over; `code` is the problem's stable code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def period_bounds(
    period: str | None, date_from: date | None, date_to: date | None
) -> tuple[date | None, date | None]:
    """First and last day (inclusive) of `YYYY`, `YYYY-MM` or `YYYY-Qn`, or of a custom range; (None, None):
    all time. A named period and a range together are refused (which one did the caller mean?)."""
    if period:
        if date_from or date_to:
            raise PeriodError(
                "invalid_period", "Chọn kỳ (period) hoặc khoảng ngày (date_from, date_to), không cả hai."
            )
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
            last = (
                date(year + 1, 1, 1) if found["quarter"] == "4" else date(year, first.month + 3, 1)
            ) - timedelta(days=1)
        else:
            first, last = date(year, 1, 1), date(year, 12, 31)
        return first, last
    if date_from and date_to and date_from > date_to:
        raise PeriodError("invalid_period", "Ngày bắt đầu (date_from) sau ngày kết thúc (date_to).")
    return date_from, date_to


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
        return (self.agencies is None or agency in self.agencies) and (
            self.level is None or level == self.level
        )


@dataclass
class _Tally:
    received: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    in_progress: int = 0
    overdue: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def finish(self, outcome: str) -> None:
        if outcome in ("early", "on_time", "late"):
            setattr(self, outcome, getattr(self, outcome) + 1)

    def view(self) -> dict[str, Any]:
        finished = self.early + self.on_time + self.late
        return {
            "received": self.received,
            "finished": finished,
            "finished_early": self.early,
            "finished_on_time": self.on_time,
            "finished_late": self.late,
            "on_time_rate": _rate(self.early + self.on_time, finished),
            "in_progress": self.in_progress,
            "overdue": self.overdue,
            **self.extra,
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class _Dossiers(_Tally):
    """The per-dossier tally, with the shares Decision 766/QĐ-TTg asks for."""

    online: int = 0
    charged: int = 0
    paid_online: int = 0
    waiting: int = 0
    rated: int = 0
    score_sum: int = 0

    def view(self) -> dict[str, Any]:
        self.extra = {
            "received_online": self.online,
            "online_share": _rate(self.online, self.received),
            "fee_charged": self.charged,
            "paid_online": self.paid_online,
            "online_payment_share": _rate(self.paid_online, self.charged),
            "ratings": self.rated,
            "satisfaction_average": round(self.score_sum / self.rated, 2) if self.rated else None,
            "awaiting_receipt": self.waiting,
        }
        return super().view()


Row = dict[str, Any]


def count(
    cases: list[Row],
    steps: dict[str, list[Row]],
    scope: Scope,
    now: datetime,
    *,
    ratings: dict[str, int],
    paid: set[str],
    with_fee: set[str],
) -> dict[str, Any]:
    """Indicators over `cases` (rows of `cases`), their `steps` by dossier code (in order), the `ratings` by
    dossier code, the dossiers whose fee was `paid` online and the procedure codes that charge a fee."""
    per_dossier, per_step = _Dossiers(), _Tally()
    for case in cases:
        if scope.procedure_code and case["procedure_code"] != scope.procedure_code:
            continue
        path = steps.get(case["dossier_code"], [])
        for step in path:
            _count_step(per_step, step, case, scope, now)
        if not path:
            per_dossier.waiting += _waiting(case, scope)
        elif scope.holds(path[0]["agency_code"], path[0]["level"]):
            _count_dossier(per_dossier, case, scope, now, ratings, paid, with_fee)
    return {"dossiers": per_dossier.view(), "steps": per_step.view()}


STEP_COUNTS = ("received", "early", "on_time", "late", "in_progress", "overdue")
DOSSIER_COUNTS = (*STEP_COUNTS, "online", "charged", "paid_online", "waiting", "rated", "score_sum")


def from_counts(dossiers: dict[str, int], steps: dict[str, int]) -> dict[str, Any]:
    """The indicators from counts made elsewhere (the database: services/workflow/adapters/indicator_counts.py,
    keys DOSSIER_COUNTS and STEP_COUNTS): the same answer `count` gives over the rows themselves."""
    per_dossier, per_step = _Dossiers(), _Tally()
    for key in DOSSIER_COUNTS:
        setattr(per_dossier, key, int(dossiers.get(key, 0)))
    for key in STEP_COUNTS:
        setattr(per_step, key, int(steps.get(key, 0)))
    return {"dossiers": per_dossier.view(), "steps": per_step.view()}


def _count_step(tally: _Tally, step: Row, case: Row, scope: Scope, now: datetime) -> None:
    """Each agency for its own step: received when it started, finished when it ended, else open (or overdue)."""
    if not scope.holds(step["agency_code"], step["level"]):
        return
    if scope.in_period(step["started_at"]):
        tally.received += 1
    if step["ended_at"] is not None:
        if scope.in_period(step["ended_at"]):
            tally.finish(step["outcome"])
    elif case["status"] not in TERMINAL:
        tally.in_progress += 1
        if step["due_at"] < now and case["paused_since"] is None:
            tally.overdue += 1


def _waiting(case: Row, scope: Scope) -> int:
    """1 for a dossier not received yet, waiting in the queue of the agency it was routed to (or the receiving
    desk) when the scope holds it."""
    held = case["agency_code"] or case["receiving_agency_code"]
    in_scope = (
        scope.agencies is None or held in scope.agencies or case["receiving_agency_code"] in scope.agencies
    )
    return int(
        case["status"] in WAITING and in_scope and (scope.level is None or case["level"] == scope.level)
    )


def _count_dossier(
    tally: _Dossiers,
    case: Row,
    scope: Scope,
    now: datetime,
    ratings: dict[str, int],
    paid: set[str],
    with_fee: set[str],
) -> None:
    """Each dossier once, for the agency that received it."""
    code = case["dossier_code"]
    if scope.in_period(case["received_at"]):
        tally.received += 1
        tally.online += case.get("channel", "online") == "online"
        if case["procedure_code"] in with_fee:
            tally.charged += 1
            tally.paid_online += code in paid
    if case["status"] == "returned" and scope.in_period(case["finished_at"]):
        tally.finish(case["outcome"])
        if code in ratings:
            tally.rated += 1
            tally.score_sum += ratings[code]
    if case["status"] not in TERMINAL:
        tally.in_progress += 1
        if case["due_at"] is not None and case["due_at"] < now and case["paused_since"] is None:
            tally.overdue += 1
