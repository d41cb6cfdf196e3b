"""Forms 01-07 rendered from real case histories (the workflow worker on SQLite, the real catalogue and process
definition), with the context the gateway gives them (services/gateway/routes/document_pages.py): each names the
applicant, the officer who acted with their title and unit, is dated in words and in dd/mm/yyyy HH:mm, has its
signature block and its legal-basis line, prints on A4, offers itself only once its action is in the history,
and shows no raw code. Also where a case may be transferred (`competent_agencies`)."""

from __future__ import annotations

import re

import pytest

from services.chassis.errors import InvalidInput
from services.gateway.web.labels import level_labels, outcome_labels
from tests.unit.workflow.test_actions import COMMUNE, JUSTICE, LAND, actor, do, submit, workflow  # noqa: F401
from tests.visible_text import bad_times, raw_codes, visible_text

RECEIVER = {"subject": "receiver-1", "kind": "officer", "unit": JUSTICE, "roles": ["receiver"]}
CONTEXT = {
    "applicant": {"full_name": "Nguyễn Văn An", "address_unit_code": "NB.HL.NT"},
    "contact": {"phone": "0912345601", "email": "an@example.vn"},
    "people": {
        "receiver-1": {"full_name": "Lê Văn Cường", "title": "Chuyên viên Bộ phận Một cửa"},
        "leader-1": {"full_name": "Phạm Thu Hà", "title": "Phó Giám đốc"},
    },
    "labels": {"levels": level_labels(), "outcomes": outcome_labels()},
    "printed_by": {"full_name": "Phạm Thu Hà", "title": "Phó Giám đốc"},
}
SIGNERS = {
    "01": "NGƯỜI TIẾP NHẬN HỒ SƠ",
    "02": "NGƯỜI LẬP PHIẾU",
    "03": "NGƯỜI TIẾP NHẬN HỒ SƠ",
    "04": "THỦ TRƯỞNG CƠ QUAN",
    "05": "THỦ TRƯỞNG CƠ QUAN",
    "06": "NGƯỜI LẬP PHIẾU",
}


def _checked(html: str, number: str) -> str:
    """The form's visible text, after the checks every form must pass."""
    text = visible_text(html)
    assert f"Mẫu số {number}" in text and "Thông tư 03/2025/TT-VPCP" in text and "kiểm tra lại" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and re.search(
        r"ngày \d{2} tháng \d{2} năm \d{4}", text
    )
    assert "(Ký" in text and "@media print" in html and "size: A4" in html
    assert raw_codes(text) == [], (number, raw_codes(text))
    assert bad_times(text) == [], (number, bad_times(text))
    return text


def test_every_form_renders_from_a_real_history_with_names_and_signatures(workflow):  # noqa: F811
    worked = submit(workflow)  # 1.000656 at the province's justice department
    receiver = actor("receiver", JUSTICE)
    workflow.act(worked, {"action": "receive"}, {**receiver, "name": "Lê Văn Cường"})
    do(workflow, worked, "request_supplement", "receiver")
    workflow.act(worked, {"action": "resubmit"}, actor("citizen", None))
    do(workflow, worked, "assign", "leader", assignee="handler-1")
    do(workflow, worked, "extend_with_apology", "leader", extra_days=2)
    stopped = submit(workflow)
    do(workflow, stopped, "receive", "receiver")
    do(workflow, stopped, "stop", "leader")
    refused = submit(workflow)
    do(workflow, refused, "refuse_receipt", "receiver")

    for code, number in ((worked, "01"), (worked, "02"), (refused, "03"), (worked, "04"), (stopped, "05")):
        text = _checked(workflow.render_form(code, number, CONTEXT), number)
        assert "Nguyễn Văn An" in text and SIGNERS[number] in text, number
        assert "Sở Tư pháp tỉnh Ninh Bình" in text and "Ninh Bình, ngày" in text, number
    receipt = visible_text(workflow.render_form(worked, "01", CONTEXT))
    assert "Người tiếp nhận: Lê Văn Cường, Chuyên viên Bộ phận Một cửa" in receipt
    assert "Địa chỉ: Phường Hoa Lư" in receipt and "0912345601" in receipt
    apology = visible_text(workflow.render_form(worked, "04", CONTEXT))
    assert "gia hạn thêm 2 ngày làm việc" in apology and "Kính gửi: Ông/Bà Nguyễn Văn An" in apology
    sheet = _checked(workflow.render_form(worked, "06", CONTEXT), "06")
    assert (
        "Nguyễn Văn An (người nộp hồ sơ)" in sheet
    )  # the citizen's own action: named, never their ID number
    assert "037090000001" not in sheet and "Cấp tỉnh" in sheet and "Phạm Thu Hà" in sheet
    logbook = _checked(workflow.render_logbook(JUSTICE, CONTEXT), "07")
    assert "Đang xử lý" in logbook  # the worked dossier, by its status's name
    assert "Từ chối tiếp nhận" in logbook and "Dừng xử lý" in logbook and "NGƯỜI LẬP SỔ" in logbook
    assert "Cấp Phiếu lý lịch tư pháp" in logbook and "size: A4 landscape" in workflow.render_logbook(JUSTICE)


def test_a_form_is_offered_only_once_its_action_happened(workflow):  # noqa: F811
    code = submit(workflow)
    for number in ("01", "02", "03", "04", "05"):
        with pytest.raises(InvalidInput) as missing:
            workflow.render_form(code, number, CONTEXT)
        assert missing.value.code == "form_not_applicable"
    _checked(workflow.render_form(code, "06", CONTEXT), "06")  # the control sheet exists from the start


def test_a_case_may_be_transferred_to_the_agencies_competent_for_its_procedure(workflow):  # noqa: F811
    permit = submit(workflow, procedure="1.004227")  # decided by the applicant's commune
    do(workflow, permit, "receive", "receiver")
    targets = workflow.competent_agencies(permit)
    assert COMMUNE not in {t["code"] for t in targets}  # never to the agency holding it
    assert {t["name"] for t in targets} == {"UBND xã Ninh Giang", "UBND xã Yên Khánh"}
    assert all(t["level"] == "commune" and not t["suggested"] for t in targets)
    land = submit(workflow, procedure="1.003003")  # commune → province land registry → commune
    do(workflow, land, "receive", "receiver")
    chained = workflow.competent_agencies(land)
    assert chained[0] == {
        "code": LAND,
        "name": "Văn phòng Đăng ký đất đai tỉnh",
        "kind": "land_registry",
        "unit": "NB",
        "unit_name": "Tỉnh Ninh Bình",
        "level": "province",
        "suggested": True,
    }
