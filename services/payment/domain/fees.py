"""Fees and charges (phí, lệ phí): schedules per procedure, computed in integer VND, explained per line.

Pure: `parse_schedules` validates data already read (services/payment/adapters/fees.py loads the YAML file),
`assess` computes one dossier's fee. A procedure's fee changes from a day: each change is a new version of its
schedule (`Book`: every version by procedure, `in_force` the one of a day); a dossier is assessed once, at receipt,
on the schedule in force that day, and keeps that amount whatever changes later."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

TYPES = {"fixed", "per_item", "tiered"}
Schedule = dict[str, Any]
Schedules = dict[tuple[str, Any], Schedule]


class FeeScheduleError(ValueError):
    def __init__(self, source: object, problem: str):
        super().__init__(f"{source}: {problem}")


@dataclass(frozen=True)
class FeeLine:
    code: str
    name: str
    quantity: int
    unit_amount: int
    amount: int


@dataclass(frozen=True)
class Assessment:
    lines: tuple[FeeLine, ...]
    subtotal: int
    reduction: int
    reduction_reason: str
    total: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": [vars(line) for line in self.lines],
            "subtotal": self.subtotal,
            "reduction": self.reduction,
            "reduction_reason": self.reduction_reason,
            "total": self.total,
        }


def _int(source: object, where: str, value: object, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise FeeScheduleError(source, f"{where}: must be an integer VND amount >= {minimum}")
    return value


def _check_line(source: object, where: str, line: dict[str, Any]) -> None:
    if line.get("type") not in TYPES or not line.get("code"):
        raise FeeScheduleError(source, f"{where}: needs a code and a type among {sorted(TYPES)}")
    if line["type"] == "fixed":
        _int(source, where, line.get("amount"))
    elif line["type"] == "per_item":
        _int(source, where, line.get("unit_amount"))
    else:
        tiers = line.get("tiers") or []
        if not tiers or tiers[-1].get("up_to") is not None:
            raise FeeScheduleError(source, f"{where}: tiers must end with an open tier (up_to: null)")
        for tier in tiers:
            _int(source, where, tier.get("amount"))


def parse_schedules(data: Any, source: object = "fees") -> Schedules:
    """The schedules of a fee file's content (`{"schedules": [...]}`), keyed by (procedure code, version);
    FeeScheduleError naming `source` (the file) and the place of the first problem."""
    schedules: Schedules = {}
    for i, raw in enumerate((data or {}).get("schedules") or []):
        where = f"schedules[{i}]"
        key = (str(raw.get("procedure")), raw.get("version"))
        if key in schedules:
            raise FeeScheduleError(source, f"{where}: duplicate schedule for {key}")
        for j, line in enumerate(raw.get("lines") or []):
            _check_line(source, f"{where}.lines[{j}]", line)
        for reduction in raw.get("reductions") or []:
            if not 0 < reduction.get("percent", 0) <= 100:
                raise FeeScheduleError(source, f"{where}: reduction percent must be in (0, 100]")
        schedules[key] = raw
    return schedules


@dataclass(frozen=True)
class Version:
    """A version of a procedure's schedule: from `valid_from`, set by an administrator or from the fees file."""

    id: int
    valid_from: date
    admin: bool
    schedule: Schedule

    def weight(self) -> tuple[date, bool, int]:
        """The last begun wins: of one day, an administrator's over the file's, then the later one set; among the
        file's own, the first listed (as `schedule_for` always took)."""
        return self.valid_from, self.admin, self.id if self.admin else -self.id


# A procedure's versions, in the order of their weight (the last one begun by a day is the one in force).
Book = dict[str, list[Version]]


def book(rows: Iterable[Mapping[str, Any]]) -> Book:
    """The versions of stored rows (`id`, `procedure_code`, `valid_from`, `origin`, `schedule`)."""
    found: Book = {}
    for row in rows:
        version = Version(int(row["id"]), row["valid_from"], row["origin"] == "admin", dict(row["schedule"]))
        found.setdefault(str(row["procedure_code"]), []).append(version)
    for versions in found.values():
        versions.sort(key=Version.weight)
    return found


