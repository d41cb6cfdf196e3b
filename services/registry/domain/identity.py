"""Structure of the 12-digit personal identification number (số định danh cá nhân / CCCD).

Digits 1-3: province of birth registration; digit 4: century and sex; digits 5-6: last two digits of the
birth year; digits 7-12: a random sequence. Rules from Circular 07/2016/TT-BCA, Art. 7 (verify): they are
kept as data here, not scattered through the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Province codes used in ID numbers (the 63 provinces before the 2025 merger; numbers issued keep them).
PROVINCE_CODES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 "
    "040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 "
    "083 084 086 087 089 091 092 093 094 095 096".split()
)
# Century/sex digit → (first year of the century, sex).
CENTURY_SEX = {
    "0": (1900, "male"),
    "1": (1900, "female"),
    "2": (2000, "male"),
    "3": (2000, "female"),
    "4": (2100, "male"),
    "5": (2100, "female"),
    "6": (2200, "male"),
    "7": (2200, "female"),
    "8": (2300, "male"),
    "9": (2300, "female"),
}


class InvalidIdNumber(ValueError):
    """The number breaks the structure; `reason` is a stable code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class IdNumberInfo:
    province_code: str
    sex: str
    birth_year: int


def check_id_number(value: str, today: date) -> IdNumberInfo:
    """Check the structure of an ID number and return what it encodes (no birth year after `today`'s)."""
    if not isinstance(value, str) or len(value) != 12 or not value.isdigit():
        raise InvalidIdNumber("format", "Số định danh cá nhân phải gồm đúng 12 chữ số.")
    province = value[:3]
    if province not in PROVINCE_CODES:
        raise InvalidIdNumber("province_code", f"Mã tỉnh {province} trong số định danh không tồn tại.")
    century, sex = CENTURY_SEX[value[3]]
    birth_year = century + int(value[4:6])
    if birth_year > today.year:
        raise InvalidIdNumber("birth_year", "Năm sinh trong số định danh nằm trong tương lai.")
    return IdNumberInfo(province_code=province, sex=sex, birth_year=birth_year)
