"""The province administration at the gateway (routes/administration.py, routes/admin_pages.py,
routes/admin_catalogue_pages.py) through GatewayService workers (worker_factory) with the real sessions database
(SQLite), token verification, page decorator, CSRF and templates; workflow and payment are the RPC proxies whose
answers the test sets. Bodies are checked before any call (422 problem+json, nothing called); a fee change asks
workflow whether the caller administers the province before payment is called; a refusal is 403 problem+json over
the API and the 403 page on the web; a merge needs its ticked confirmation; the OpenAPI document has every route."""

from __future__ import annotations

import pytest

from services.chassis.errors import Forbidden, InvalidInput
from services.gateway import openapi, storage
from tests.support import FakeDatabase
from tests.unit.gateway.test_staff_directory import JUSTICE, Clock, Directory, _reply, _request, replica

TODAY = "2026-12-07"
UNITS = {
    "model": "two_level",
    "levels": ["province", "commune"],
    "kinds": ["justice", "people_committee"],
    "today": TODAY,
    "units": [
        {
            "code": "NB",
            "name": "Tỉnh Ninh Bình",
            "level": "province",
            "parent": None,
            "valid_from": "2025-07-01",
            "valid_to": None,
            "successor": None,
            "in_force": True,
            "names": [{"name": "Tỉnh Ninh Bình", "valid_from": "2025-07-01"}],
            "agencies": [],
        },
        {
            "code": "X1",
            "name": "Xã Gia Viễn",
            "level": "commune",
            "parent": "NB",
            "valid_from": "2025-07-01",
            "valid_to": None,
            "successor": None,
            "in_force": True,
            "names": [
                {"name": "Xã Gia Viễn", "valid_from": "2025-07-01"},
                {"name": "Xã Gia Viễn Mới", "valid_from": "2027-01-01"},
            ],
            "agencies": [
                {
                    "code": "X1.UB",
                    "name": "Ủy ban nhân dân xã Gia Viễn",
                    "kind": "people_committee",
                    "valid_from": "2025-07-01",
                    "valid_to": None,
                    "in_force": True,
                    "names": [{"name": "Ủy ban nhân dân xã Gia Viễn", "valid_from": "2025-07-01"}],
                }
            ],
        },
        {
            "code": "X2",
            "name": "Xã Gia Hưng",
            "level": "commune",
            "parent": "NB",
            "valid_from": "2025-07-01",
            "valid_to": None,
            "successor": None,
            "in_force": True,
            "names": [{"name": "Xã Gia Hưng", "valid_from": "2025-07-01"}],
            "agencies": [],
        },
    ],
    "changes": [
        {
            "id": 2,
            "change": "renamed",
            "code": "X1",
            "effective_on": "2027-01-01",
            "details": {"name": "Xã Gia Viễn Mới", "source": "Nghị quyết 99/NQ-HĐND (01/12/2026)"},
            "changed_by": "quantri-1",
            "changed_at": "2026-12-07T03:00:00+00:00",
        }
    ],
}
FEES = [
    {
        "procedure_code": "1.001",
        "current": 1,
        "versions": [
            {
                "id": 1,
                "valid_from": None,
                "lines": [{"code": "LP", "name": "Lệ phí", "type": "fixed", "amount": 50000}],
                "reductions": [{"category": "poor", "percent": 50, "name": "Hộ nghèo"}],
                "basis": "Thông tư 85/2019/TT-BTC",
                "origin": "file",
                "created_by": "system",
                "created_at": "2026-12-01T00:00:00Z",
                "in_force": True,
                "base_vnd": 50000,
            }
        ],
    }
]
PROCEDURES = [{"code": "1.001", "name": {"vi": "Đăng ký khai sinh", "en": "Birth registration"}}]
PREVIEW = {
    "name": "standard",
    "initial": "submitted",
    "terminal": ["returned"],
    "roles": {"receiver": {"vi": "Một cửa (tiếp nhận)", "en": "Front desk", "kind": "officer"}},
    "states": [
        {
            "code": "submitted",
            "label": {"vi": "Đã nộp", "en": "Submitted"},
            "initial": True,
            "terminal": False,
            "actions": ["receive"],
        },
        {
            "code": "returned",
            "label": {"vi": "Đã trả kết quả", "en": "Returned"},
            "initial": False,
            "terminal": True,
            "actions": [],
        },
    ],
    "actions": [
        {
            "name": "receive",
            "label": {"vi": "Tiếp nhận", "en": "Receive"},
            "roles": ["receiver"],
            "from": ["submitted"],
            "to": "returned",
            "reason": False,
            "params": ["assignee"],
            "clock": "start",
            "clock_label": {"vi": "Bắt đầu tính thời hạn", "en": "Starts the legal clock"},
        }
    ],
    "records": {},
    "procedures": ["1.001"],
}
SETTINGS = [
    {
        "name": "due_soon_working_days",
        "label": {"vi": "Số ngày làm việc báo “sắp đến hạn”", "en": "Working days for “due soon”"},
        "help": {"vi": "Còn từ số ngày này trở xuống.", "en": "This many days left or fewer."},
        "basis": {"vi": "Tỉnh tự quyết định.", "en": "The province's choice."},
        "env": "MOTCUA_DUE_SOON_WORKING_DAYS",
        "value": "2",
        "origin": "environment",
        "since": None,
        "scheduled": [],
        "history": [],
    }
]


