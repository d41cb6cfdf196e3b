"""Administrative units and agencies changed at run time by a province administrator (issue #22): the territory
built from its stored rows for a day, the rows that seed it from a units file, and the rules a creation, a rename
and a merge must follow.

Pure: rows are plain mappings (services/workflow/adapters/territory_store.py reads and writes them). A change is
effective-dated: a unit or agency created, or renamed, from a day; its earlier names stay for what was issued
before. The levels are the model's (data, ADR 0004): a new unit sits one level below its parent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from services.workflow.domain.catalogue import AdminUnit, Agency, Names, Territory

# The first day of a seeded name or agency without dates of its own: "since always" for the history.
BEGINNING = date(1900, 1, 1)
UNIT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")  # cases.applicant_unit_code, the registry's 20
AGENCY_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$")
NAME_MAX = 200
SOURCE_MIN, SOURCE_MAX = 8, 500

Row = Mapping[str, Any]


class UnitChangeRefused(ValueError):
    """A change the rules refuse; `code` is stable, `message` Vietnamese, `field` the request field it is about."""

    def __init__(self, code: str, message: str, field: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class NewAgency:
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class NewUnit:
    code: str
    name: str
    level: str
    parent: str
    valid_from: date
    source: str
    agencies: tuple[NewAgency, ...] = ()


# -- the territory from its rows -----------------------------------------------------------------------------------
def _names(rows: Iterable[Row]) -> dict[tuple[str, str], Names]:
    """Each (entity, code)'s dated names, oldest first (rows come ordered by first day, then id)."""
    found: dict[tuple[str, str], list[tuple[date, str]]] = {}
    for row in rows:
        found.setdefault((str(row["entity"]), str(row["code"])), []).append(
            (row["valid_from"], str(row["name"]))
        )
    return {key: tuple(names) for key, names in found.items()}


def build_territory(
    model: str,
    levels: tuple[str, ...],
    units: Iterable[Row],
    agencies: Iterable[Row],
    names: Iterable[Row],
    on: date,
) -> Territory:
    """The territory as stored, with each unit's and agency's name in force `on` (its first name before it
    begins); every earlier and later name kept for `name_on`."""
    history = _names(names)
    territory = Territory(model=model, levels=levels)
    for row in units:
        dated = history.get(("unit", row["code"]), ())
        unit = AdminUnit(
            code=row["code"],
            name="",
            level=row["level"],
            parent=row["parent"],
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
            successor=row["successor"],
            names=dated,
        )
        territory.units[unit.code] = _named(unit, on)
    for row in agencies:
        dated = history.get(("agency", row["code"]), ())
        agency = Agency(row["code"], "", row["unit"], row["kind"], row["valid_from"], row["valid_to"], dated)
        territory.agencies[agency.code] = _named(agency, on)
    return territory


def _named(entity: Any, on: date) -> Any:
    return replace(entity, name=entity.name_on(on))


