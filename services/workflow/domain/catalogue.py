"""Administrative units, agencies and the procedure catalogue, parsed from plain data and validated.

Pure: the caller reads the files (services/workflow/adapters/datafiles.py) and hands over their content with the
name of their source. Bad content is refused with an error naming the source and the problem, so a province never
runs on a catalogue it did not mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

RECEIPT_MODES = {"officer", "automatic"}
# A procedure version's status (issue #22): a draft is seen by administrators only; a published version is in force
# from its `valid_from` (a later date: scheduled); a withdrawn one is in force no more, but the dossiers filed under
# it keep it.
DRAFT, PUBLISHED, WITHDRAWN = "draft", "published", "withdrawn"
STATUSES = (DRAFT, PUBLISHED, WITHDRAWN)


class CatalogueError(ValueError):
    """A data file is malformed; the message names the file and the problem."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


# A name history: (first day, name), oldest first. A unit or agency renamed from a date keeps its earlier names
# for what was issued before (forms print the name in force on their date).
Names = tuple[tuple[date, str], ...]


def name_on(names: Names, current: str, day: date) -> str:
    """The name in force on `day`: the latest of `names` begun by then (the first one before any began)."""
    found = [name for first, name in names if first <= day]
    return found[-1] if found else (names[0][1] if names else current)


@dataclass(frozen=True)
class AdminUnit:
    code: str
    name: str  # the name in force on the day the territory was built for
    level: str
    parent: str | None
    valid_from: date
    valid_to: date | None = None  # the last day in force (inclusive); none: no end
    successor: str | None = None  # the unit it was merged into
    names: Names = ()

    def name_on(self, day: date) -> str:
        return name_on(self.names, self.name, day)

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    unit: str
    kind: str
    valid_from: date | None = None  # none: as long as its unit (the data files give no dates to agencies)
    valid_to: date | None = None
    names: Names = ()

    def name_on(self, day: date) -> str:
        return name_on(self.names, self.name, day)

    def in_force(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or self.valid_to >= day
        )


@dataclass(frozen=True)
class Procedure:
    code: str
    version: int
    valid_from: date
    name: dict[str, str]
    field: dict[str, str]
    competent_levels: tuple[str, ...]
    agency_kind: str
    online_mode: str
    processing_days: int
    fee_vnd: int
    documents: tuple[dict[str, Any], ...] = ()
    chain: tuple[dict[str, Any], ...] = ()  # inter-agency steps: {level, kind, days}
    process: str = "standard"
    result: dict[str, Any] | None = None  # {type, title, valid_days}: what the dossier produces
    payment_before_result: bool = False  # the result is returned only once the fee is paid
    # Who receives a filed dossier: "officer" (a receiving officer checks it first, Decree 118/2025) unless the
    # procedure's definition says "automatic" explicitly (received by the platform when it is filed).
    receipt: str = "officer"
    legal_basis: tuple[str, ...] = ()  # căn cứ pháp lý: the legal documents the procedure rests on
    status: str = PUBLISHED

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "version": self.version,
            "valid_from": self.valid_from.isoformat(),
            "name": self.name,
            "field": self.field,
            "competent_levels": list(self.competent_levels),
            "online_mode": self.online_mode,
            "processing_days": self.processing_days,
            "fee_vnd": self.fee_vnd,
            "documents": [dict(d) for d in self.documents],
            "chain": [dict(c) for c in self.chain],
            "process": self.process,
            "result": dict(self.result) if self.result else None,
            "receipt": self.receipt,
            "legal_basis": list(self.legal_basis),
        }

    def step_budget(self, index: int) -> int | None:
        """Working days of the chain's step `index` (0-based), or None past the chain."""
        if not self.chain:
            return self.processing_days if index == 0 else None
        return self.chain[index]["days"] if index < len(self.chain) else None


