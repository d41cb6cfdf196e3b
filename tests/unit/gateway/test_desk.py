"""The dossier page as an officer's desk and a citizen's to-do (issue #21), rendered by the real route, templates
and vocabulary (workflow's process definition) with the other services' answers given: the next step first and
primary, ending actions behind a confirmation step, the assignee chosen by name from the unit's staff directory
(a text field only when it has nobody or is missing), the transfer target among the competent agencies by name,
people by name in the timeline, delivery states in words, no raw code anywhere in the visible text."""

from __future__ import annotations

from unittest.mock import Mock

import pytest
from nameko.exceptions import MethodNotFound
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.chassis.errors import NotFound
from services.gateway.identity import Principal
from services.gateway.people import People
from services.gateway.service import GatewayService
from services.gateway.vocabulary import Words
from services.gateway.web import dossier_view
from services.gateway.web.base import WebSupport
from services.gateway.web.session import Sessions
from services.workflow.dependencies import Catalogue
from services.workflow.use_cases.catalogue import vocabulary
from tests.visible_text import bad_times, raw_codes, visible_text

CATALOGUE = Catalogue()
CATALOGUE.setup()
WORDS = Words(vocabulary(CATALOGUE))
CODE = "000.31.01.H41-261207-0001"
UNIT = "000.31.01.H41"
LEADER = Principal(
    subject="lanh-dao-1",
    kind="officer",
    name="Phạm Thu Hà",
    unit=UNIT,
    roles=frozenset({"leader"}),
    issuer="t",
)
APPLICANT = Principal(
    subject="037090000001", kind="citizen", name="Nguyễn Văn An", unit=None, roles=frozenset(), issuer="t"
)
STAFF = [
    {
        "subject": "cv-2",
        "full_name": "Trần Thị Hoa",
        "title": "Chuyên viên",
        "unit": UNIT,
        "roles": ["handler"],
    },
    {
        "subject": "lanh-dao-1",
        "full_name": "Phạm Thu Hà",
        "title": "Phó Chủ tịch",
        "unit": UNIT,
        "roles": ["leader"],
    },
]
TARGETS = [
    {"code": "000.31.02.H41", "name": "UBND xã Ninh Giang", "level": "commune", "suggested": False},
    {"code": "000.00.18.H41", "name": "Sở Xây dựng tỉnh Ninh Bình", "level": "province", "suggested": True},
]


class _Reply:
    def __init__(self, value):
        self.value = value

    def result(self):
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


def _answer(method, fn):
    method.call_async.side_effect = lambda *args, **kwargs: _Reply(fn(*args))


def _dossier() -> dict:
    return {
        "code": CODE,
        "procedure_code": "1.004227",
        "procedure_version": 1,
        "receiving_agency_code": UNIT,
        "applicant": {"id_number": "037090000001", "full_name": "Nguyễn Văn An", "address_unit_code": "NB.HL.NT"},
        "contact": {"email": "an@example.vn", "phone": "0912345601", "language": "vi"},
        "channel": "online",
        "form": {"noi_dung": "Xây nhà 2 tầng"},
        "submitted_at": "2026-12-07T02:00:00Z",
        "documents": [
            {"code": "DXGP", "source": "form", "version": 1, "current": True},
            {"code": "QSDD", "source": "reused", "registry_document_id": "doc-1", "version": 1, "current": True},
            {"code": "BVTK", "source": "uploaded", "upload_id": "up-1", "file_name": "ban-ve.pdf",
             "media_type": "application/pdf", "size_bytes": 2048, "version": 1, "current": False},
            {"code": "BVTK", "source": "uploaded", "upload_id": "up-2", "file_name": "ban-ve-2.pdf",
             "media_type": "application/pdf", "size_bytes": 2048, "version": 2, "current": True,
             "origin": "supplement", "added_at": "2026-12-08T03:00:00Z"},
        ],
    }  # fmt: skip