@pytest.fixture()
def gateway(tmp_path):
    """A gateway replica; `quantri-1` administers the province, `canbo-x` is a front-desk officer."""
    db = FakeDatabase(storage.metadata, "gateway", handler="gateway.on_staff_member_changed")
    directory = Directory()
    service, idp = replica(tmp_path, db, directory, Clock())
    directory.place("quantri-1", JUSTICE, roles=("admin",), name="Đỗ Minh Quản")
    directory.place("canbo-x", JUSTICE)
    workflow, payment = service.workflow, service.payment
    workflow.check_province_admin.call_async.side_effect = _admin_only
    workflow.units_list.call_async.return_value = _reply(UNITS)
    workflow.unit_get.call_async.return_value = _reply({**UNITS["units"][1], "changes": UNITS["changes"]})
    workflow.list_procedures.call_async.return_value = _reply(PROCEDURES)
    workflow.process_definitions.call_async.return_value = _reply([PREVIEW])
    workflow.province_settings.call_async.return_value = _reply(SETTINGS)
    payment.fee_schedules.call_async.return_value = _reply(FEES)
    return service, idp.issue("quantri-1", kind="officer"), idp.issue("canbo-x", kind="officer")


def _admin_only(actor, task="quản trị hệ thống"):
    if "admin" not in actor.get("roles", []):
        raise Forbidden("not_province_admin", f"Chỉ quản trị viên của tỉnh được {task}.")
    return _reply({"unit": JUSTICE})


def _problem(answer, status: int, code: str) -> None:
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json" and answer.json["code"] == code


def test_the_api_renames_a_unit_changes_a_fee_and_a_setting_and_checks_a_process(gateway):
    service, admin, _ = gateway
    workflow, payment = service.workflow, service.payment
    rename = {"name": "Xã Gia Viễn Mới", "valid_from": "2027-01-01", "source": "Nghị quyết 99/NQ-HĐND"}
    workflow.unit_rename.call_async.return_value = _reply({"code": "X1"})
    answer = service.rename_unit(_request("/api/v1/units/X1/names", "POST", bearer=admin, json=rename), "X1")
    assert answer.status_code == 200
    code, body, actor = workflow.unit_rename.call_async.call_args.args
    assert (code, body, actor["subject"]) == ("X1", rename, "quantri-1")

    fee = {
        "valid_from": "2027-01-01",
        "basis": "Thông tư 106/2026/TT-BTC",
        "lines": [{"code": "LP", "name": "Lệ phí", "type": "fixed", "amount": 70000}],
    }
    payment.change_fee.call_async.return_value = _reply({"procedure_code": "1.001", "versions": []})
    created = service.change_fee(
        _request("/api/v1/fees/1.001/versions", "POST", bearer=admin, json=fee), "1.001"
    )
    assert created.status_code == 201
    assert payment.change_fee.call_async.call_args.args[:2] == ("1.001", {"reductions": [], **fee})
    assert workflow.check_province_admin.call_async.call_args.args[1] == "thay đổi phí, lệ phí"
    unknown = service.change_fee(_request("/api/v1/fees/9.9/versions", "POST", bearer=admin, json=fee), "9.9")
    _problem(unknown, 422, "unknown_procedure")

    setting = {"value": "3", "valid_from": "2027-01-01", "reason": "Nhắc sớm hơn"}
    workflow.change_setting.call_async.return_value = _reply({"name": "due_soon_working_days"})
    path = "/api/v1/settings/due_soon_working_days/values"
    changed = service.change_setting(
        _request(path, "POST", bearer=admin, json=setting), "due_soon_working_days"
    )
    assert changed.status_code == 201
    assert workflow.change_setting.call_async.call_args.args[:2] == ("due_soon_working_days", setting)

    workflow.check_process.call_async.side_effect = InvalidInput(
        "invalid_process", "tệp tải lên: thiếu initial", {"problem": "tệp tải lên: thiếu initial"}
    )
    checked = service.check_process(
        _request("/api/v1/processes/checks", "POST", bearer=admin, json={"definition": "name: x"})
    )
    _problem(checked, 422, "invalid_process")
    assert service.units(_request("/api/v1/units", bearer=admin)).json["units"][1]["code"] == "X1"
    assert service.fee_schedules(_request("/api/v1/fees", bearer=admin)).json["items"] == FEES


