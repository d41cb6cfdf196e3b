"""The province's own settings: the values no law fixes and each province chooses (docs/province-settings.md),
changed at run time by a province administrator from a day, with the environment variable as the default while no
value was set.

Pure: the stored rows (name, value, valid_from) and the environment come in as plain mappings; each setting parses
and checks its own value. A bad environment value falls back to the built-in default, as the variables always did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from services.workflow.domain.worklist import MAX_DUE_WITHIN

Label = dict[str, str]
# The working days "due soon" may span at most: what the queue's `due_within` takes.
MAX_DUE_SOON = MAX_DUE_WITHIN
# A cut-off later than the end of the working day (legal_time.DEFAULT_END_OF_DAY) would never apply.
CUTOFF_EARLIEST, CUTOFF_LATEST = time(6, 0), time(17, 0)


class SettingRefused(ValueError):
    """A value a setting does not take; `code` is stable, `message` Vietnamese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _working_days(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise SettingRefused("not_a_number", "Giá trị phải là một số nguyên ngày làm việc.") from None
        if not low <= value <= high:
            raise SettingRefused("out_of_range", f"Giá trị phải từ {low} đến {high} ngày làm việc.")
        return value

    return parse


def _cutoff(raw: str) -> time | None:
    text = str(raw).strip()
    if not text:
        return None  # no cut-off (the national default: none found in law)
    try:
        value = time.fromisoformat(text)
    except ValueError:
        raise SettingRefused(
            "not_a_time", "Giờ phải viết dạng HH:MM, ví dụ 15:00; để trống: không có."
        ) from None
    if value.second or value.microsecond or not CUTOFF_EARLIEST <= value <= CUTOFF_LATEST:
        raise SettingRefused(
            "out_of_range",
            f"Giờ phải từ {CUTOFF_EARLIEST:%H:%M} đến {CUTOFF_LATEST:%H:%M}, theo phút (HH:MM).",
        )
    return value


@dataclass(frozen=True)
class Setting:
    name: str
    env: str  # the environment variable that gives its default
    default: str  # when neither a stored value nor a good environment value exists
    parse: Callable[[str], Any]
    label: Label
    help: Label
    basis: Label  # why it is the province's choice (no legal source fixes it), or its source


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "due_soon_working_days",
            "MOTCUA_DUE_SOON_WORKING_DAYS",
            "2",
            _working_days(0, MAX_DUE_SOON),
            {"vi": "Số ngày làm việc báo “sắp đến hạn”", "en": "Working days for “due soon”"},
            {
                "vi": "Hồ sơ còn từ số ngày làm việc này trở xuống là “sắp đến hạn”: dấu và bộ lọc của hàng đợi, "
                "nhắc việc cho cán bộ (0: chỉ ngày cuối).",
                "en": "A case with this many working days left or fewer is “due soon”: the queue's mark and "
                "filter, reminders to officers (0: the last day only).",
            },
            {
                "vi": "Tỉnh tự quyết định (không văn bản nào quy định).",
                "en": "The province's choice (no law sets it).",
            },
        ),
        Setting(
            "receipt_working_days",
            "MOTCUA_RECEIPT_WORKING_DAYS",
            "1",
            _working_days(0, 30),
            {"vi": "Thời hạn tiếp nhận hồ sơ nộp trực tuyến", "en": "Time to answer an online filing"},
            {
                "vi": "Số ngày làm việc đơn vị có để tiếp nhận, yêu cầu hoàn thiện hoặc từ chối một hồ sơ đã nộp.",
                "en": "Working days a unit has to receive, ask to complete or refuse a filed dossier.",
            },
            {
                "vi": "Chưa tìm thấy điều khoản của Nghị định 118/2025/NĐ-CP, Thông tư 03/2025/TT-VPCP quy định thời hạn "
                "này: đối chiếu văn bản chính thức.",
                "en": "No article of Decree 118/2025/NĐ-CP or Circular 03/2025/TT-VPCP setting this time was found: "
                "check the official text.",
            },
        ),
        Setting(
            "cutoff",
            "MOTCUA_CUTOFF",
            "",
            _cutoff,
            {"vi": "Giờ chốt tiếp nhận trong ngày", "en": "Cut-off hour of receipt"},
            {
                "vi": "Hồ sơ tiếp nhận từ giờ này trở đi tính từ ngày làm việc sau. Để trống: không có giờ chốt.",
                "en": "Dossiers received at or after this hour count from the next working day. Empty: none.",
            },
            {
                "vi": "Không tìm thấy quy định quốc gia về giờ chốt: tỉnh tự quyết định.",
                "en": "No national rule on a cut-off hour was found: the province's choice.",
            },
        ),
    )
}


def check(name: str, raw: str) -> tuple[str, Any]:
    """The stored text and the value of `raw` for setting `name`; SettingRefused when either is not accepted."""
    setting = SETTINGS.get(name)
    if setting is None:
        raise SettingRefused("unknown_setting", f"Không có cài đặt {name}.")
    text = str(raw).strip()
    value = setting.parse(text)
    return (value.strftime("%H:%M") if isinstance(value, time) else str(value)), value


@dataclass(frozen=True)
class Value:
    """A setting's value on a day, and where it comes from: `stored` (an administrator's, with its row),
    `environment`, or `default`."""

    name: str
    value: Any
    text: str
    origin: str
    row: Mapping[str, Any] | None = None


def _default(setting: Setting, environ: Mapping[str, str], strict: bool) -> Value:
    raw = environ.get(setting.env)
    if raw is not None:
        try:
            text, value = check(setting.name, raw)
        except SettingRefused:
            if strict:
                raise
            # A bad variable never stopped the service for these: the built-in default, as before.
        else:
            return Value(setting.name, value, text, "environment")
    return Value(setting.name, setting.parse(setting.default), setting.default, "default")


def in_force(
    rows: Iterable[Mapping[str, Any]], name: str, on: date, environ: Mapping[str, str], strict: bool = False
) -> Value:
    """The value of `name` on `on`: the stored value begun last by then (the later one of a day wins), else the
    environment's, else the default. `rows`: the stored values of every setting, any order. `strict`: a bad
    environment value raises SettingRefused instead of giving way to the default (checked at start)."""
    setting = SETTINGS[name]
    begun = [r for r in rows if r["name"] == name and r["valid_from"] <= on]
    if not begun:
        return _default(setting, environ, strict)
    row = max(begun, key=lambda r: (r["valid_from"], r["id"]))
    return Value(name, setting.parse(str(row["value"])), str(row["value"]), "stored", row)