def in_force(fees: Book, procedure_code: str, on: date) -> Version | None:
    """The version of a procedure's schedule in force on `on` (one without lines: no fee since then), None when
    none began by then."""
    begun = [v for v in fees.get(procedure_code, ()) if v.valid_from <= on]
    return begun[-1] if begun else None


def check_schedule(raw: Mapping[str, Any], source: object = "request") -> Schedule:
    """A schedule an administrator sets (`lines`, `reductions`): every line named, coded once, of a known type
    with integer VND amounts; reductions by category, a percent in (0, 100]. No lines: the procedure is free from
    then. FeeScheduleError naming the place of the first problem."""
    lines = list(raw.get("lines") or [])
    codes = [line.get("code") for line in lines]
    if len(set(codes)) != len(codes):
        raise FeeScheduleError(source, "lines: each line's code must be unique")
    for j, line in enumerate(lines):
        _check_line(source, f"lines[{j}]", line)
        if not str(line.get("name") or "").strip():
            raise FeeScheduleError(source, f"lines[{j}]: needs a name")
        if line["type"] == "tiered":
            bounds = [t.get("up_to") for t in line["tiers"][:-1]]
            if any(not isinstance(b, int) or isinstance(b, bool) for b in bounds) or bounds != sorted(
                set(bounds)
            ):
                raise FeeScheduleError(source, f"lines[{j}]: tiers' up_to must be increasing integers")
    reductions = list(raw.get("reductions") or [])
    for k, reduction in enumerate(reductions):
        percent = reduction.get("percent")
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 < percent <= 100:
            raise FeeScheduleError(source, f"reductions[{k}]: percent must be an integer in (0, 100]")
        if not reduction.get("category") or not reduction.get("name"):
            raise FeeScheduleError(source, f"reductions[{k}]: needs a category and a name")
    return {"lines": lines, "reductions": reductions}


def schedule_for(schedules: Schedules, procedure_code: str) -> Schedule | None:
    """The schedule of a procedure (the first version listed), None when the procedure has no fee."""
    return next((s for (code, _), s in schedules.items() if code == procedure_code), None)


def _number(form: dict[str, Any], field: str | None, default: int) -> int:
    value = form.get(field) if field else None
    if value is None:
        return default
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):  # not a number, NaN, infinity: as if not given
        return default
    return max(number, 0)


def _line(line: dict[str, Any], form: dict[str, Any]) -> FeeLine | None:
    if line["type"] == "fixed":
        return FeeLine(line["code"], line["name"], 1, line["amount"], line["amount"])
    if line["type"] == "per_item":
        quantity = _number(form, line.get("quantity_field"), 0 if line.get("quantity_field") else 1)
        if not quantity:
            return None
        return FeeLine(
            line["code"], line["name"], quantity, line["unit_amount"], quantity * line["unit_amount"]
        )
    measure = _number(form, line.get("measure_field"), 0)
    tier = next(t for t in line["tiers"] if t["up_to"] is None or measure <= t["up_to"])
    return FeeLine(line["code"], line["name"], 1, tier["amount"], tier["amount"])


def assess(schedule: Schedule | None, form: dict[str, Any], categories: set[str]) -> Assessment:
    """The fee for one dossier: each line, the best reduction the applicant is entitled to, the total."""
    if not schedule:
        return Assessment((), 0, 0, "", 0)
    lines = [fee for fee in (_line(line, form) for line in schedule.get("lines") or []) if fee is not None]
    subtotal = sum(line.amount for line in lines)
    best = max(
        (r for r in schedule.get("reductions") or [] if r["category"] in categories),
        key=lambda r: r["percent"],
        default=None,
    )
    # Integer VND: a reduction rounds down in the citizen's favour (they never pay a fraction more).
    reduction = -(-subtotal * best["percent"] // 100) if best else 0
    return Assessment(tuple(lines), subtotal, reduction, best["name"] if best else "", subtotal - reduction)