@dataclass
class Territory:
    """The units and agencies of one province under one administrative model."""

    model: str
    levels: tuple[str, ...]
    units: dict[str, AdminUnit] = field(default_factory=dict)
    agencies: dict[str, Agency] = field(default_factory=dict)

    def ancestry(self, unit_code: str) -> list[AdminUnit]:
        """The unit and its parents up to the province."""
        chain: list[AdminUnit] = []
        seen: set[str] = set()
        code: str | None = unit_code
        while code is not None:
            unit = self.units.get(code)
            if unit is None or code in seen:
                break
            chain.append(unit)
            seen.add(code)
            code = unit.parent
        return chain

    def competent_agency(
        self, procedure: Procedure, applicant_unit: str, on: date | None = None
    ) -> Agency | None:
        """The agency that decides: first competent level present in the applicant's ancestry, then the
        agency of the procedure's kind in that unit (in force `on`, when given). None means no rule routes it
        (coordination queue)."""
        ancestry = {unit.level: unit for unit in self.ancestry(applicant_unit)}
        for level in procedure.competent_levels:
            unit = ancestry.get(level)
            if unit is None:
                continue
            for agency in self.agencies.values():
                if agency.unit == unit.code and agency.kind == procedure.agency_kind:
                    if on is None or agency.in_force(on):
                        return agency
        return None

    def applicant_unit(self, code: str, on: date) -> AdminUnit | None:
        """The unit an applicant living in `code` belongs to on `on`: the unit itself, or the unit it was merged
        into (through every merge since); None for a unit unknown or not in force yet. A unit that ended without a
        successor stays itself (the 3-level model's units, kept for dossiers filed under it)."""
        unit, seen = self.units.get(code), set()
        while unit is not None and unit.successor and not unit.in_force(on) and unit.code not in seen:
            seen.add(unit.code)
            unit = self.units.get(unit.successor)
        if unit is None or unit.valid_from > on:
            return None
        return unit

    def unit_name(self, code: str, on: date) -> str | None:
        unit = self.units.get(code)
        return unit.name_on(on) if unit else None

    def agency_name(self, code: str, on: date) -> str | None:
        agency = self.agencies.get(code)
        return agency.name_on(on) if agency else None

    def level_of(self, agency: Agency) -> str:
        return self.units[agency.unit].level

    def agency_unit_level(self, agency_code: str) -> str:
        agency = self.agencies.get(agency_code)
        return self.level_of(agency) if agency else ""

    def chain_agency(
        self, step: dict[str, Any], applicant_unit: str, on: date | None = None
    ) -> Agency | None:
        """The agency of a chain step for an applicant: its level in the applicant's ancestry, its kind (in force
        `on`, when given)."""
        unit = {u.level: u for u in self.ancestry(applicant_unit)}.get(step["level"])
        if unit is None:
            return None
        return next(
            (
                a
                for a in self.agencies.values()
                if a.unit == unit.code and a.kind == step["kind"] and (on is None or a.in_force(on))
            ),
            None,
        )

    def competent_agencies(
        self, procedure: Procedure, applicant_unit: str, on: date
    ) -> list[tuple[Agency, bool]]:
        """The agencies a case of `procedure` may be transferred to, each with whether routing suggests it: the
        agencies of the procedure's path for this applicant (its chain's steps, or its competent agency) first,
        then every other agency of the same kinds at the same levels, by name. Units ended by `on` are left out."""
        steps = procedure.chain or (
            tuple({"level": lv, "kind": procedure.agency_kind} for lv in procedure.competent_levels)
        )
        suggested: list[Agency] = []
        for step in steps:
            agency = self.chain_agency(step, applicant_unit)
            if agency is not None and agency not in suggested:
                suggested.append(agency)
                if not procedure.chain:
                    break  # the first competent level present decides, as routing does
        wanted = {(str(s["level"]), str(s["kind"])) for s in steps}
        others = sorted(
            (
                a
                for a in self.agencies.values()
                if a not in suggested
                and (self.level_of(a), a.kind) in wanted
                and self.units[a.unit].in_force(on)
                and a.in_force(on)
            ),
            key=lambda a: a.name,
        )
        return [(a, True) for a in suggested] + [(a, False) for a in others]

    def rolled_up(self, unit_code: str, successors: dict[str, str]) -> set[str]:
        """A unit and every unit merged into it, directly or through a chain of merges."""
        result = {unit_code}
        changed = True
        while changed:
            changed = False
            for source, successor in successors.items():
                if successor in result and source not in result:
                    result.add(source)
                    changed = True
        return result


MODES = {"full", "partial"}
UNIT_KEYS = ("code", "name", "level")
AGENCY_KEYS = ("code", "name", "unit", "kind")
PROCEDURE_KEYS = (
    "code",
    "version",
    "name",
    "competent_levels",
    "agency_kind",
    "online_mode",
    "processing_days",
)


