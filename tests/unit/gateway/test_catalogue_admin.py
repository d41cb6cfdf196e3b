"""The procedure catalogue's administration through GatewayService workers (worker_factory) with the real sessions
database (SQLite), the real authentication, page decorator and routes; workflow is the one thing answered here
(its side: tests/integration/test_catalogue_admin.py). Only officers holding `admin` reach workflow; a file is
sent whole, in its format, base64; bad input is problem+json (API) or an error page (web) and nothing is asked of
workflow; every POST of the pages carries the CSRF token."""

from __future__ import annotations

import base64
import io
from types import SimpleNamespace
from unittest.mock import Mock

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.chassis.errors import Conflict, Forbidden, InvalidInput
from services.gateway import ratelimit, sessions, storage
from services.gateway.auth import SessionGate
from services.gateway.identity import DevIdentityProvider, TokenVerifier
from services.gateway.openapi import build
from services.gateway.service import GatewayService
from services.gateway.staff import OfficerDirectory
from services.gateway.vocabulary import Words
from services.gateway.web.base import WebSupport
from services.gateway.web.session import Sessions
from tests.support import FakeDatabase

JUSTICE = "000.00.07.H41"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_FILE = "Mã thủ tục,Tên thủ tục\n1.000656,Cấp Phiếu lý lịch tư pháp\n".encode()
WORDS = Words(
    {
        "processes": {"standard": {"statuses": {}, "actions": {}}},
        "roles": {
            "receiver": {"vi": "Một cửa (tiếp nhận)", "en": "Front desk", "kind": "officer"},
            "admin": {"vi": "Quản trị", "en": "Administrator", "kind": "officer"},
        },
    }
)
REFUSAL = {
    "problems": [
        {
            "line": 7,
            "column": "Thời hạn giải quyết",
            "code": "invalid_duration",
            "problem": "Không đọc được thời hạn «mười ngày».",
            "problem_en": "Cannot read the time limit «mười ngày».",
        }
    ],
    "problem_count": 1,
    "rows": 12,
}


# What reaches the gateway: nameko carries an error's details with numbers as text.
AS_SENT = {"problems": [{**REFUSAL["problems"][0], "line": "7"}], "problem_count": "1", "rows": "12"}


def _reply(value):
    return SimpleNamespace(result=lambda: value)


def _officers(subject: str) -> dict:
    roles = {"quantri-1": ["admin"], "canbo-x": ["receiver"]}[subject]
    return {"subject": subject, "title": "", "unit": JUSTICE, "roles": roles, "full_name": "Đỗ Minh Quản"}


@pytest.fixture()
def world(tmp_path):
    db = FakeDatabase(storage.metadata, "gateway", handler="gateway.on_staff_member_changed")
    idp = DevIdentityProvider(
        tmp_path / "key.pem", issuer="http://gw/dev-idp", audience="motcua", env="local"
    )
    officers = OfficerDirectory(30.0, ask=lambda claims: _officers(claims["subject"]))
    gate = SessionGate(
        TokenVerifier([idp.issuer_config()]), sessions.Policy.from_env(), db.autocommit, idp, officers
    )
    web = WebSupport.__new__(WebSupport)
    web.sessions = Sessions(b"unit-secret", secure=False)
    web.csp = "default-src 'none'"
    web.signin_limit = web.submit_limit = web.lookup_limit = ratelimit.SlidingWindow(100, 60)
    vocabulary = Mock()
    vocabulary.words.return_value = WORDS
    service = worker_factory(
        GatewayService, auth=gate, web=web, db=db, workflow=Mock(), vocabulary=vocabulary
    )
    service.workflow.check_province_admin.call_async.return_value = _reply({"unit": JUSTICE})
    return service, idp.issue("quantri-1", kind="officer"), idp.issue("canbo-x", kind="officer")


def _request(path, method="GET", bearer="", cookie="", **kwargs):
    headers = kwargs.pop("headers", {})
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    if cookie:
        headers["Cookie"] = f"motcua_session={cookie}"
    return Request(EnvironBuilder(path=path, method=method, headers=headers, **kwargs).get_environ())


