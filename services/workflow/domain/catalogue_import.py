"""Importing procedures (issue #22): rows in, procedures or the list of what is wrong with which row out. Pure.

Two shapes of file come in. A table (CSV, XLSX) has one row per procedure and columns named after the fields the
national database of administrative procedures publishes (Mã thủ tục, Tên thủ tục, Lĩnh vực, Cấp thực hiện, Cơ quan
thực hiện, Thời hạn giải quyết, Phí/lệ phí, Thành phần hồ sơ, Kết quả thực hiện, Mức độ, Căn cứ pháp lý), plus a few
of the platform's own (COLUMNS; docs/catalogue-import.md says how each maps). The platform's YAML (the
`procedures:` list of services/workflow/data/procedures.yaml) comes as entries with their line.

A file is judged whole: every bad row gives a Problem naming its line, its column and what is wrong, and a caller
imports nothing when there is one. Rows are also checked against the province (Context): the levels of the model in
force, an agency of the named kind at a competent level, the process definitions. `plan` then decides, procedure
by procedure, what an import changes: a new version for a changed procedure, nothing for an unchanged one.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from services.workflow.domain.catalogue import (
    DRAFT,
    MODES,
    PUBLISHED,
    WITHDRAWN,
    CatalogueError,
    Procedure,
    Territory,
    definition,
    parse_procedure,
)

MAX_ROWS = 10_000
LEVEL_WORDS = {"tinh": "province", "xa": "commune", "huyen": "district"}
LEVEL_NAMES = {"province": "Cấp Tỉnh", "commune": "Cấp Xã", "district": "Cấp Huyện"}
MODE_NAMES = {"full": "Toàn trình", "partial": "Một phần"}
CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._\-]{0,29}$")
FEE = re.compile(r"^(\d{1,3}(?:[., ]\d{3})+|\d+)\s*(?:đồng|đ|vnđ|vnd)?\s*(?:/.*)?$")
DAYS = re.compile(r"^(\d+)(?:\s*ngày làm việc\b.*)?$")
NO_FEE = {"", "0", "khong", "mien phi", "khong thu phi", "khong co"}
YES = {"co", "x", "yes", "true", "1"}
NO = {"", "khong", "no", "false", "0"}
BARE_FORM = {"mau", "to khai", "form"}  # a form whose template has no name of its own
RECEIPTS = {"officer": "officer", "can bo": "officer", "automatic": "automatic", "tu dong": "automatic"}
# The committees' usual names in the national database, which name no unit ("Ủy ban nhân dân cấp xã").
LEVEL_SUFFIX = re.compile(r"\s+cap (tinh|xa|huyen)$")
# Fields compared between versions, with their names for people.
FIELD_NAMES = {
    "name": ("Tên thủ tục", "Name"),
    "field": ("Lĩnh vực", "Field"),
    "competent_levels": ("Cấp thực hiện", "Competent level"),
    "agency_kind": ("Cơ quan thực hiện", "Agency"),
    "processing_days": ("Thời hạn giải quyết", "Processing time"),
    "fee_vnd": ("Phí, lệ phí", "Fee"),
    "documents": ("Thành phần hồ sơ", "Documents"),
    "result": ("Kết quả thực hiện", "Result"),
    "online_mode": ("Mức độ", "Online mode"),
    "legal_basis": ("Căn cứ pháp lý", "Legal basis"),
    "chain": ("Liên thông", "Inter-agency steps"),
    "process": ("Quy trình", "Process"),
    "receipt": ("Tiếp nhận", "Receipt"),
    "payment_before_result": ("Thu phí trước khi trả kết quả", "Fee before the result"),
}


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as documented and exported
    aliases: tuple[str, ...] = ()
    required: bool = False


COLUMNS = (
    Column("code", "Mã thủ tục", ("ma thu tuc", "ma", "code"), True),
    Column("name", "Tên thủ tục", ("ten thu tuc", "name"), True),
    Column("field", "Lĩnh vực", ("linh vuc", "field"), True),
    Column("levels", "Cấp thực hiện", ("cap thuc hien", "competent levels"), True),
    Column("agency", "Cơ quan thực hiện", ("co quan thuc hien", "agency kind", "agency"), True),
    Column("days", "Thời hạn giải quyết", ("thoi han giai quyet", "processing days"), True),
    Column("fee", "Phí, lệ phí", ("phi le phi", "phi", "le phi", "fee vnd", "fee")),
    Column("documents", "Thành phần hồ sơ", ("thanh phan ho so", "documents")),
    Column("result", "Kết quả thực hiện", ("ket qua thuc hien", "ket qua", "result")),
    Column("mode", "Mức độ", ("muc do", "online mode"), True),
    Column("legal_basis", "Căn cứ pháp lý", ("can cu phap ly", "legal basis")),
    Column("valid_from", "Hiệu lực từ", ("hieu luc tu", "valid from")),
    Column("name_en", "Tên tiếng Anh", ("ten tieng anh", "name en")),
    Column("field_en", "Lĩnh vực tiếng Anh", ("linh vuc tieng anh", "field en")),
    Column("process", "Quy trình", ("quy trinh", "process")),
    Column("receipt", "Tiếp nhận", ("tiep nhan", "receipt")),
    Column(
        "pay_first",
        "Thu phí trước khi trả kết quả",
        ("thu phi truoc khi tra ket qua", "payment before result"),
    ),
    Column("chain", "Liên thông", ("lien thong", "chain")),
)
HEADERS = {c.key: c.header for c in COLUMNS}


@dataclass(frozen=True)
class Problem:
    """What is wrong with one row: its line in the file, the column (a table's header, a YAML key; empty when the
    whole row is meant), a stable code and the problem in Vietnamese and English."""

    line: int
    column: str
    code: str
    vi: str
    en: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "problem": self.vi,
            "problem_en": self.en,
        }


class Bad(ValueError):
    """A cell (or a row) refused: its code and the problem in both languages."""

    def __init__(self, code: str, vi: str, en: str, column: str = "") -> None:
        super().__init__(en)
        self.code, self.vi, self.en, self.column = code, vi, en, column


@dataclass(frozen=True)
class Context:
    """The province an import is checked against: the levels of the model in force, the (level, agency kind) pairs
    its agencies make, its agencies' names with their kind, the process definitions, the day of the import."""

    levels: tuple[str, ...]
    pairs: frozenset[tuple[str, str]]
    agencies: tuple[tuple[str, str], ...]  # (folded name, kind)
    processes: frozenset[str]
    today: date

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(kind for _, kind in self.pairs)