def _mapping(source: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise CatalogueError(source, "top level must be a mapping")
    return data


def _date(source: str, where: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CatalogueError(source, f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _required(
    source: str, where: str, raw: Any, keys: tuple[str, ...], present: bool = False
) -> dict[str, Any]:
    """`raw` as a mapping holding every key of `keys` (with a value, unless `present` is enough)."""
    if not isinstance(raw, dict):
        raise CatalogueError(source, f"{where}: must be a mapping")
    for key in keys:
        if (key not in raw) if present else not raw.get(key):
            raise CatalogueError(source, f"{where}: '{key}' is required")
    return raw


def parse_territory(data: Any, source: str) -> Territory:
    """The units and agencies in `data` (a units file's content); CatalogueError naming `source` and the problem."""
    data = _mapping(source, data)
    levels = data.get("levels")
    if not isinstance(levels, list) or not levels:
        raise CatalogueError(source, "'levels' must be a non-empty list")
    territory = Territory(model=str(data.get("model", "")), levels=tuple(str(lv) for lv in levels))
    for i, raw in enumerate(data.get("units") or []):
        unit = _unit(source, f"units[{i}]", raw, territory)
        territory.units[unit.code] = unit
    for unit in territory.units.values():
        if unit.parent is not None and unit.parent not in territory.units:
            raise CatalogueError(source, f"unit {unit.code}: parent {unit.parent!r} does not exist")
    for i, raw in enumerate(data.get("agencies") or []):
        where = f"agencies[{i}]"
        raw = _required(source, where, raw, AGENCY_KEYS)
        if raw["unit"] not in territory.units:
            raise CatalogueError(source, f"{where} ({raw['code']}): unit {raw['unit']!r} does not exist")
        territory.agencies[raw["code"]] = Agency(raw["code"], raw["name"], raw["unit"], raw["kind"])
    if not territory.units:
        raise CatalogueError(source, "no units defined")
    return territory


def _unit(source: str, where: str, raw: Any, territory: Territory) -> AdminUnit:
    raw = _required(source, where, raw, UNIT_KEYS)
    if raw["level"] not in territory.levels:
        raise CatalogueError(
            source, f"{where} ({raw['code']}): level {raw['level']!r} is not one of {list(territory.levels)}"
        )
    if raw["code"] in territory.units:
        raise CatalogueError(source, f"{where}: duplicate unit code {raw['code']!r}")
    return AdminUnit(
        code=raw["code"],
        name=raw["name"],
        level=raw["level"],
        parent=raw.get("parent"),
        valid_from=_date(source, where, raw.get("valid_from", "1900-01-01")),
        valid_to=_date(source, where, raw["valid_to"]) if raw.get("valid_to") else None,
    )


def parse_procedures(data: Any, source: str) -> dict[tuple[str, int], Procedure]:
    """The procedures in `data` (a procedures file's content) by (code, version); CatalogueError naming `source`."""
    procedures: dict[tuple[str, int], Procedure] = {}
    for i, raw in enumerate(_mapping(source, data).get("procedures") or []):
        procedure = _procedure(source, f"procedures[{i}]", raw)
        key = (procedure.code, procedure.version)
        if key in procedures:
            raise CatalogueError(source, f"procedures[{i}]: duplicate procedure {key[0]} version {key[1]}")
        procedures[key] = procedure
    return procedures


def _procedure(source: str, where: str, raw: Any) -> Procedure:
    raw = _required(source, where, raw, PROCEDURE_KEYS, present=True)
    if raw["online_mode"] not in MODES:
        raise CatalogueError(source, f"{where}: online_mode must be one of {sorted(MODES)}")
    for key in ("version", "processing_days", "fee_vnd"):
        value = raw.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise CatalogueError(source, f"{where}: '{key}' must be a non-negative integer")
    if not isinstance(raw["name"], dict) or "vi" not in raw["name"]:
        raise CatalogueError(source, f"{where}: 'name' needs a Vietnamese text under 'vi'")
    chain = _chain(source, where, raw)
    for j, doc in enumerate(raw.get("documents") or ()):
        if not isinstance(doc, dict) or not doc.get("code") or doc.get("kind") not in ("form", "document"):
            raise CatalogueError(source, f"{where}.documents[{j}]: needs a code and kind form|document")
    if raw.get("receipt", "officer") not in RECEIPT_MODES:
        raise CatalogueError(source, f"{where}: receipt must be one of {sorted(RECEIPT_MODES)}")
    return Procedure(
        code=str(raw["code"]),
        version=raw["version"],
        valid_from=_date(source, where, raw.get("valid_from", "1900-01-01")),
        name=raw["name"],
        field=raw.get("field") or {},
        competent_levels=tuple(raw["competent_levels"]),
        agency_kind=raw["agency_kind"],
        online_mode=raw["online_mode"],
        processing_days=raw["processing_days"],
        fee_vnd=raw.get("fee_vnd", 0),
        documents=tuple(raw.get("documents") or ()),
        chain=chain,
        process=str(raw.get("process") or "standard"),
        result=raw.get("result"),
        payment_before_result=bool(raw.get("payment_before_result", False)),
        receipt=str(raw.get("receipt", "officer")),
        legal_basis=_legal_basis(source, where, raw.get("legal_basis")),
    )


def _legal_basis(source: str, where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CatalogueError(source, f"{where}: legal_basis must be a list of texts")
    return tuple(v.strip() for v in value)


def parse_procedure(raw: Any, source: str, where: str) -> Procedure:
    """One procedure of a procedures file (`where` names it in the error); CatalogueError on the first problem."""
    return _procedure(source, where, raw)


def _chain(source: str, where: str, raw: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Inter-agency steps, whose budgets add up to the procedure's processing time."""
    chain = tuple(raw.get("chain") or ())
    for j, step in enumerate(chain):
        if not isinstance(step, dict) or not {"level", "kind", "days"} <= set(step):
            raise CatalogueError(source, f"{where}.chain[{j}]: needs level, kind and days")
        if not isinstance(step["days"], int) or step["days"] < 0:
            raise CatalogueError(source, f"{where}.chain[{j}]: days must be a non-negative integer")
    if chain and sum(step["days"] for step in chain) != raw["processing_days"]:
        raise CatalogueError(
            source,
            f"{where}: chain budgets add up to {sum(s['days'] for s in chain)} days, "
            f"processing_days says {raw['processing_days']}",
        )
    return chain


def in_force(procedures: dict[tuple[str, int], Procedure], code: str, on: date) -> Procedure | None:
    """The version of procedure `code` in force on `on`: the published one with the latest effective date not after
    `on` (the higher version when two share a date). Drafts and withdrawn versions never are."""
    candidates = [
        p for (c, _), p in procedures.items() if c == code and p.status == PUBLISHED and p.valid_from <= on
    ]
    return max(candidates, key=order, default=None)


def order(procedure: Procedure) -> tuple[date, int]:
    """How versions of one procedure follow each other: by effective date, then by version."""
    return (procedure.valid_from, procedure.version)


def definition(procedure: Procedure) -> dict[str, Any]:
    """Everything a version says, as plain data (stored, compared, shown); `from_definition` reads it back."""
    return {
        **procedure.to_dict(),
        "agency_kind": procedure.agency_kind,
        "payment_before_result": procedure.payment_before_result,
    }


def from_definition(data: dict[str, Any], status: str = PUBLISHED) -> Procedure:
    """A version from its stored `definition` (written by this platform, validated when it was imported)."""
    return Procedure(
        code=str(data["code"]),
        version=int(data["version"]),
        valid_from=date.fromisoformat(str(data["valid_from"])),
        name=dict(data["name"]),
        field=dict(data.get("field") or {}),
        competent_levels=tuple(data["competent_levels"]),
        agency_kind=str(data["agency_kind"]),
        online_mode=str(data["online_mode"]),
        processing_days=int(data["processing_days"]),
        fee_vnd=int(data.get("fee_vnd") or 0),
        documents=tuple(dict(d) for d in data.get("documents") or ()),
        chain=tuple(dict(c) for c in data.get("chain") or ()),
        process=str(data.get("process") or "standard"),
        result=dict(data["result"]) if data.get("result") else None,
        payment_before_result=bool(data.get("payment_before_result", False)),
        receipt=str(data.get("receipt") or "officer"),
        legal_basis=tuple(data.get("legal_basis") or ()),
        status=status,
    )
