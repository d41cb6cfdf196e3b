"""Templates render Vietnamese first, English on request, and refuse missing values."""

import pytest
from jinja2 import UndefinedError

from services.notify.adapters.templates import Templates
from services.notify.domain.templates import TEMPLATE_FOR_ACTION, TEMPLATE_FOR_STATUS, template_for

CONTEXT = {
    "full_name": "Nguyễn Văn An",
    "dossier_code": "000.00.07.H41-261122-0001",
    "procedure_code": "1.000656",
    "agency_code": "000.00.07.H41",
    "due_local": "17:00 04/12/2026",
    "public_url": "http://localhost:8000",
    "reason": "Thiếu bản vẽ",
}


def test_vietnamese_receipt():
    rendered = Templates().render("dossier_received", "vi", CONTEXT)
    assert rendered.subject == "Hồ sơ 000.00.07.H41-261122-0001 đã được tiếp nhận"
    assert "Kính gửi Nguyễn Văn An" in rendered.body and "17:00 04/12/2026" in rendered.body
    assert rendered.template == "dossier_received@1"


def test_english_and_fallback_to_vietnamese():
    assert Templates().render("dossier_received", "en", CONTEXT).subject.startswith("Your dossier")
    assert Templates().render("dossier_received", "fr", CONTEXT).language == "vi"


def test_every_mapped_template_exists_in_both_languages():
    for name in [*TEMPLATE_FOR_STATUS.values(), *TEMPLATE_FOR_ACTION.values()]:
        for language in ("vi", "en"):
            assert Templates().render(name, language, CONTEXT).body


def test_missing_value_is_an_error_not_a_blank():
    with pytest.raises(UndefinedError):
        Templates().render("dossier_received", "vi", {"dossier_code": "X"})


def test_which_changes_tell_the_citizen():
    assert template_for("receive", "submitted", "received") == "dossier_received"
    assert (
        template_for("request_supplement", "in_progress", "awaiting_supplement")
        == "dossier_supplement_requested"
    )
    assert template_for("extend_with_apology", "in_progress", "in_progress") == "dossier_delayed"
    assert template_for("assign", "received", "in_progress") is None
    assert template_for("transfer", "in_progress", "in_progress") is None
    body = Templates().render("dossier_supplement_requested", "vi", CONTEXT).body
    assert "Thiếu bản vẽ" in body
