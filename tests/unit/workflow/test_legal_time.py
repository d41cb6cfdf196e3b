"""Property-based tests of the legal-time engine on the shipped calendars (2025-2027)."""

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.chassis.yamlfile import DataFileError
from services.workflow.adapters.datafiles import load_calendar
from services.workflow.dependencies import DATA_DIR
from services.workflow.domain.legal_time import LEGAL_TZ, CalendarError, LegalClock, Pause, reproduce

CALENDAR = load_calendar(DATA_DIR / "calendars", province="NB")
CLOCK = LegalClock(CALENDAR, cutoff=time(15, 0))  # a province that set a 15:00 cut-off
NO_CUTOFF = LegalClock(
    CALENDAR
)  # the default: no cut-off (Civil Code art. 147 already skips the receipt day)
moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 9, 30), timezones=st.just(LEGAL_TZ)
)


@given(received=moments, days=st.integers(0, 60))
def test_due_date_is_never_a_holiday_or_weekend(received, days):
    deadline = CLOCK.deadline(received, days)
    due_day = deadline.due_at.astimezone(LEGAL_TZ).date()
    assert CALENDAR.is_working_day(due_day)
    assert due_day not in CALENDAR.holidays
    assert due_day.weekday() < 5 or due_day in CALENDAR.makeup_days
    assert due_day >= received.date()


@given(received=moments, days=st.integers(1, 40), stop_after=st.integers(0, 10), stop_len=st.integers(0, 15))
def test_a_pause_moves_the_due_date_by_exactly_its_working_days(received, days, stop_after, stop_len):
    start = CLOCK.deadline(received, 0).effective_start
    stopped = datetime.combine(start + timedelta(days=stop_after), time(10, 0), tzinfo=LEGAL_TZ)
    resumed = stopped + timedelta(days=stop_len, hours=4)
    pause = Pause(stopped, resumed, "Yêu cầu bổ sung")
    plain = CLOCK.deadline(received, days)
    assume(stopped < plain.due_at)
    paused = CLOCK.deadline(received, days, (pause,))
    lost = CLOCK.pause_days(pause)
    expected = CALENDAR.add_working_days(plain.due_at.astimezone(LEGAL_TZ).date(), len(lost))[0]
    assert paused.due_at.astimezone(LEGAL_TZ).date() == expected


@given(
    received=moments,
    days=st.integers(0, 40),
    pauses=st.lists(st.tuples(st.integers(0, 20), st.integers(0, 9)), max_size=3),
)
def test_the_explanation_reproduces_the_due_date(received, days, pauses):
    start = CLOCK.deadline(received, 0).effective_start
    stops = tuple(
        Pause(
            datetime.combine(start + timedelta(days=a), time(9), tzinfo=LEGAL_TZ),
            datetime.combine(start + timedelta(days=a + b), time(16), tzinfo=LEGAL_TZ),
            "bổ sung",
        )
        for a, b in pauses
    )
    deadline = CLOCK.deadline(received, days, stops)
    explanation = deadline.explanation
    assert reproduce(explanation, CALENDAR) == deadline.due_at.astimezone(LEGAL_TZ).date()
    counted = [date.fromisoformat(d) for d in explanation["counted_days"]]
    assert all(CALENDAR.is_working_day(d) for d in counted)
    assert all(
        not CALENDAR.is_working_day(date.fromisoformat(s["date"])) for s in explanation["skipped_days"]
    )
    assert len(counted) == days + sum(len(p["working_days"]) for p in explanation["pauses"])


@given(moment=moments)
@settings(max_examples=200)
def test_receipt_after_cutoff_or_on_a_day_off_counts_from_the_next_working_day(moment):
    start, _ = CLOCK.effective_start(moment)
    assert CALENDAR.is_working_day(start)
    if CALENDAR.is_working_day(moment.date()) and moment.time() < time(15, 0):
        assert start == moment.date()
    else:
        assert start > moment.date()
        assert not CALENDAR.working_days_between(moment.date(), start)