def seed_rows(
    territory: Territory,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of a units file's territory (units, agencies, names), in the file's order."""
    units = [
        {
            "code": u.code,
            "level": u.level,
            "parent": u.parent,
            "valid_from": u.valid_from,
            "valid_to": u.valid_to,
            "successor": u.successor,
        }
        for u in territory.units.values()
    ]
    agencies = [
        {"code": a.code, "unit": a.unit, "kind": a.kind, "valid_from": a.valid_from, "valid_to": a.valid_to}
        for a in territory.agencies.values()
    ]
    names = [
        {"entity": "unit", "code": u.code, "name": u.name, "valid_from": u.valid_from}
        for u in territory.units.values()
    ]
    names += [
        {"entity": "agency", "code": a.code, "name": a.name, "valid_from": a.valid_from or BEGINNING}
        for a in territory.agencies.values()
    ]
    return units, agencies, names


# -- the rules of a change -----------------------------------------------------------------------------------------
def _text(value: str, field: str, what: str, low: int = 1, high: int = NAME_MAX) -> str:
    text = " ".join(str(value or "").split())
    if not low <= len(text) <= high:
        raise UnitChangeRefused("invalid_text", f"{what} phải dài từ {low} đến {high} ký tự.", field)
    return text


def check_source(source: str) -> str:
    """The legal basis of a change (number and date of the resolution or decision), required."""
    return _text(source, "source", "Căn cứ pháp lý (số, ngày văn bản)", SOURCE_MIN, SOURCE_MAX)


def _not_before_today(day: date, today: date, field: str) -> None:
    # What was decided, printed or routed before today stays as it was: a change takes effect today or later.
    if day < today:
        raise UnitChangeRefused(
            "date_in_the_past", "Ngày hiệu lực không được trước ngày hôm nay (không sửa hồi tố).", field
        )


def check_new_unit(territory: Territory, new: NewUnit, today: date, kinds: frozenset[str]) -> NewUnit:
    """A new unit one level below a parent in force on its first day, under a code not used yet, with its
    agencies (each a known kind, one per kind); the cleaned request, or UnitChangeRefused."""
    if not UNIT_CODE.match(new.code):
        raise UnitChangeRefused("invalid_code", "Mã đơn vị: chữ, số, dấu . _ -, tối đa 20 ký tự.", "code")
    if new.code in territory.units:
        raise UnitChangeRefused("unit_exists", f"Mã đơn vị {new.code} đã có.", "code")
    _not_before_today(new.valid_from, today, "valid_from")
    parent = territory.units.get(new.parent)
    if parent is None or not parent.in_force(new.valid_from):
        raise UnitChangeRefused(
            "unknown_parent", f"Đơn vị cấp trên {new.parent} không có hiệu lực vào ngày đó.", "parent"
        )
    levels = territory.levels
    below = levels.index(parent.level) + 1 if parent.level in levels else len(levels)
    if below >= len(levels) or new.level != levels[below]:
        expected = levels[below] if below < len(levels) else "—"
        raise UnitChangeRefused(
            "wrong_level", f"Đơn vị trực thuộc {parent.code} phải ở cấp {expected}.", "level"
        )
    agencies = tuple(_check_new_agency(territory, a, kinds) for a in new.agencies)
    seen_kinds = [a.kind for a in agencies]
    if len(set(seen_kinds)) != len(seen_kinds) or len({a.code for a in agencies}) != len(agencies):
        raise UnitChangeRefused(
            "duplicate_agency", "Mỗi loại cơ quan, mỗi mã cơ quan chỉ một lần.", "agencies"
        )
    return NewUnit(
        new.code,
        _text(new.name, "name", "Tên đơn vị"),
        new.level,
        new.parent,
        new.valid_from,
        check_source(new.source),
        agencies,
    )


def _check_new_agency(territory: Territory, agency: NewAgency, kinds: frozenset[str]) -> NewAgency:
    if not AGENCY_CODE.match(agency.code):
        raise UnitChangeRefused(
            "invalid_code", "Mã cơ quan: chữ, số, dấu . _ -, tối đa 30 ký tự.", "agencies"
        )
    if agency.code in territory.agencies:
        raise UnitChangeRefused("agency_exists", f"Mã cơ quan {agency.code} đã có.", "agencies")
    if agency.kind not in kinds:
        raise UnitChangeRefused(
            "unknown_kind", f"Loại cơ quan {agency.kind} không có trong danh mục.", "agencies"
        )
    return NewAgency(agency.code, _text(agency.name, "agencies", "Tên cơ quan"), agency.kind)


def check_rename(
    territory: Territory, code: str, name: str, valid_from: date, today: date, agency_names: Mapping[str, str]
) -> tuple[str, dict[str, str]]:
    """A unit (and, if asked, some of its agencies) renamed from `valid_from` (today or later), the unit in force
    then: the clean new names (those that change), or UnitChangeRefused."""
    unit = territory.units.get(code)
    if unit is None:
        raise UnitChangeRefused("unknown_unit", f"Đơn vị {code} không tồn tại.", "code")
    _not_before_today(valid_from, today, "valid_from")
    if not unit.in_force(valid_from):
        raise UnitChangeRefused("unit_not_in_force", "Đơn vị không còn hiệu lực vào ngày đó.", "valid_from")
    new_name = _text(name, "name", "Tên đơn vị")
    agencies: dict[str, str] = {}
    for agency_code, agency_name in agency_names.items():
        agency = territory.agencies.get(agency_code)
        if agency is None or agency.unit != code:
            raise UnitChangeRefused(
                "agency_not_in_unit", f"Cơ quan {agency_code} không thuộc đơn vị {code}.", "agencies"
            )
        cleaned = _text(agency_name, "agencies", "Tên cơ quan")
        if cleaned != agency.name_on(valid_from):
            agencies[agency_code] = cleaned
    if new_name == unit.name_on(valid_from) and not agencies:
        raise UnitChangeRefused("nothing_changes", "Tên mới trùng tên đang dùng vào ngày đó.", "name")
    return new_name, agencies


def check_merge(territory: Territory, sources: list[str], successor: str, effective_on: date) -> None:
    """Units merged into a successor of the same level, in force on the day it takes over (a unit merged again
    names its new successor: a correction)."""
    for code in [*sources, successor]:
        if code not in territory.units:
            raise UnitChangeRefused("unknown_unit", f"Đơn vị {code} không tồn tại.", "sources")
    if successor in sources or not sources:
        raise UnitChangeRefused(
            "invalid_request", "Đơn vị kế thừa không thể là đơn vị bị sáp nhập.", "successor"
        )
    heir = territory.units[successor]
    if not heir.in_force(effective_on):
        raise UnitChangeRefused(
            "successor_not_in_force", f"Đơn vị {successor} không có hiệu lực vào ngày đó.", "successor"
        )
    for code in sources:
        unit = territory.units[code]
        if unit.level != heir.level:
            raise UnitChangeRefused("wrong_level", f"Đơn vị {code} và {successor} không cùng cấp.", "sources")


def last_day_before(day: date) -> date:
    """The last day a merged unit is in force: the day before its successor takes over."""
    return day - timedelta(days=1)
