"""Text messages in Vietnamese: segments by encoding, diacritics removed on request, quiet hours, the ladder."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from services.notify.adapters.templates import Templates
from services.notify.domain import sms

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", ("GSM-7", 0)),
        ("a" * 160, ("GSM-7", 1)),
        ("a" * 161, ("GSM-7", 2)),
        ("a" * 306, ("GSM-7", 2)),
        ("a" * 307, ("GSM-7", 3)),
        ("{" * 80, ("GSM-7", 1)),  # escape characters count twice
        ("{" * 81, ("GSM-7", 2)),
        (
            "Hồ sơ" + "a" * 65,
            ("UCS-2", 1),
        ),  # one Vietnamese letter with a diacritic makes the whole message UCS-2
        ("Hồ sơ" + "a" * 66, ("UCS-2", 2)),
        ("đ" * 134, ("UCS-2", 2)),
        ("đ" * 135, ("UCS-2", 3)),
    ],
)
def test_segments(text, expected):
    assert sms.segments(text) == expected


def test_without_diacritics_keeps_the_words_and_fits_gsm7():
    plain = sms.without_diacritics(
        "Hồ sơ của ông Đặng Văn Đức đã được tiếp nhận, hạn trả kết quả 15:00 ngày 27/11."
    )
    assert plain == "Ho so cua ong Dang Van Duc da duoc tiep nhan, han tra ket qua 15:00 ngay 27/11."
    assert sms.encoding(plain) == "GSM-7"


@pytest.mark.parametrize(
    "local, expected",
    [
        (datetime(2026, 11, 23, 12, 0, tzinfo=VN), datetime(2026, 11, 23, 12, 0, tzinfo=VN)),
        (datetime(2026, 11, 23, 20, 59, tzinfo=VN), datetime(2026, 11, 23, 20, 59, tzinfo=VN)),
        (datetime(2026, 11, 23, 21, 0, tzinfo=VN), datetime(2026, 11, 24, 7, 0, tzinfo=VN)),
        (datetime(2026, 11, 23, 23, 30, tzinfo=VN), datetime(2026, 11, 24, 7, 0, tzinfo=VN)),
        (datetime(2026, 11, 24, 3, 15, tzinfo=VN), datetime(2026, 11, 24, 7, 0, tzinfo=VN)),
        (datetime(2026, 11, 24, 7, 0, tzinfo=VN), datetime(2026, 11, 24, 7, 0, tzinfo=VN)),
    ],
)
def test_no_sms_at_night_in_vietnam(local, expected):
    now = local.astimezone(timezone.utc)
    assert sms.next_allowed(now) == expected
    assert sms.next_allowed(now, urgent=True) == now
    assert sms.next_allowed(now, quiet=False) == now


def test_ladder_and_fallback():
    assert sms.ladder("zalo,sms", True) == ["zalo", "sms"] and sms.ladder("zalo,sms", False) == []
    assert sms.ladder("sms, fax", True) == ["sms"]
    assert sms.fallback_after("zalo", "zalo,sms") == "sms" and sms.fallback_after("sms", "zalo,sms") is None


def test_every_template_has_a_short_text_in_both_languages_that_fits_two_segments_plain():
    templates = Templates()
    context = {
        "full_name": "Nguyễn Văn An",
        "dossier_code": "000.00.07.H41-261122-0001",
        "procedure_code": "1.000656",
        "agency_code": "000.00.07.H41",
        "due_local": "15:00 27/11/2026",
        "public_url": "https://dichvucong.ninhbinh.gov.vn",
        "reason": "Thiếu bản sao CCCD",
    }
    for name in (
        "dossier_received",
        "dossier_supplement_requested",
        "dossier_result_ready",
        "dossier_refused",
        "dossier_delayed",
        "dossier_coordination",
        "dossier_completion_requested",
    ):
        for language in ("vi", "en"):
            rendered = templates.render_short(name, language, context, plain=True)
            assert rendered.language == language and context["dossier_code"] in rendered.body
            assert sms.segments(rendered.body) <= ("GSM-7", 2), (name, language, rendered.body)