def _case(status: str = "in_progress", roles=("leader",)) -> dict:
    process = CATALOGUE.processes["standard"]
    allowed = process.allowed(status, frozenset(roles))
    return {
        "dossier_code": CODE,
        "status": status,
        "status_label": process.states[status],
        "agency_code": UNIT,
        "level": "commune",
        "receiving_agency_code": UNIT,
        "procedure_code": "1.004227",
        "procedure_version": 1,
        "assignee": "cv-2",
        "submitted_at": "2026-12-07T02:00:00Z",
        "received_at": "2026-12-07T03:00:00Z",
        "due_at": "2026-12-28T10:00:00Z",
        "due_explanation": {},
        "clock_stopped": False,
        "finished_at": None,
        "outcome": "",
        "receipt_due_at": None,
        "receipt_overdue": False,
        "allowed_actions": allowed,
        "action_requirements": process.requirements(allowed),
        "steps": [],
        "pauses": [],
        "process": "standard",
        "rated": False,
        "history": [
            _entry(1, "receive", "submitted", "received", "tiep-nhan-1", {"signed_by": "Lê Văn Cường"}),
            _entry(2, "fee_paid", "received", "received", "payment", {}),
            _entry(3, "assign", "received", "in_progress", "lanh-dao-1", {"assignee": "cv-2"}),
            _entry(4, "request_supplement", "in_progress", "awaiting_supplement", "cv-2", {}),
            _entry(5, "resubmit", "awaiting_supplement", "in_progress", "037090000001", {}),
        ],
    }


def _entry(seq, action, before, after, actor, params) -> dict:
    return {
        "seq": seq,
        "action": action,
        "from_status": before,
        "to_status": after,
        "actor": actor,
        "unit": UNIT,
        "reason": "",
        "at": f"2026-12-0{seq + 1}T03:00:00Z",
        "params": params,
        "attachments": [],
    }


@pytest.fixture
def gateway():
    web = WebSupport.__new__(WebSupport)
    web.sessions = Sessions(b"k" * 32, secure=False)
    web.csp = "default-src 'none'"
    service = worker_factory(GatewayService, web=web, auth=Mock())
    service.vocabulary.words.return_value = WORDS
    procedures = [p.to_dict() for p in CATALOGUE.procedures.values()]
    _answer(service.intake.get_dossier, lambda *a: _dossier())
    _answer(service.workflow.list_procedures, lambda *a: procedures)
    _answer(
        service.workflow.list_agencies,
        lambda *a: [
            {"code": UNIT, "name": "UBND phường Hoa Lư", "level": "commune", "kind": "people_committee"}
        ],
    )
    _answer(service.payment.get_payment, lambda *a: NotFound("payment_not_found", "-"))
    _answer(service.workflow.result_document, lambda *a: NotFound("result_not_found", "-"))
    _answer(
        service.notify.list_notifications,
        lambda *a: [
            {"channel": "zalo", "status": "temporary-failure", "template": "dossier_received.sms@1", "sent_at": None,
             "created_at": "2026-12-07T03:00:01Z"},
        ],
    )  # fmt: skip
    _answer(
        service.workflow.staff_get, lambda subject: next((s for s in STAFF if s["subject"] == subject), None)
    )
    _answer(service.workflow.staff_list, lambda unit: STAFF)
    _answer(service.workflow.competent_agencies, lambda code: TARGETS)
    _answer(service.registry.access_log, lambda *a: [])
    return service


def _page(gateway, principal, case, path=f"/ho-so/{CODE}"):
    gateway.auth.authenticate.return_value = principal
    _answer(gateway.workflow.get_case, lambda *a: case)
    request = Request(EnvironBuilder(path=path, headers={"Cookie": "motcua_session=s"}).get_environ())
    return request


