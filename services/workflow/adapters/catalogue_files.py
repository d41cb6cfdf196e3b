"""Catalogue import files read into what the pure parser takes (domain/catalogue_import.py), and written back:

- CSV: UTF-8 (a byte-order mark is allowed), the first line the header, comma- or semicolon-separated (whichever
  the header uses more), cells quoted as RFC 4180 says (a cell may hold several lines). A row's line is the line of
  the file it starts on.
- XLSX (openpyxl): the first sheet, its first row the header; a row's line is its row number.
- YAML: the platform's procedures file (`procedures:` list); an entry's line is the line of its first key.

A file that cannot be read as its type says raises Unreadable with the line where reading stopped, when known.
Every few hundred rows the reader yields to the service's other green threads (`time.sleep(0)`, monkey-patched):
a large file does not hold up the requests a replica serves meanwhile.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml

from services.workflow.domain.catalogue_import import COLUMNS, MAX_ROWS

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YAML = "application/yaml"
MEDIA_TYPES = (CSV, XLSX, YAML)
YIELD_EVERY = 200


class Unreadable(ValueError):
    """The file is not what its type says (or holds too many rows); `line` where reading stopped, 0 unknown."""

    def __init__(self, line: int, vi: str, en: str) -> None:
        super().__init__(en)
        self.line, self.vi, self.en = line, vi, en


@dataclass
class Table:
    header_line: int
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def _pause(count: int) -> None:
    if count % YIELD_EVERY == 0:
        time.sleep(0)


def _too_many(line: int) -> Unreadable:
    return Unreadable(
        line,
        f"Tệp có quá {MAX_ROWS} dòng; hãy chia thành nhiều tệp.",
        f"The file holds more than {MAX_ROWS} rows; split it.",
    )


def read_csv(content: bytes) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise Unreadable(
            line, "Tệp CSV phải được lưu bằng mã UTF-8.", "The CSV file must be saved as UTF-8."
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table: Table | None = None
    start = 1
    try:
        for cells in reader:
            if table is None:
                table = Table(start, [c.strip() for c in cells])
            else:
                table.rows.append((start, cells))
                _pause(len(table.rows))
                if len(table.rows) > MAX_ROWS:
                    raise _too_many(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise Unreadable(
            reader.line_num, f"Dòng CSV không đọc được: {exc}.", f"A CSV line cannot be read: {exc}."
        ) from None
    if table is None:
        raise Unreadable(1, "Tệp trống.", "The file is empty.")
    return table


def _text(value: Any) -> str:
    """A spreadsheet cell as the text the parser takes: dates ISO, whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook  # imported when a spreadsheet comes: it is slow to import

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise Unreadable(
            0, f"Không đọc được tệp Excel (.xlsx): {exc}.", f"The Excel (.xlsx) file cannot be read: {exc}."
        ) from None
    try:
        sheet = book.worksheets[0]
        table: Table | None = None
        for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
            if table is None:
                table = Table(number, [_text(c).strip() for c in cells])
                continue
            table.rows.append((number, [_text(c) for c in cells]))
            _pause(number)
            if len(table.rows) > MAX_ROWS:
                raise _too_many(number)
    finally:
        book.close()
    if table is None:
        raise Unreadable(1, "Trang tính đầu tiên trống.", "The first sheet is empty.")
    return table


def read_yaml(content: bytes) -> list[tuple[int, Any]]:
    """The `procedures` entries of a procedures file, each with the line of its first key."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        text = content.decode("utf-8-sig")
        root = yaml.compose(text, Loader=loader)
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader (CSafeLoader or SafeLoader)
    except UnicodeDecodeError:
        raise Unreadable(0, "Tệp YAML phải được lưu bằng mã UTF-8.", "The YAML file must be UTF-8.") from None
    except (yaml.YAMLError, ValueError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise Unreadable(
            line, f"Tệp YAML không đọc được: {exc}.", f"The YAML file cannot be read: {exc}."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("procedures"), list):
        raise Unreadable(
            1, "Tệp YAML phải có danh sách «procedures».", "The YAML file needs a `procedures` list."
        )
    if len(data["procedures"]) > MAX_ROWS:
        raise _too_many(0)
    nodes = next(value for key, value in root.value if key.value == "procedures").value
    return [(node.start_mark.line + 1, entry) for node, entry in zip(nodes, data["procedures"], strict=True)]


def read(content: bytes, media_type: str) -> Table | list[tuple[int, Any]]:
    """A table (CSV, XLSX) or the entries of a procedures file (YAML), by media type."""
    if media_type == CSV:
        return read_csv(content)
    if media_type == XLSX:
        return read_xlsx(content)
    return read_yaml(content)


def rows(table: Table) -> Iterator[tuple[int, list[str]]]:
    """The table's rows, yielding to other green threads every few hundred (the parser is pure and long)."""
    for count, row in enumerate(table.rows, 1):
        _pause(count)
        yield row


# -- written back ---------------------------------------------------------------------------------------------------
def write_csv(records: Sequence[dict[str, str]]) -> bytes:
    """Rows under every documented header, UTF-8 with a byte-order mark (Excel opens it as UTF-8)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[c.header for c in COLUMNS], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(records: Sequence[dict[str, str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Thủ tục")
    headers = [c.header for c in COLUMNS]
    sheet.append(headers)
    for record in records:
        sheet.append([record.get(h, "") for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