def test_an_administrator_imports_a_raw_file_or_a_form_upload_sent_whole(world):
    service, admin, _ = world
    workflow = service.workflow
    workflow.catalogue_import.call_async.return_value = _reply({"created": 1, "unchanged": 0})
    raw = service.import_catalogue(
        _request(
            "/api/v1/catalogue/imports?publish=true",
            "POST",
            bearer=admin,
            data=CSV_FILE,
            content_type="text/csv; charset=utf-8",
        )
    )
    assert raw.status_code == 201 and raw.json == {"created": 1, "unchanged": 0}
    body, actor = workflow.catalogue_import.call_async.call_args.args
    assert base64.b64decode(body["content_base64"]) == CSV_FILE
    assert (body["media_type"], body["dry_run"], body["publish"]) == ("text/csv", False, True)
    assert actor["subject"] == "quantri-1"

    form = {"file": (io.BytesIO(b"PK\x03\x04sheet"), "danh-muc.xlsx", "application/octet-stream")}
    checked = service.import_catalogue(
        _request("/api/v1/catalogue/imports?dry_run=true", "POST", bearer=admin, data=form)
    )
    assert checked.status_code == 200
    body = workflow.catalogue_import.call_async.call_args.args[0]
    assert (body["media_type"], body["file_name"], body["dry_run"]) == (XLSX, "danh-muc.xlsx", True)


def test_bad_requests_are_problems_and_workflow_is_not_asked(world):
    service, admin, officer = world
    workflow = service.workflow

    def post(path, token=admin, **kwargs):
        answer = service.import_catalogue(_request(path, "POST", bearer=token, **kwargs))
        assert answer.mimetype == "application/problem+json"
        return answer.status_code, answer.json["code"]

    assert post("/api/v1/catalogue/imports", data=b"x", content_type="application/pdf") == (
        415,
        "unsupported_catalogue_file",
    )
    assert post("/api/v1/catalogue/imports", data=b"", content_type="text/csv") == (422, "empty_file")
    assert post("/api/v1/catalogue/imports?dry_run=yes", data=CSV_FILE, content_type="text/csv")[0] == 422
    big = b"a" * (8 * 1024 * 1024 + 1)
    assert post("/api/v1/catalogue/imports", data=big, content_type="text/csv") == (413, "file_too_large")
    assert post("/api/v1/catalogue/imports", officer, data=CSV_FILE, content_type="text/csv") == (
        403,
        "role_not_allowed",
    )
    anonymous = service.import_catalogue(_request("/api/v1/catalogue/imports", "POST", data=CSV_FILE))
    assert anonymous.status_code == 401
    publish = service.publish_version(
        _request(
            "/api/v1/catalogue/procedures/1.000656/versions/2/publication",
            "POST",
            bearer=admin,
            json={"effective_from": "mai"},
        ),
        "1.000656",
        2,
    )
    assert publish.status_code == 422
    withdraw = service.withdraw_version(
        _request(
            "/api/v1/catalogue/procedures/1.000656/versions/2/withdrawal",
            "POST",
            bearer=admin,
            json={"reason": " "},
        ),
        "1.000656",
        2,
    )
    assert withdraw.status_code == 422
    listing = service.catalogue_procedures(_request("/api/v1/catalogue/procedures?limit=x", bearer=admin))
    assert listing.status_code == 422
    for method in ("catalogue_import", "catalogue_publish", "catalogue_withdraw", "catalogue_procedures"):
        getattr(workflow, method).call_async.assert_not_called()


def test_workflows_refusals_come_back_as_problems_with_every_bad_row(world):
    service, admin, _ = world
    workflow = service.workflow
    workflow.catalogue_import.call_async.side_effect = InvalidInput(
        "catalogue_rows_invalid", "Tệp có 1 dòng sai: chưa nhập thủ tục nào.", AS_SENT
    )
    refused = service.import_catalogue(
        _request("/api/v1/catalogue/imports", "POST", bearer=admin, data=CSV_FILE, content_type="text/csv")
    )
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert refused.json["code"] == "catalogue_rows_invalid" and refused.json["errors"] == REFUSAL

    workflow.catalogue_publish.call_async.side_effect = Conflict("version_not_publishable", "Đã thu hồi.")
    path = "/api/v1/catalogue/procedures/1.000656/versions/1/publication"
    conflict = service.publish_version(
        _request(path, "POST", bearer=admin, json={"effective_from": "2027-01-04"}), "1.000656", 1
    )
    assert conflict.status_code == 409
    assert workflow.catalogue_publish.call_async.call_args.args[:3] == (
        "1.000656",
        1,
        {"effective_from": "2027-01-04"},
    )
    workflow.catalogue_withdraw.call_async.return_value = _reply({"changed": True})
    done = service.withdraw_version(
        _request(
            "/api/v1/catalogue/procedures/1.000656/versions/1/withdrawal",
            "POST",
            bearer=admin,
            json={"reason": "Bãi bỏ"},
        ),
        "1.000656",
        1,
    )
    assert done.status_code == 200 and done.json == {"changed": True}
    workflow.catalogue_versions.call_async.side_effect = Forbidden(
        "not_province_admin", "Chỉ quản trị cấp tỉnh."
    )
    versions = service.procedure_versions(
        _request("/api/v1/catalogue/procedures/1.000656/versions", bearer=admin), "1.000656"
    )
    assert versions.status_code == 403


