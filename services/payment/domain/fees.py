"""Fees and charges (phí, lệ phí): schedules per procedure version, computed in integer VND, explained per line."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

TYPES = {"fixed", "per_item", "tiered"}


class FeeScheduleError(ValueError):
    def __init__(self, path, problem: str):
        super().__init__(f"{path}: {problem}")


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

    def to_dict(self) -> dict:
        return {"lines": [vars(line) for line in self.lines], "subtotal": self.subtotal,
                "reduction": self.reduction, "reduction_reason": self.reduction_reason, "total": self.total}


def _int(path, where, value, minimum=0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise FeeScheduleError(path, f"{where}: must be an integer VND amount >= {minimum}")
    return value


def load_schedules(path: Path) -> dict[tuple[str, int], dict]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    schedules = {}
    for i, raw in enumerate(data.get("schedules") or []):
        where = f"schedules[{i}]"
        key = (str(raw.get("procedure")), raw.get("version"))
        if key in schedules:
            raise FeeScheduleError(path, f"{where}: duplicate schedule for {key}")
        for j, line in enumerate(raw.get("lines") or []):
            lw = f"{where}.lines[{j}]"
            if line.get("type") not in TYPES or not line.get("code"):
                raise FeeScheduleError(path, f"{lw}: needs a code and a type among {sorted(TYPES)}")
            if line["type"] == "fixed":
                _int(path, lw, line.get("amount"))
            elif line["type"] == "per_item":
                _int(path, lw, line.get("unit_amount"))
            else:
                tiers = line.get("tiers") or []
                if not tiers or tiers[-1].get("up_to") is not None:
                    raise FeeScheduleError(path, f"{lw}: tiers must end with an open tier (up_to: null)")
                for tier in tiers:
                    _int(path, lw, tier.get("amount"))
        for reduction in raw.get("reductions") or []:
            if not 0 < reduction.get("percent", 0) <= 100:
                raise FeeScheduleError(path, f"{where}: reduction percent must be in (0, 100]")
        schedules[key] = raw
    return schedules


def _number(form: dict, field: str | None, default: int) -> int:
    value = form.get(field) if field else None
    if value is None:
        return default
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):  # not a number, NaN, infinity: as if not given
        return default
    return max(number, 0)


def assess(schedule: dict | None, form: dict, categories: set[str]) -> Assessment:
    """The fee for one dossier: each line, the best reduction the applicant is entitled to, the total."""
    if not schedule:
        return Assessment((), 0, 0, "", 0)
    lines = []
    for line in schedule.get("lines") or []:
        if line["type"] == "fixed":
            lines.append(FeeLine(line["code"], line["name"], 1, line["amount"], line["amount"]))
        elif line["type"] == "per_item":
            quantity = _number(form, line.get("quantity_field"), 0 if line.get("quantity_field") else 1)
            if quantity:
                lines.append(FeeLine(line["code"], line["name"], quantity, line["unit_amount"],
                                     quantity * line["unit_amount"]))
        else:
            measure = _number(form, line.get("measure_field"), 0)
            tier = next(t for t in line["tiers"] if t["up_to"] is None or measure <= t["up_to"])
            lines.append(FeeLine(line["code"], line["name"], 1, tier["amount"], tier["amount"]))
    subtotal = sum(line.amount for line in lines)
    best = max((r for r in schedule.get("reductions") or [] if r["category"] in categories),
               key=lambda r: r["percent"], default=None)
    # Integer VND: a reduction rounds down in the citizen's favour (they never pay a fraction more).
    reduction = -(-subtotal * best["percent"] // 100) if best else 0
    return Assessment(tuple(lines), subtotal, reduction, best["name"] if best else "", subtotal - reduction)
