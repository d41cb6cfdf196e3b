"""The work queue as a file: CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Vietnamese) and
XLSX (openpyxl). A file holds no more personal data than the page: the applicant's name and masked ID number,
never the phone. Cells a spreadsheet would run as a formula are written as text (CSV injection)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from services.chassis.clock import legal_text

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (
    ("dossier_code", "Mã hồ sơ", "Dossier code"),
    ("applicant_name", "Người nộp", "Applicant"),
    ("applicant_id_masked", "Số định danh", "ID number"),
    ("procedure_code", "Mã thủ tục", "Procedure code"),
    ("procedure_name", "Thủ tục", "Procedure"),
    ("status_name", "Trạng thái", "Status"),
    ("submitted", "Ngày nộp", "Filed"),
    ("due", "Hạn xử lý", "Due"),
    ("receipt_due", "Hạn tiếp nhận", "Answer by"),
    ("working_days_left", "Còn (ngày làm việc)", "Working days left"),
    ("mark", "Ghi chú", "Note"),
    ("assignee", "Người xử lý", "Assignee"),
)


def _safe(value) -> str | int:
    if isinstance(value, int):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def rows(items: list[dict], name_of, t) -> tuple[list[str], list[list]]:
    """(header, rows) in the page's language: `name_of(item)` gives (procedure name, status name), `t(vi, en)`."""
    header = [t(vi, en) for _, vi, en in COLUMNS]
    body = []
    for item in items:
        procedure, status = name_of(item)
        mark = (
            t("quá hạn", "overdue")
            if item.get("overdue")
            else t("sắp đến hạn", "due soon")
            if item.get("due_soon")
            else t("quá hạn tiếp nhận", "receipt overdue")
            if item.get("receipt_overdue")
            else ""
        )
        values = {
            **item,
            "procedure_name": procedure,
            "status_name": status,
            "submitted": _when(item.get("submitted_at")),
            "due": _when(item.get("due_at")),
            "receipt_due": _when(item.get("receipt_due_at")),
            "mark": mark,
            "working_days_left": item.get("working_days_left")
            if item.get("working_days_left") is not None
            else "",
        }
        body.append([_safe(values.get(key)) for key, _, _ in COLUMNS])
    return header, body


def _when(value) -> str:
    return legal_text(value) if value else ""


def to_csv(header: list[str], body: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(body)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value):
    """What a worksheet may hold: control characters (which no real name holds) are dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def to_xlsx(header: list[str], body: list[list], about: list[tuple[str, str]], title: str) -> bytes:
    """The rows on a first sheet, and on a second what the file is (source, unit, filter, time, who)."""
    body = [[_cell(v) for v in row] for row in body]
    about = [(_cell(_safe(k)), _cell(_safe(v))) for k, v in about]
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(header)
    for row in body:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for index, _ in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 22
    info = book.create_sheet("Nguon - Source")
    for key, value in about:
        info.append([key, value])
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 70
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def build(fmt: str, items: list[dict], name_of, t, about: list[tuple[str, str]]) -> bytes:
    header, body = rows(items, name_of, t)
    if fmt == "xlsx":
        return to_xlsx(header, body, about, t("Ho so", "Dossiers"))
    return to_csv(header, body)