def test_the_leaders_desk_leads_with_the_next_step_and_names_people(gateway):
    request = _page(gateway, LEADER, _case("in_progress", ("leader",)))
    response = gateway.dossier_page(request, CODE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    main = html[html.index('class="desk-main"') :]
    assert main.index("Bước tiếp theo: Phê duyệt") < main.index("Thao tác khác") < main.index("Từ chối, dừng")
    assert 'id="act-approve" class="primary-action"' in html
    for risky in ("reject", "stop"):  # links to their confirmation step, never a form that acts at once
        assert (
            f'<a class="button danger-outline" id="act-{risky}" href="/ho-so/{CODE}/xac-nhan/{risky}">'
            in html
        )
    # The assignee by name from the unit's directory; the transfer target among competent agencies, by name.
    assert '<select id="assignee-assign" name="assignee" required>' in html
    assert '<option value="cv-2" selected>Trần Thị Hoa — Chuyên viên (Chuyên viên xử lý)</option>' in html
    assert '<optgroup label="Theo quy trình của thủ tục"><option value="000.00.18.H41">Sở Xây dựng' in html
    assert '<option value="000.31.02.H41">UBND xã Ninh Giang</option>' in html
    text = visible_text(html)
    assert "Trần Thị Hoa, Chuyên viên" in text  # the assignee in the facts
    assert "Giao cho Trần Thị Hoa" in text and "Phạm Thu Hà, Phó Chủ tịch — UBND phường Hoa Lư" in text
    assert "Lê Văn Cường — UBND phường Hoa Lư" in text  # no directory entry: the name signed with
    assert "Hệ thống thanh toán" in text and "Nguyễn Văn An, Người nộp hồ sơ" in text
    assert "Zalo — Tiếp nhận hồ sơ: chưa gửi được, sẽ gửi lại" in text
    assert "Bản 2 (đang dùng): ban-ve-2.pdf" in text and f'href="/ho-so/{CODE}/giay-to/doc-1"' in html
    assert raw_codes(text) == [] and bad_times(text) == []


def test_without_a_staff_directory_the_assignee_is_typed_and_names_fall_back(gateway):
    _answer(gateway.workflow.staff_get, lambda *a: MethodNotFound("staff_get"))
    _answer(gateway.workflow.staff_list, lambda *a: MethodNotFound("staff_list"))
    _answer(gateway.workflow.competent_agencies, lambda *a: [])
    request = _page(gateway, LEADER, _case("received", ("leader",)))
    html = gateway.dossier_page(request, CODE).get_data(as_text=True)
    assert "Bước tiếp theo: Phân công xử lý" in html
    assert '<input id="assignee-assign" name="assignee" required' in html and "Danh bạ cán bộ" in html
    assert '<input id="to_agency-transfer" name="to_agency" required' in html
    assert gateway.workflow.staff_get.call_async.call_count == 1  # missing once: not asked again this request
    text = visible_text(html)
    assert "Giao cho cv-2" in text and "Lê Văn Cường" in text
    assert raw_codes(text) == []


def test_the_applicants_page_says_what_to_do_first_and_has_no_desk(gateway):
    _answer(gateway.payment.get_payment, lambda *a: {"amount_vnd": 75000, "status": "pending", "refunds": []})
    _answer(
        gateway.registry.access_log,
        lambda *a: [
            {"dossier_code": CODE, "at": "2026-12-08T04:00:00+00:00", "reader": {"name": "Trần Thị Hoa",
             "title": "Chuyên viên", "unit_name": "UBND phường Hoa Lư"}, "document": {"name": "Bản vẽ", "version": "2"}},
            {"dossier_code": "OTHER", "at": "2026-12-08T04:00:00+00:00", "reader": {"name": "X"}, "document": {}},
        ],
    )  # fmt: skip
    request = _page(gateway, APPLICANT, _case("awaiting_supplement", ("citizen",)))
    html = gateway.dossier_page(request, CODE).get_data(as_text=True)
    todo = html[html.index('id="todo-h"') : html.index("</section>", html.index('id="todo-h"'))]
    assert f'href="/ho-so/{CODE}#answer-resubmit">Nộp bổ sung hồ sơ' in todo
    assert f'href="/ho-so/{CODE}#fee">Thanh toán phí, lệ phí' in todo
    assert html.index('id="todo-h"') < html.index('id="answer-resubmit"') < html.index('id="facts-h"')
    assert "desk-main" not in html and "act-assign" not in html
    assert 'id="act-withdraw" href="/ho-so/' + CODE + '/xac-nhan/withdraw"' in html
    text = visible_text(html)
    assert "08/12/2026 11:00 — Trần Thị Hoa, Chuyên viên (UBND phường Hoa Lư): Bản vẽ, bản 2" in text
    assert "— X" not in text  # another dossier's reads are not listed here
    assert raw_codes(text) == [] and bad_times(text) == []


def test_the_confirmation_step_says_what_follows_and_needs_a_reason(gateway):
    request = _page(gateway, LEADER, _case("in_progress", ("leader",)), f"/ho-so/{CODE}/xac-nhan/stop")
    html = gateway.confirm_page(request, CODE, "stop").get_data(as_text=True)
    assert "Xác nhận: Dừng xử lý" in html and "Thông báo dừng giải quyết (Mẫu 05)" in html
    assert '<input type="hidden" name="confirmed" value="yes">' in html
    assert '<textarea id="reason-stop" name="reason" rows="4" required' in html
    assert f'<a class="button secondary" href="/ho-so/{CODE}" id="cancel">' in html
    assert raw_codes(visible_text(html)) == []
    refused = gateway.confirm_page(request, CODE, "approve")  # not an ending action: no such step
    assert refused.status_code == 404
    handler = Principal(
        subject="cv-2", kind="officer", name="", unit=UNIT, roles=frozenset({"handler"}), issuer="t"
    )
    request = _page(gateway, handler, _case("in_progress", ("handler",)), f"/ho-so/{CODE}/xac-nhan/stop")
    assert gateway.confirm_page(request, CODE, "stop").status_code == 409  # not theirs to take now


def test_plan_orders_actions_and_puts_ending_ones_apart():
    case = _case("in_progress", ("handler", "leader"))
    plan = dossier_view.plan(case)
    assert plan["primary"] == "approve"
    assert plan["risky"] == ["reject", "stop"]
    assert "process_step" in plan["quick"] and "transfer" in plan["detailed"]
    assert set(plan["others"]) == set(plan["quick"]) | set(plan["detailed"])
    assert dossier_view.plan(None) == {
        "primary": None, "others": [], "detailed": [], "quick": [], "risky": [], "needs": {}
    }  # fmt: skip


def test_people_ask_the_directory_once_per_subject_and_fall_back_to_signed_names():
    workflow = Mock()
    calls = []

    def staff_get(subject):
        calls.append(subject)
        if subject == "gone-1":
            return NotFound("staff_not_found", "-")  # unknown to the directory: the others are still asked
        return (
            {"subject": subject, "full_name": "Trần Thị Hoa", "title": "Chuyên viên"}
            if subject == "cv-2"
            else None
        )

    _answer(workflow.staff_get, staff_get)
    people = People(workflow)
    people.remember_signatures([{"actor": "tn-1", "params": {"signed_by": "Lê Văn Cường"}}])
    assert people.officer("gone-1")["full_name"] == "gone-1"
    assert people.officer("cv-2")["full_name"] == "Trần Thị Hoa" and people.officer("cv-2")["known"]
    assert people.officer("tn-1")["full_name"] == "Lê Văn Cường" and not people.officer("tn-1")["known"]
    assert people.officer("x-9")["full_name"] == "x-9"
    assert calls == ["gone-1", "cv-2", "tn-1", "x-9"]


def test_the_scan_finds_raw_codes_and_lets_words_pass():
    assert raw_codes("Trạng thái: awaiting_supplement · cấp commune · Zalo — temporary-failure") == [
        "awaiting_supplement",
        "commune",
        "temporary-failure",
    ]
    assert raw_codes("Zalo — chưa gửi được · Cấp xã · an.nguyen@example.vn · ban-ve-thiet-ke.pdf") == []
    assert raw_codes("Received · fee_paid · early", english=True) == ["fee_paid"]
    assert bad_times("Nộp 2026-12-07 · 09:30 07/12/2026 · 07/12/2026 09:30") == [
        "2026-12-07",
        "09:30 07/12/2026",
    ]
    assert visible_text('<p title="received">Đã <b>nhận</b></p><style>.returned{}</style>') == "Đã nhận"