def test_the_openapi_document_describes_every_catalogue_route_and_its_file_formats():
    document = build()
    paths = document["paths"]
    imports = paths["/api/v1/catalogue/imports"]["post"]
    assert set(imports["requestBody"]["content"]) == {
        "text/csv",
        XLSX,
        "application/yaml",
        "multipart/form-data",
    }
    assert {p["name"] for p in imports["parameters"]} >= {"dry_run", "publish"}
    assert imports["security"] == [{"bearer": []}]
    for path in (
        "/api/v1/catalogue/procedures",
        "/api/v1/catalogue/procedures/{code}/versions",
        "/api/v1/catalogue/procedures/{code}/versions/{version}/publication",
        "/api/v1/catalogue/procedures/{code}/versions/{version}/withdrawal",
    ):
        assert path in paths, path


def _version(number: int, state: str, status: str, **extra) -> dict:
    definition = {
        "code": "1.000656",
        "version": number,
        "valid_from": "2026-12-07",
        "name": {"vi": "Cấp Phiếu lý lịch tư pháp", "en": "Criminal record certificate"},
        "field": {"vi": "Lý lịch tư pháp", "en": "Judicial records"},
        "competent_levels": ["province"],
        "online_mode": "full",
        "processing_days": 10 - number,
        "fee_vnd": 200000,
        "documents": [{"code": "TK03", "kind": "form", "name": {"vi": "Tờ khai", "en": "Form"}}],
        "chain": [],
        "process": "standard",
        "result": {"type": "LLTP", "title": "Phiếu lý lịch tư pháp", "valid_days": 180},
        "receipt": None,
        "legal_basis": ["Luật Lý lịch tư pháp 2009"],
        "agency_kind": "justice",
    }
    return {
        "code": "1.000656",
        "version": number,
        "status": status,
        "state": state,
        "valid_from": "2026-12-07",
        "name": definition["name"],
        "definition": definition,
        "changes": [],
        "open_cases": 0,
        "created_at": "2026-12-07T01:00:00Z",
        "created_by": "system:seed",
        "published_at": None,
        "published_by": None,
        "withdrawn_at": None,
        "withdrawn_by": None,
        "withdrawn_reason": "",
        **extra,
    }


VERSIONS = {
    "code": "1.000656",
    "in_force_version": 1,
    "versions": [
        _version(
            2,
            "draft",
            "draft",
            changes=[
                {"field": "processing_days", "name": {"vi": "Thời hạn giải quyết", "en": "Processing time"}}
            ],
            created_by="officer:quantri-1",
        ),
        _version(1, "in_force", "published", open_cases=3),
    ],
}