def test_bad_bodies_and_officers_who_do_not_administer_are_refused_before_anything_changes(gateway):
    service, admin, officer = gateway
    workflow, payment = service.workflow, service.payment
    late = {"name": "X", "valid_from": "not a day", "source": "Nghị quyết 99", "extra": 1}
    refused = service.rename_unit(_request("/api/v1/units/X1/names", "POST", bearer=admin, json=late), "X1")
    _problem(refused, 422, "invalid_request")
    assert set(refused.json["errors"]["fields"]) == {"valid_from", "extra"}
    workflow.unit_rename.call_async.assert_not_called()

    fee = {"valid_from": "2027-01-01", "basis": "Thông tư 106/2026/TT-BTC", "lines": []}
    answer = service.change_fee(
        _request("/api/v1/fees/1.001/versions", "POST", bearer=officer, json=fee), "1.001"
    )
    _problem(answer, 403, "not_province_admin")
    payment.change_fee.call_async.assert_not_called()
    workflow.unit_create.call_async.side_effect = Forbidden(
        "not_province_admin", "Chỉ quản trị viên của tỉnh."
    )
    unit = {
        "code": "X9",
        "name": "Xã Mới",
        "level": "commune",
        "parent": "NB",
        "valid_from": "2027-01-01",
        "source": "Nghị quyết 99/NQ-HĐND",
    }
    _problem(
        service.create_unit(_request("/api/v1/units", "POST", bearer=officer, json=unit)),
        403,
        "not_province_admin",
    )
    assert service.units(_request("/api/v1/units")).status_code == 401


def test_the_openapi_document_has_the_administration():
    paths = openapi.build()["paths"]
    for path, method in [
        ("/api/v1/units", "get"),
        ("/api/v1/units", "post"),
        ("/api/v1/units/{code}", "get"),
        ("/api/v1/units/{code}/names", "post"),
        ("/api/v1/units/merges", "post"),
        ("/api/v1/fees", "get"),
        ("/api/v1/fees/{procedure_code}/versions", "post"),
        ("/api/v1/settings", "get"),
        ("/api/v1/settings/{name}/values", "post"),
        ("/api/v1/processes", "get"),
        ("/api/v1/processes/checks", "post"),
        ("/api/v1/calendar/corrections", "post"),
    ]:
        assert method in paths[path], (path, method)
    assert "requestBody" in paths["/api/v1/fees/{procedure_code}/versions"]["post"]