def fold(text: str) -> str:
    """Lower case without diacritics (đ as d), punctuation and underscores as spaces, spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "d"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def agency_name(text: str) -> str:
    """An agency's name as names are compared: folded, «UBND» read as «Ủy ban nhân dân», a trailing «cấp tỉnh»,
    «cấp xã» or «cấp huyện» left out."""
    return LEVEL_SUFFIX.sub("", re.sub(r"^ubnd\b", "uy ban nhan dan", fold(text)))


def context_of(territory: Territory, processes: Iterable[str], today: date) -> Context:
    """The province an import is checked against: the agencies of the units in force on `today`."""
    agencies = [a for a in territory.agencies.values() if _unit_in_force(territory, a.unit, today)]
    return Context(
        levels=territory.levels,
        pairs=frozenset((territory.level_of(a), a.kind) for a in agencies),
        agencies=tuple(sorted((agency_name(a.name), a.kind) for a in agencies)),
        processes=frozenset(processes),
        today=today,
    )


def _unit_in_force(territory: Territory, code: str, today: date) -> bool:
    unit = territory.units.get(code)
    return unit is not None and unit.valid_from <= today and (unit.valid_to is None or unit.valid_to > today)


# -- the header ----------------------------------------------------------------------------------------------------
def columns(header: Sequence[str], line: int) -> tuple[dict[str, int], list[str], list[Problem]]:
    """Which cell holds which field: {key: index}, the headers ignored (not ours), and the header's problems
    (a required column missing, a column twice)."""
    known = {alias: c for c in COLUMNS for alias in (fold(c.header), *c.aliases)}
    found: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    for index, title in enumerate(header):
        column = known.get(fold(str(title or "")))
        if column is None:
            if str(title or "").strip():
                ignored.append(str(title).strip())
            continue
        if column.key in found:
            problems.append(
                Problem(
                    line, str(title), "duplicate_column", "Cột này có hai lần.", "This column appears twice."
                )
            )
        found[column.key] = index
    for column in COLUMNS:
        if column.required and column.key not in found:
            problems.append(
                Problem(
                    line,
                    column.header,
                    "missing_column",
                    f"Thiếu cột bắt buộc «{column.header}».",
                    f"The required column “{column.header}” is missing.",
                )
            )
    return found, ignored, problems


# -- one table row -------------------------------------------------------------------------------------------------
def parse_table(
    header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]], ctx: Context, header_line: int = 1
) -> tuple[list[tuple[int, Procedure]], list[Problem], list[str]]:
    """The procedures of a table's rows (line, cells), the problems of every bad row, and the columns ignored.
    Rows whose cells are all empty are skipped."""
    found, ignored, problems = columns(header, header_line)
    if problems:
        return [], problems, ignored
    procedures: list[tuple[int, Procedure]] = []
    for line, cells in rows:
        values = {key: _cell(cells, index) for key, index in found.items()}
        if not any(values.values()):
            continue
        row_problems: list[Problem] = []
        procedure = _table_row(line, values, ctx, row_problems)
        problems += row_problems
        if procedure is not None:
            procedures.append((line, procedure))
    return procedures, problems + _duplicates(procedures, HEADERS["code"]), ignored


def _cell(cells: Sequence[str], index: int) -> str:
    return str(cells[index]).strip() if index < len(cells) and cells[index] is not None else ""


def _table_row(line: int, values: dict[str, str], ctx: Context, problems: list[Problem]) -> Procedure | None:
    """One row as a procedure, or None with its problems added (every column is looked at)."""
    read: dict[str, Any] = {}
    for key, reader in READERS.items():
        try:
            read[key] = reader(values.get(key, ""), ctx)
        except Bad as bad:
            problems.append(Problem(line, HEADERS[key], bad.code, bad.vi, bad.en))
    if problems:
        return None
    raw = {
        "code": read["code"],
        "version": 1,
        "valid_from": (read["valid_from"] or ctx.today).isoformat(),
        "name": {"vi": read["name"], **({"en": read["name_en"]} if read["name_en"] else {})},
        "field": {"vi": read["field"], **({"en": read["field_en"]} if read["field_en"] else {})},
        "competent_levels": read["levels"],
        "agency_kind": read["agency"],
        "online_mode": read["mode"],
        "processing_days": read["days"],
        "fee_vnd": read["fee"],
        "documents": read["documents"],
        "result": read["result"],
        "legal_basis": read["legal_basis"],
        "chain": read["chain"],
        "process": read["process"],
        "receipt": read["receipt"],
        "payment_before_result": read["pay_first"],
    }
    return _checked(line, raw, ctx, problems, HEADERS)


def _required_text(value: str, ctx: Context) -> str:
    if not value:
        raise Bad("required", "Ô này không được để trống.", "This cell must not be empty.")
    if len(value) > 500:
        raise Bad("too_long", "Quá 500 ký tự.", "Longer than 500 characters.")
    return value


def _optional_text(value: str, ctx: Context) -> str:
    if len(value) > 500:
        raise Bad("too_long", "Quá 500 ký tự.", "Longer than 500 characters.")
    return value


def _code(value: str, ctx: Context) -> str:
    if not value:
        raise Bad("required", "Thiếu mã thủ tục.", "The procedure's code is missing.")
    if not CODE.match(value):
        raise Bad(
            "invalid_code",
            f"Mã thủ tục «{value}» chỉ được gồm chữ, số, dấu chấm, gạch ngang (tối đa 30 ký tự).",
            f"The code “{value}” may hold letters, digits, dots and dashes only (30 at most).",
        )
    return value


def _levels(value: str, ctx: Context) -> list[str]:
    """«Cấp Tỉnh», «Cấp Xã» (or province, commune...), several in order of preference, separated by ; or ,."""
    levels: list[str] = []
    for part in re.split(r"[;,\n]", value):
        word = fold(part).removeprefix("cap ").strip()
        if not word:
            continue
        level = LEVEL_WORDS.get(word, word)
        if level not in LEVEL_NAMES:
            raise Bad(
                "unknown_level",
                f"Cấp «{part.strip()}» không phải cấp tỉnh, cấp xã (hoặc cấp huyện trong mô hình 3 cấp).",
                f"Level “{part.strip()}” is not a province, commune (or district, in the 3-level model) level.",
            )
        if level not in levels:
            levels.append(level)
    if not levels:
        raise Bad("required", "Thiếu cấp thực hiện.", "The competent level is missing.")
    if not any(level in ctx.levels for level in levels):
        names = ", ".join(LEVEL_NAMES[lv] for lv in ctx.levels if lv in LEVEL_NAMES)
        raise Bad(
            "level_not_in_model",
            f"Mô hình chính quyền đang áp dụng không có cấp này (chỉ có: {names}).",
            f"The administrative model in force has no such level (only: {', '.join(ctx.levels)}).",
        )
    return levels


def agency_kind(value: str, ctx: Context) -> str:
    """The kind of agency a name means: a kind code itself, or the beginning of the names of the province's
    agencies of one kind («Sở Tư pháp» for «Sở Tư pháp tỉnh Ninh Bình»; «UBND» read as «Ủy ban nhân dân»;
    «cấp tỉnh», «cấp xã» at the end ignored)."""
    if not value:
        raise Bad("required", "Thiếu cơ quan thực hiện.", "The agency is missing.")
    if value in ctx.kinds:
        return value
    wanted = agency_name(value)
    kinds = {
        kind for name, kind in ctx.agencies if wanted and (name == wanted or name.startswith(wanted + " "))
    }
    if len(kinds) == 1:
        return kinds.pop()
    if kinds:
        raise Bad(
            "ambiguous_agency",
            f"«{value}» khớp với cơ quan thuộc nhiều loại ({', '.join(sorted(kinds))}); hãy ghi tên đầy đủ hơn.",
            f"“{value}” matches agencies of several kinds ({', '.join(sorted(kinds))}); write a fuller name.",
        )
    raise Bad(
        "unknown_agency",
        f"Không có cơ quan nào của tỉnh có tên bắt đầu bằng «{value}».",
        f"No agency of the province has a name beginning with “{value}”.",
    )


def _days(value: str, ctx: Context) -> int:
    """«10» or «10 ngày làm việc» (what follows, such as «kể từ ngày nhận đủ hồ sơ», is left out)."""
    found = DAYS.match(value.lower())
    if not found or not 1 <= int(found.group(1)) <= 3650:
        raise Bad(
            "invalid_processing_time",
            f"Thời hạn «{value}» phải là số ngày làm việc, từ 1 (ví dụ «10 ngày làm việc»; trong ngày: 1).",
            f"“{value}” must be a number of working days, at least 1 (e.g. “10 ngày làm việc”; same day: 1).",
        )
    return int(found.group(1))


def _fee(value: str, ctx: Context) -> int:
    """An amount in đồng («200.000 đồng», «200000»), or none («Không», «Miễn phí», empty)."""
    if fold(value) in NO_FEE:
        return 0
    found = FEE.match(value.lower())
    if not found:
        raise Bad(
            "invalid_fee",
            f"Phí «{value}» phải là một số tiền bằng đồng (ví dụ «200.000 đồng») hoặc «Không».",
            f"“{value}” must be one amount in đồng (e.g. “200.000 đồng”) or “Không” (none).",
        )
    return int(re.sub(r"[., ]", "", found.group(1)))


def _mode(value: str, ctx: Context) -> str:
    folded = fold(value)
    if "toan trinh" in folded or folded == "full":
        return "full"
    if "mot phan" in folded or folded == "partial":
        return "partial"
    raise Bad(
        "invalid_online_mode",
        f"Mức độ «{value}» phải là «Toàn trình» hoặc «Một phần» (Nghị định 42/2022/NĐ-CP).",
        f"“{value}” must be “Toàn trình” (full) or “Một phần” (partial) (Decree 42/2022).",
    )


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace("\r", "\n").split("\n") if line.strip()]


def _parts(line: str) -> list[str]:
    return [part.strip() for part in line.split("|")]


def _documents(value: str, ctx: Context) -> list[dict[str, Any]]:
    """One document a line: «MÃ | Tên giấy tờ | Mẫu đơn, tờ khai» (the third part, a form's name, makes it a form)."""
    documents: list[dict[str, Any]] = []
    for number, line in enumerate(_lines(value), 1):
        parts = _parts(line) + ["", ""]
        code, name, template = parts[0], parts[1], parts[2]
        if not CODE.match(code) or not name or len(_parts(line)) > 3:
            raise Bad(
                "invalid_document",
                f"Giấy tờ thứ {number} «{line}» phải có dạng «MÃ | Tên giấy tờ | Mẫu (nếu có)».",
                f"Document {number} “{line}” must read “CODE | Name | Form (if any)”.",
            )
        if any(d["code"] == code for d in documents):
            raise Bad(
                "duplicate_document", f"Mã giấy tờ {code} có hai lần.", f"Document code {code} appears twice."
            )
        document: dict[str, Any] = {
            "code": code,
            "kind": "form" if template else "document",
            "name": {"vi": name},
        }
        if template and fold(template) not in BARE_FORM:
            document["template"] = template
        documents.append(document)
    return documents


def _result(value: str, ctx: Context) -> dict[str, Any] | None:
    """«MÃ | Tên kết quả» or «MÃ | Tên kết quả | số ngày hiệu lực»; empty: the procedure issues no document."""
    if not value:
        return None
    parts = _parts(value)
    days = parts[2] if len(parts) > 2 else ""
    if len(parts) not in (2, 3) or not CODE.match(parts[0]) or not parts[1] or (days and not days.isdigit()):
        raise Bad(
            "invalid_result",
            f"Kết quả «{value}» phải có dạng «MÃ | Tên kết quả» hoặc «MÃ | Tên kết quả | số ngày hiệu lực».",
            f"“{value}” must read “CODE | Title” or “CODE | Title | days valid”.",
        )
    return {"type": parts[0], "title": parts[1], **({"valid_days": int(days)} if days else {})}


def _legal_basis(value: str, ctx: Context) -> list[str]:
    return _lines(value)


def _valid_from(value: str, ctx: Context) -> date | None:
    """dd/mm/yyyy or yyyy-mm-dd; empty: the day of the import."""
    if not value:
        return None
    try:
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", value):
            day, month, year = (int(p) for p in value.split("/"))
            return date(year, month, day)
        return date.fromisoformat(value[:10])
    except ValueError:
        raise Bad(
            "invalid_date",
            f"Ngày «{value}» không đúng (dd/mm/yyyy).",
            f"“{value}” is not a date (dd/mm/yyyy).",
        ) from None


def _process(value: str, ctx: Context) -> str:
    return value or "standard"


def _receipt(value: str, ctx: Context) -> str:
    receipt = RECEIPTS.get(fold(value) or "officer")
    if receipt is None:
        raise Bad(
            "invalid_receipt",
            f"Tiếp nhận «{value}» phải là «Cán bộ» hoặc «Tự động».",
            f"“{value}” must be “Cán bộ” (an officer) or “Tự động” (automatic).",
        )
    return receipt


def _yes_no(value: str, ctx: Context) -> bool:
    folded = fold(value)
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise Bad(
        "invalid_yes_no", f"«{value}» phải là «Có» hoặc «Không».", f"“{value}” must be “Có” or “Không”."
    )


def _chain(value: str, ctx: Context) -> list[dict[str, Any]]:
    """One step a line: «Cấp | Cơ quan | số ngày làm việc» (the steps' days add up to the processing time)."""
    steps: list[dict[str, Any]] = []
    for number, line in enumerate(_lines(value), 1):
        parts = _parts(line)
        if len(parts) != 3 or not parts[2].isdigit():
            raise Bad(
                "invalid_chain",
                f"Bước liên thông {number} «{line}» phải có dạng «Cấp | Cơ quan | số ngày».",
                f"Step {number} “{line}” must read “Level | Agency | days”.",
            )
        level = _levels(parts[0], ctx)[0]
        steps.append({"level": level, "kind": agency_kind(parts[1], ctx), "days": int(parts[2])})
    return steps


READERS = {
    "code": _code,
    "name": _required_text,
    "field": _required_text,
    "levels": _levels,
    "agency": agency_kind,
    "days": _days,
    "fee": _fee,
    "documents": _documents,
    "result": _result,
    "mode": _mode,
    "legal_basis": _legal_basis,
    "valid_from": _valid_from,
    "name_en": _optional_text,
    "field_en": _optional_text,
    "process": _process,
    "receipt": _receipt,
    "pay_first": _yes_no,
    "chain": _chain,
}


# -- the platform's YAML -------------------------------------------------------------------------------------------
YAML_KEYS = {
    "code": "code",
    "levels": "competent_levels",
    "agency": "agency_kind",
    "days": "processing_days",
    "process": "process",
    "chain": "chain",
}


def parse_entries(
    entries: Iterable[tuple[int, Any]], ctx: Context
) -> tuple[list[tuple[int, Procedure]], list[Problem]]:
    """The procedures of a procedures file's entries (line, mapping), checked as the platform checks its own file
    and then against the province. The entries' `version` is not kept: the store numbers versions."""
    procedures: list[tuple[int, Procedure]] = []
    problems: list[Problem] = []
    for line, raw in entries:
        try:
            parse_procedure(raw, "", "")
        except CatalogueError as exc:
            problem = exc.problem.lstrip(": ").strip()
            key = re.search(r"'([a-z_]+)'", problem)
            problems.append(Problem(line, key.group(1) if key else "", "invalid_entry", problem, problem))
            continue
        row_problems: list[Problem] = []
        entry = {**raw, "version": 1, "valid_from": str(raw.get("valid_from") or ctx.today.isoformat())}
        procedure = _checked(line, entry, ctx, row_problems, YAML_KEYS)
        problems += row_problems
        if procedure is not None:
            procedures.append((line, procedure))
    return procedures, problems + _duplicates(procedures, "code")


# -- both: against the province ------------------------------------------------------------------------------------
def _checked(
    line: int, raw: dict[str, Any], ctx: Context, problems: list[Problem], names: Mapping[str, str]
) -> Procedure | None:
    """`raw` (the platform's keys) as a procedure, once it fits the province: a competent level of the model in
    force with an agency of its kind, a known process, chain steps whose agencies exist and whose days add up."""
    for bad in _against_province(raw, ctx):
        problems.append(Problem(line, names.get(bad.column, bad.column), bad.code, bad.vi, bad.en))
    if problems:
        return None
    try:
        return parse_procedure(raw, "", "")
    except CatalogueError as exc:  # what the platform's own parser still refuses (the same rules as its file)
        problems.append(Problem(line, "", "invalid_entry", exc.problem.strip(": "), exc.problem.strip(": ")))
        return None


def _against_province(raw: dict[str, Any], ctx: Context) -> list[Bad]:
    found: list[Bad] = []
    if not CODE.match(str(raw["code"])):
        found.append(
            Bad(
                "invalid_code",
                "Mã thủ tục chỉ được gồm chữ, số, dấu chấm, gạch ngang (tối đa 30 ký tự).",
                "A code may hold letters, digits, dots and dashes only (30 at most).",
                "code",
            )
        )
    levels = [lv for lv in raw["competent_levels"] if lv in ctx.levels]
    kind = str(raw["agency_kind"])
    if not levels:
        found.append(
            Bad(
                "level_not_in_model",
                "Mô hình đang áp dụng không có cấp này.",
                "No such level in the model.",
                "levels",
            )
        )
    elif not any((level, kind) in ctx.pairs for level in levels):
        found.append(
            Bad(
                "no_competent_agency",
                f"Tỉnh không có cơ quan loại «{kind}» ở {LEVEL_NAMES.get(levels[0], levels[0]).lower()}.",
                f"The province has no agency of kind “{kind}” at the {levels[0]} level.",
                "agency",
            )
        )
    if str(raw.get("process") or "standard") not in ctx.processes:
        found.append(
            Bad(
                "unknown_process",
                f"Không có quy trình «{raw.get('process')}» (có: {', '.join(sorted(ctx.processes))}).",
                f"No process “{raw.get('process')}” (known: {', '.join(sorted(ctx.processes))}).",
                "process",
            )
        )
    found += _chain_problems(raw, ctx)
    return found


def _chain_problems(raw: dict[str, Any], ctx: Context) -> list[Bad]:
    chain = raw.get("chain") or []
    if not chain:
        return []
    missing = [s for s in chain if (str(s.get("level")), str(s.get("kind"))) not in ctx.pairs]
    if missing:
        step = missing[0]
        return [
            Bad(
                "no_chain_agency",
                f"Tỉnh không có cơ quan loại «{step.get('kind')}» ở cấp «{step.get('level')}» cho bước liên thông.",
                f"The province has no agency of kind “{step.get('kind')}” at level “{step.get('level')}”.",
                "chain",
            )
        ]
    total = sum(int(s.get("days") or 0) for s in chain)
    if total != raw["processing_days"]:
        return [
            Bad(
                "chain_days",
                f"Số ngày các bước liên thông cộng lại là {total}, thời hạn giải quyết là {raw['processing_days']}.",
                f"The steps' days add up to {total}; the processing time is {raw['processing_days']}.",
                "chain",
            )
        ]
    return []


def _duplicates(procedures: list[tuple[int, Procedure]], column: str) -> list[Problem]:
    first: dict[str, int] = {}
    problems = []
    for line, procedure in procedures:
        if procedure.code in first:
            problems.append(
                Problem(
                    line,
                    column,
                    "duplicate_code",
                    f"Mã thủ tục {procedure.code} đã có ở dòng {first[procedure.code]}.",
                    f"Procedure {procedure.code} is already on line {first[procedure.code]}.",
                )
            )
        else:
            first[procedure.code] = line
    return problems


# -- versions ------------------------------------------------------------------------------------------------------
def digest(procedure: Procedure) -> str:
    """What a version says (not its number, date or status), as a SHA-256: equal digests, same procedure."""
    content = {k: v for k, v in definition(procedure).items() if k not in ("version", "valid_from", "status")}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Stored:
    """A version already in the store."""

    code: str
    version: int
    status: str
    digest: str


@dataclass(frozen=True)
class Plan:
    created: list[Procedure]  # new versions, numbered, with their status and effective date
    unchanged: list[str]  # codes whose newest version (not withdrawn) says the same


def plan(incoming: Iterable[Procedure], stored: Iterable[Stored], publish: bool, today: date) -> Plan:
    """What an import changes: a changed or new procedure gets the next version number, published (effective from
    its row's date, never before the import's day) or a draft; one whose newest version that is not withdrawn says
    the same is left alone. Procedures the file leaves out are not touched."""
    newest: dict[str, int] = {}
    current: dict[str, Stored] = {}
    for s in stored:
        newest[s.code] = max(newest.get(s.code, 0), s.version)
        if s.status != WITHDRAWN and s.version > current.get(s.code, Stored("", 0, "", "")).version:
            current[s.code] = s
    created: list[Procedure] = []
    unchanged: list[str] = []
    for procedure in incoming:
        known = current.get(procedure.code)
        if known is not None and known.digest == digest(procedure):
            unchanged.append(procedure.code)
            continue
        effective = max(procedure.valid_from, today) if publish else procedure.valid_from
        created.append(
            replace(
                procedure,
                version=newest.get(procedure.code, 0) + 1,
                status=PUBLISHED if publish else DRAFT,
                valid_from=effective,
            )
        )
    return Plan(created, unchanged)


def changes(before: Procedure | None, after: Procedure) -> list[str]:
    """The fields (FIELD_NAMES' keys) in which `after` differs from `before` (none without a `before`)."""
    if before is None:
        return []
    old, new = definition(before), definition(after)
    return [key for key in FIELD_NAMES if old.get(key) != new.get(key)]


def with_english(procedure: Procedure, current: Procedure | None) -> Procedure:
    """A table's procedure with the English names it cannot say (documents) or leaves empty taken from `current`
    (the version in force) wherever the Vietnamese text is the same: a table holds Vietnamese only."""
    if current is None:
        return procedure
    known = {str(d.get("code")): d.get("name") or {} for d in current.documents}
    documents = tuple(_english(d, known.get(str(d.get("code"))) or {}) for d in procedure.documents)
    return replace(
        procedure,
        name=_english_text(procedure.name, current.name),
        field=_english_text(procedure.field, current.field),
        documents=documents,
    )


def _english_text(text: dict[str, str], current: dict[str, str]) -> dict[str, str]:
    if text.get("en") or not current.get("en") or text.get("vi") != current.get("vi"):
        return text
    return {**text, "en": current["en"]}


def _english(document: dict[str, Any], current: Any) -> dict[str, Any]:
    name = document.get("name") or {}
    if not isinstance(name, dict) or not isinstance(current, dict):
        return document
    return {**document, "name": _english_text(name, current)}


# -- back to a row (export, and the tests' round trip) -------------------------------------------------------------
def to_row(procedure: Procedure) -> dict[str, str]:
    """A procedure as a table row under the documented headers (the agency as its kind code)."""
    result = procedure.result or {}
    return {
        HEADERS["code"]: procedure.code,
        HEADERS["name"]: procedure.name.get("vi", ""),
        HEADERS["field"]: procedure.field.get("vi", ""),
        HEADERS["levels"]: "; ".join(LEVEL_NAMES.get(lv, lv) for lv in procedure.competent_levels),
        HEADERS["agency"]: procedure.agency_kind,
        HEADERS["days"]: f"{procedure.processing_days} ngày làm việc",
        HEADERS["fee"]: f"{procedure.fee_vnd:,}".replace(",", ".") + " đồng"
        if procedure.fee_vnd
        else "Không",
        HEADERS["documents"]: "\n".join(_document_line(d) for d in procedure.documents),
        HEADERS["result"]: " | ".join(
            str(p) for p in (result.get("type"), result.get("title"), result.get("valid_days")) if p
        ),
        HEADERS["mode"]: MODE_NAMES[procedure.online_mode] if procedure.online_mode in MODES else "",
        HEADERS["legal_basis"]: "\n".join(procedure.legal_basis),
        HEADERS["valid_from"]: procedure.valid_from.strftime("%d/%m/%Y"),
        HEADERS["name_en"]: procedure.name.get("en", ""),
        HEADERS["field_en"]: procedure.field.get("en", ""),
        HEADERS["process"]: procedure.process,
        HEADERS["receipt"]: "Tự động" if procedure.receipt == "automatic" else "Cán bộ",
        HEADERS["pay_first"]: "Có" if procedure.payment_before_result else "Không",
        HEADERS["chain"]: "\n".join(
            f"{LEVEL_NAMES.get(s['level'], s['level'])} | {s['kind']} | {s['days']}" for s in procedure.chain
        ),
    }


def _document_line(document: Mapping[str, Any]) -> str:
    name = document.get("name") or {}
    text = name.get("vi", "") if isinstance(name, dict) else str(name)
    template = document.get("template") or ("Mẫu" if document.get("kind") == "form" else "")
    return " | ".join([str(document.get("code", "")), text] + ([str(template)] if template else []))