def test_the_pages_list_import_with_the_bad_rows_and_publish_after_a_confirmation(world):
    service, admin, officer = world
    workflow = service.workflow
    csrf = service.web.sessions.csrf_token(admin)
    workflow.list_agencies.call_async.return_value = _reply(
        [{"code": JUSTICE, "name": "Sở Tư pháp", "kind": "justice", "level": "province", "unit": "H41"}]
    )
    summary = {
        "code": "1.000656",
        "name": "Cấp Phiếu lý lịch tư pháp",
        "field": "Lý lịch tư pháp",
        "versions": 2,
        "in_force_version": 1,
        "newest": {"version": 2, "status": "draft", "state": "draft"},
        "drafts": 1,
        "scheduled": 0,
    }
    workflow.catalogue_procedures.call_async.return_value = _reply(
        {"items": [summary], "total": 1, "offset": 0, "limit": 50}
    )
    listing = service.catalogue_page(_request("/quan-tri/thu-tuc?q=ly%20lich", cookie=admin))
    text = listing.get_data(as_text=True)
    assert listing.status_code == 200 and "Cấp Phiếu lý lịch tư pháp" in text and "Bản nháp" in text
    assert 'href="/quan-tri"' in text and f'value="{csrf}"' in text
    assert workflow.catalogue_procedures.call_async.call_args.args[0] == {
        "q": "ly lich",
        "offset": 0,
        "limit": 50,
    }

    workflow.catalogue_import.call_async.side_effect = InvalidInput(
        "catalogue_rows_invalid", "Tệp có 1 dòng sai.", {**REFUSAL, "bad_lines": 1}
    )
    upload = {"csrf": csrf, "file": (io.BytesIO(CSV_FILE), "danh-muc.csv", "text/csv")}
    refused = service.catalogue_import_page(
        _request("/quan-tri/thu-tuc/nhap", "POST", cookie=admin, data=upload)
    )
    text = refused.get_data(as_text=True)
    assert (
        refused.status_code == 422 and "Không đọc được thời hạn «mười ngày»." in text and "<td>7</td>" in text
    )
    forged = {"csrf": "x", "file": (io.BytesIO(CSV_FILE), "danh-muc.csv", "text/csv")}
    assert (
        service.catalogue_import_page(
            _request("/quan-tri/thu-tuc/nhap", "POST", cookie=admin, data=forged)
        ).status_code
        == 403
    )
    assert workflow.catalogue_import.call_async.call_count == 1

    workflow.catalogue_versions.call_async.return_value = _reply(VERSIONS)
    page = service.catalogue_procedure_page(_request("/quan-tri/thu-tuc/1.000656", cookie=admin), "1.000656")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Đang áp dụng" in text and "Thời hạn giải quyết" in text
    assert "Sở Tư pháp" in text and "justice" not in text and "system:seed" not in text
    path = "/quan-tri/thu-tuc/1.000656/phien-ban/2/cong-bo"
    confirm = service.catalogue_confirm_page(_request(path, cookie=admin), "1.000656", 2, "cong-bo")
    assert confirm.status_code == 200 and 'name="effective_from"' in confirm.get_data(as_text=True)
    unconfirmed = service.catalogue_confirmed(
        _request(path, "POST", cookie=admin, data={"csrf": csrf, "effective_from": "2026-12-20"}),
        "1.000656",
        2,
        "cong-bo",
    )
    assert unconfirmed.status_code == 422
    no_such_day = service.catalogue_confirmed(
        _request(
            path, "POST", cookie=admin, data={"csrf": csrf, "effective_from": "31/02/2027", "confirm": "1"}
        ),
        "1.000656",
        2,
        "cong-bo",
    )
    assert no_such_day.status_code == 422
    workflow.catalogue_publish.call_async.assert_not_called()
    workflow.catalogue_publish.call_async.return_value = _reply({"changed": True})
    done = service.catalogue_confirmed(
        _request(
            path, "POST", cookie=admin, data={"csrf": csrf, "effective_from": "20/12/2026", "confirm": "1"}
        ),
        "1.000656",
        2,
        "cong-bo",
    )
    assert (
        done.status_code == 303 and done.headers["Location"] == "/quan-tri/thu-tuc/1.000656?tb=published#v2"
    )
    assert workflow.catalogue_publish.call_async.call_args.args[:3] == (
        "1.000656",
        2,
        {"effective_from": "2026-12-20"},
    )
    in_force = service.catalogue_confirm_page(
        _request("/quan-tri/thu-tuc/1.000656/phien-ban/1/cong-bo", cookie=admin), "1.000656", 1, "cong-bo"
    )
    assert in_force.status_code == 409

    workflow.check_province_admin.call_async.return_value = None
    workflow.check_province_admin.call_async.side_effect = Forbidden("role_not_allowed", "Chỉ quản trị viên.")
    assert service.catalogue_page(_request("/quan-tri/thu-tuc", cookie=officer)).status_code == 403


def test_withdrawing_the_version_in_force_says_what_follows_and_needs_a_reason_and_a_tick(world):
    service, admin, _ = world
    workflow = service.workflow
    csrf = service.web.sessions.csrf_token(admin)
    workflow.list_agencies.call_async.return_value = _reply([])
    workflow.catalogue_versions.call_async.return_value = _reply(VERSIONS)
    path = "/quan-tri/thu-tuc/1.000656/phien-ban/1/thu-hoi"
    confirm = service.catalogue_confirm_page(_request(path, cookie=admin), "1.000656", 1, "thu-hoi")
    text = confirm.get_data(as_text=True)
    assert (
        confirm.status_code == 200
        and 'name="reason"' in text
        and "hồ sơ mới của thủ tục này bị từ chối" in text
    )
    assert "3 hồ sơ đang giải quyết theo phiên bản này vẫn giữ nó." in text
    unticked = service.catalogue_confirmed(
        _request(path, "POST", cookie=admin, data={"csrf": csrf, "reason": "Bãi bỏ"}),
        "1.000656",
        1,
        "thu-hoi",
    )
    assert unticked.status_code == 422
    workflow.catalogue_withdraw.call_async.assert_not_called()
    workflow.catalogue_withdraw.call_async.return_value = _reply({"changed": True})
    done = service.catalogue_confirmed(
        _request(path, "POST", cookie=admin, data={"csrf": csrf, "reason": "Bãi bỏ", "confirm": "1"}),
        "1.000656",
        1,
        "thu-hoi",
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("?tb=withdrawn#v1")
    assert workflow.catalogue_withdraw.call_async.call_args.args[:3] == ("1.000656", 1, {"reason": "Bãi bỏ"})
    unknown = service.catalogue_confirm_page(
        _request("/quan-tri/thu-tuc/1.000656/phien-ban/9/thu-hoi", cookie=admin), "1.000656", 9, "thu-hoi"
    )
    assert unknown.status_code == 404