def test_tet_2026_and_makeup_saturday():
    # Received Friday 13 Feb 2026 morning with 1 working day: Tết (16-20 Feb) is skipped, due Monday 23 Feb.
    deadline = CLOCK.deadline(datetime(2026, 2, 13, 9, 0, tzinfo=LEGAL_TZ), 1)
    assert deadline.due_at.date() == date(2026, 2, 23)
    skipped = {d["date"]: d for d in deadline.explanation["skipped_days"]}
    assert (
        skipped["2026-02-17"]["why"] == "Tết Nguyên đán" and "45/2019/QH14" in skipped["2026-02-17"]["source"]
    )
    # Saturday 10 Jan 2026 is a make-up working day: it counts.
    assert CALENDAR.is_working_day(date(2026, 1, 10)) and not CALENDAR.is_working_day(date(2026, 1, 2))


def test_cutoff_is_configurable():
    at_1530 = datetime(2026, 11, 23, 15, 30, tzinfo=LEGAL_TZ)  # a Monday
    assert CLOCK.effective_start(at_1530)[0] == date(2026, 11, 24)
    assert LegalClock(CALENDAR, cutoff=time(16, 0)).effective_start(at_1530)[0] == date(2026, 11, 23)


def test_without_a_cut_off_the_receipt_day_counts_as_the_start_and_is_not_counted():
    late_monday = datetime(2026, 11, 23, 16, 55, tzinfo=LEGAL_TZ)
    start, rule = NO_CUTOFF.effective_start(late_monday)
    assert start == date(2026, 11, 23) and "art. 147" in rule
    deadline = NO_CUTOFF.deadline(late_monday, 1)
    assert deadline.due_at.date() == date(2026, 11, 24) and deadline.explanation["cutoff"] is None
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=LEGAL_TZ)
    assert NO_CUTOFF.effective_start(saturday)[0] == date(2026, 11, 30)


def test_classification():
    due = datetime(2026, 11, 25, 17, 0, tzinfo=LEGAL_TZ)
    assert CLOCK.classify(datetime(2026, 11, 24, 9, tzinfo=LEGAL_TZ), due) == "early"
    assert CLOCK.classify(datetime(2026, 11, 25, 16, tzinfo=LEGAL_TZ), due) == "on_time"
    assert CLOCK.classify(datetime(2026, 11, 26, 8, tzinfo=LEGAL_TZ), due) == "late"
    assert CLOCK.classify(datetime(2026, 11, 25, 10, 1, tzinfo=timezone.utc), due) == "late"  # 17:01 local


@pytest.mark.parametrize(
    "text,problem",
    [
        ("year: 2026\nholidays: [{date: 2025-01-01, name: x}]\n", "is not in 2026"),
        ("year: 2026\nholidays: [{date: 2026-02-30}]\n", "not a date"),
        (
            "year: 2026\nholidays: [{date: 2026-05-02}]\nmakeup_working_days: [{date: 2026-05-02}]\n",
            "both a holiday and a make-up",
        ),
        ("year: 2026\nmakeup_working_days: [{date: 2026-05-04}]\n", "already a weekday"),
        ("year: 2025\n", "matching the file name"),
        ("year: 2026\nholidays: [{date: 2026-05-04, name: x}]\n", "needs 'source'"),
        ("holidays: [\n", "not valid YAML"),
    ],
)
def test_a_malformed_calendar_is_refused_naming_file_and_problem(tmp_path: Path, text, problem):
    path = tmp_path / "vn-2026.yaml"
    path.write_text(text)
    # A file YAML cannot read (or whose date YAML cannot build): the one loader's error; bad content: the calendar's.
    expected = DataFileError if problem in ("not valid YAML", "not a date") else CalendarError
    with pytest.raises(expected) as err:
        load_calendar(tmp_path)
    assert "vn-2026.yaml" in str(err.value) and problem in str(err.value)