def test_the_pages_show_every_part_in_words_and_refuse_an_officer_who_does_not_administer(gateway):
    service, admin, officer = gateway
    home = service.admin_home(_request("/quan-tri", cookie=admin)).get_data(as_text=True)
    for href in (
        "/quan-tri/thu-tuc",
        "/quan-tri/can-bo",
        "/quan-tri/don-vi",
        "/quan-tri/phi",
        "/quan-tri/cai-dat",
    ):
        assert f'href="{href}"' in home
    units = service.admin_units(_request("/quan-tri/don-vi", cookie=admin)).get_data(as_text=True)
    assert "Xã Gia Viễn" in units and "Tên mới từ 01/01/2027: Xã Gia Viễn Mới" in units and "Cấp xã" in units
    unit = service.admin_unit(_request("/quan-tri/don-vi/X1", cookie=admin), "X1").get_data(as_text=True)
    assert "Ủy ban nhân dân" in unit and 'name="confirm"' in unit and "Xã Gia Hưng" in unit
    fee = service.admin_fee(_request("/quan-tri/phi/1.001", cookie=admin), "1.001").get_data(as_text=True)
    assert "Đăng ký khai sinh" in fee and "Nạp từ tệp danh mục" in fee and "Hộ nghèo" in fee
    process = service.admin_process(_request("/quan-tri/quy-trinh/standard", cookie=admin), "standard")
    text = process.get_data(as_text=True)
    assert "Bắt đầu tính thời hạn" in text and "người xử lý" in text and "Một cửa (tiếp nhận)" in text
    settings = service.admin_settings(_request("/quan-tri/cai-dat", cookie=admin)).get_data(as_text=True)
    assert "theo cấu hình triển khai" in settings
    for view, path in [(service.admin_home, "/quan-tri"), (service.admin_units, "/quan-tri/don-vi")]:
        assert view(_request(path, cookie=officer)).status_code == 403
    assert service.admin_fees(_request("/quan-tri/phi", cookie=officer)).status_code == 403


def test_the_forms_need_csrf_a_merge_its_confirmation_and_amounts_are_read_as_typed(gateway):
    service, admin, _ = gateway
    workflow, payment = service.workflow, service.payment
    csrf = service.web.sessions.csrf_token(admin)
    merge = {"csrf": csrf, "successor": "X2", "effective_on": TODAY, "source": "Nghị quyết 99/NQ-HĐND"}
    unconfirmed = service.admin_unit_merge(
        _request("/quan-tri/don-vi/X1/sap-nhap", "POST", cookie=admin, data=merge), "X1"
    )
    assert unconfirmed.status_code == 422
    forged = service.admin_unit_merge(
        _request(
            "/quan-tri/don-vi/X1/sap-nhap", "POST", cookie=admin, data={**merge, "confirm": "1", "csrf": "x"}
        ),
        "X1",
    )
    assert forged.status_code == 403
    workflow.merge_units.call_async.assert_not_called()
    workflow.merge_units.call_async.return_value = _reply({"successor": "X2", "moved_cases": []})
    merged = service.admin_unit_merge(
        _request("/quan-tri/don-vi/X1/sap-nhap", "POST", cookie=admin, data={**merge, "confirm": "1"}), "X1"
    )
    assert merged.status_code == 303 and merged.headers["Location"] == "/quan-tri/don-vi/X1?tb=merged"
    assert workflow.merge_units.call_async.call_args.args[0]["sources"] == ["X1"]

    form = {
        "csrf": csrf,
        "valid_from": "2027-01-01",
        "basis": "Thông tư 106/2026/TT-BTC",
        "line-0-code": "LP",
        "line-0-type": "fixed",
        "line-0-name": "Lệ phí",
        "line-0-amount": "70.000",
        "reduction-0-category": "poor",
        "reduction-0-name": "Hộ nghèo",
        "reduction-0-percent": "",
    }
    payment.change_fee.call_async.return_value = _reply({})
    saved = service.admin_fee_change(
        _request("/quan-tri/phi/1.001", "POST", cookie=admin, data=form), "1.001"
    )
    assert saved.status_code == 303, saved.get_data(as_text=True)
    code, body, _actor = payment.change_fee.call_async.call_args.args
    assert code == "1.001" and body["lines"][0]["amount"] == 70000 and body["reductions"] == []
    typo = service.admin_fee_change(
        _request("/quan-tri/phi/1.001", "POST", cookie=admin, data={**form, "line-0-amount": "70k"}), "1.001"
    )
    assert typo.status_code == 422 and payment.change_fee.call_async.call_count == 1

    workflow.check_process.call_async.side_effect = InvalidInput(
        "invalid_process", "tệp tải lên: thiếu initial", {"problem": "tệp tải lên: thiếu initial"}
    )
    checked = service.admin_process_check(
        _request(
            "/quan-tri/quy-trinh/kiem-tra", "POST", cookie=admin, data={"csrf": csrf, "definition": "name: x"}
        )
    )
    assert checked.status_code == 422 and "tệp tải lên: thiếu initial" in checked.get_data(as_text=True)
