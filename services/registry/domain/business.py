"""Tax codes (mã số thuế): 10 digits for an enterprise, 13 (10 + 3-digit branch suffix, written N-NNN) for a
dependent unit. The 10th digit checks the first nine (weights 31, 29, 23, 19, 17, 13, 7, 5, 3; verify)."""

from __future__ import annotations

import re

WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_FORMAT = re.compile(r"^(\d{10})(?:-?(\d{3}))?$")


class InvalidTaxCode(ValueError):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def check_digit(first_nine: str) -> int | None:
    value = 10 - sum(int(d) * w for d, w in zip(first_nine, WEIGHTS, strict=True)) % 11
    return None if value == 10 else value % 10


def normalise_tax_code(value: str) -> str:
    """The tax code in canonical form (`0101234567` or `0101234567-001`), or InvalidTaxCode."""
    match = _FORMAT.match((value or "").strip())
    if not match:
        raise InvalidTaxCode("format", "Mã số thuế gồm 10 chữ số, hoặc 13 chữ số với đơn vị phụ thuộc.")
    main, branch = match.groups()
    if check_digit(main[:9]) != int(main[9]):
        raise InvalidTaxCode("check_digit", "Chữ số kiểm tra của mã số thuế không đúng.")
    if branch == "000":
        raise InvalidTaxCode("branch", "Mã đơn vị phụ thuộc bắt đầu từ 001.")
    return f"{main}-{branch}" if branch else main
