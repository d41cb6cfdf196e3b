"""A GENERATED catalogue file for tests and benchmarks of the catalogue import (docs/catalogue-import.md): `count`
procedures under the documented columns (the national database's field names), as CSV or XLSX. NOT real
procedures: codes start with GEN-, names with «[Dữ liệu sinh]»; times, fees and documents are made up. The
agencies are named as the platform's default units file names them (Sở Tư pháp, Sở Xây dựng, UBND cấp xã), so
every row is valid there; `bad_line` makes one row's processing time unreadable (the import must refuse the file
and name that line)."""

from __future__ import annotations

import csv
import io

from devtools.demo_data import GENERATED_CODE_PREFIX, GENERATED_MARK

HEADER = (
    "Mã thủ tục",
    "Tên thủ tục",
    "Lĩnh vực",
    "Cấp thực hiện",
    "Cơ quan thực hiện",
    "Thời hạn giải quyết",
    "Phí, lệ phí",
    "Thành phần hồ sơ",
    "Kết quả thực hiện",
    "Mức độ",
    "Căn cứ pháp lý",
)
PLACES = (
    ("Cấp Tỉnh", "Sở Tư pháp", "Lý lịch tư pháp"),
    ("Cấp Tỉnh", "Sở Xây dựng", "Xây dựng"),
    ("Cấp Xã", "UBND cấp xã", "Hộ tịch"),
    ("Cấp Xã", "UBND cấp xã", "Chứng thực"),
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BAD_TIME = "mười ngày"  # not a number of working days


def code(i: int) -> str:
    return f"{GENERATED_CODE_PREFIX}9.{i:06d}"


def rows(count: int, bad_line: int | None = None, version: int = 1) -> list[tuple[str, ...]]:
    """The header and `count` rows; the row on file line `bad_line` (the header is line 1) made bad. `version`
    changes every row's processing time (a changed file: each procedure gets a new version)."""
    table = [HEADER]
    for i in range(count):
        level, agency, field = PLACES[i % len(PLACES)]
        days = f"{5 + i % 20 + version - 1} ngày làm việc"
        table.append(
            (
                code(i),
                f"{GENERATED_MARK} Cấp giấy xác nhận thử nghiệm số {i}",
                field,
                level,
                agency,
                BAD_TIME if len(table) + 1 == bad_line else days,
                "Không" if i % 3 else f"{(i % 9 + 1) * 10}.000 đồng",
                f"TK{i % 7} | {GENERATED_MARK} Tờ khai số {i} | Mẫu",
                f"KQ{i % 5} | {GENERATED_MARK} Giấy xác nhận số {i}",
                "Toàn trình" if i % 2 else "Một phần",
                f"{GENERATED_MARK} Văn bản căn cứ (không có thật)",
            )
        )
    return table


def csv_bytes(count: int, bad_line: int | None = None, version: int = 1) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows(count, bad_line, version))
    return out.getvalue().encode("utf-8")


def xlsx_bytes(count: int, bad_line: int | None = None, version: int = 1) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Thủ tục (dữ liệu sinh)")
    for row in rows(count, bad_line, version):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
