"""The shipped calendars (2025-2027) against the `holidays` package (vacanza, pinned in the test extra), which
knows Vietnam's public holidays and the Government's swapped days: every difference that changes a working day is
listed here with the reason we differ, and a new one fails the test until someone explains it (or fixes the
data). Every entry of the data also names its legal source."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import holidays
import yaml

from services.workflow.adapters.datafiles import load_calendar
from services.workflow.dependencies import DATA_DIR

YEARS = (2025, 2026, 2027)
CALENDAR = load_calendar(DATA_DIR / "calendars", province="NB")
POLICY_ONLY = (
    "Politburo Resolution 80-NQ/TW (7/1/2026) chose 24/11 'Ngày Văn hóa Việt Nam' as a paid day off "
    "as policy, and Government Resolution 30/NQ-CP (02/2026) tasks amending Labour Code art. 112(1); no "
    "enacted amendment or Government notice giving the day off was found, so the one-stop clock counts "
    "it as a working day (holidays 0.109 lists it from the Resolution). An administrator publishes a "
    "correction when it becomes law."
)
# (day, what we say, what `holidays` says) -> why we differ.
EXPLAINED = {
    (
        date(2026, 1, 2),
        "day_off",
        "working",
    ): "Văn bản 12729/VPCP-KGVX (25/12/2025) swapped Friday 2/1/2026 with Saturday 10/1 for public agencies; "
    "holidays 0.109 does not list this swap.",
    (
        date(2026, 1, 10),
        "working",
        "day_off",
    ): "The make-up Saturday of the 2/1/2026 swap (12729/VPCP-KGVX, 25/12/2025), unknown to holidays 0.109.",
    (date(2026, 11, 24), "working", "day_off"): POLICY_ONLY,
    (date(2027, 11, 24), "working", "day_off"): POLICY_ONLY,
}


def _holidays_working_days(year: int) -> tuple[set[date], set[date]]:
    """Weekdays off and weekend days worked, as `holidays` says: its swapped days off are labelled with the
    Saturday worked instead ("Ngày nghỉ (thay cho ngày 26/04/2025)")."""
    known = holidays.country_holidays("VN", years=year, language="vi")
    off = {day for day in known if day.weekday() < 5}
    worked = set()
    for name in known.values():
        for text in re.findall(r"thay cho ngày (\d{2}/\d{2}/\d{4})", name):
            worked.add(datetime.strptime(text, "%d/%m/%Y").date())
    return off, worked


def _differences() -> dict[tuple, str]:
    found = {}
    for year in YEARS:
        theirs_off, theirs_worked = _holidays_working_days(year)
        day = date(year, 1, 1)
        while day.year == year:
            ours = "working" if CALENDAR.is_working_day(day) else "day_off"
            theirs = (
                ("working" if day in theirs_worked else "day_off")
                if (day in theirs_off or day in theirs_worked)
                else ("working" if day.weekday() < 5 else "day_off")
            )
            if ours != theirs:
                found[(day, ours, theirs)] = CALENDAR.holidays.get(day) or CALENDAR.makeup_days.get(day) or ""
            day += timedelta(days=1)
    return found


def test_every_difference_from_the_holidays_package_is_explained():
    found = _differences()
    unexplained = {k: v for k, v in found.items() if k not in EXPLAINED}
    assert not unexplained, (
        "new differences from `holidays` (explain them in EXPLAINED or fix the data): "
        + "; ".join(
            f"{day} ours={ours} holidays={theirs} ({name})"
            for (day, ours, theirs), name in sorted(unexplained.items())
        )
    )
    stale = sorted(set(EXPLAINED) - set(found))
    assert not stale, f"explained differences that no longer exist (remove them): {stale}"


def test_national_day_2026_is_the_government_s_choice():
    # 29/8-2/9/2026: Monday 31/8 swapped to Saturday 22/8; the adjacent day is 1/9 (both agree with `holidays`).
    assert not CALENDAR.is_working_day(date(2026, 8, 31)) and CALENDAR.is_working_day(date(2026, 8, 22))
    assert not CALENDAR.is_working_day(date(2026, 9, 1)) and CALENDAR.is_working_day(date(2026, 9, 3))


def test_every_entry_names_a_legal_document_with_its_number():
    document = re.compile(r"\d+/\d{4}/QH\d+|\d+/VPCP-[A-Z]+|\d+/TB-|Văn phòng Chính phủ")
    for year in YEARS:
        data = yaml.safe_load((DATA_DIR / "calendars" / f"vn-{year}.yaml").read_text(encoding="utf-8"))
        for entry in (data.get("holidays") or []) + (data.get("makeup_working_days") or []):
            assert document.search(entry.get("source") or ""), entry
    assert all(CALENDAR.sources.get(day) for day in [*CALENDAR.holidays, *CALENDAR.makeup_days])
