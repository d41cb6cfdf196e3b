"""The procedure catalogue administered at run time, through WorkflowService workers (worker_factory) with the real
catalogue files and real SQL (SQLite): an import is validated whole (CSV, XLSX, YAML), one bad row and nothing is
written; a changed procedure gets a new version, an unchanged one nothing; publication now or from a later day,
withdrawal putting the version before back in force; only a province administrator may; every change audited.
The platform's whole path (gateway, RabbitMQ, PostgreSQL, dossiers keeping their version): tests/integration/
test_catalogue_admin.py."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory

from devtools import catalogue_file
from services.chassis.clock import legal_day, utcnow
from services.chassis.errors import Conflict, Forbidden, InvalidInput
from services.workflow.adapters import storage
from services.workflow.service import Catalogue, WorkflowService
from tests.support import FakeDatabase

JUSTICE, COMMUNE = "000.00.07.H41", "000.31.01.H41"
ADMIN = {"subject": "quantri-1", "kind": "officer", "unit": JUSTICE, "roles": ["admin"]}
CRIMINAL_RECORD = "1.000656"


@pytest.fixture
def workflow():
    catalogue = Catalogue()  # its own: imports and publications change the catalogue they are made in
    catalogue.setup()
    db = FakeDatabase(storage.metadata)
    service = worker_factory(WorkflowService, db=db, catalogue=catalogue)
    service.seed_catalogue()
    return service


def body(content: bytes, media_type: str = "text/csv", **flags) -> dict:
    return {
        "content_base64": base64.b64encode(content).decode(),
        "media_type": media_type,
        "file_name": "danh-muc",
        "dry_run": flags.get("dry_run", False),
        "publish": flags.get("publish", False),
    }


def criminal_record(days: int) -> bytes:
    header = (
        "Mã thủ tục;Tên thủ tục;Lĩnh vực;Cấp thực hiện;Cơ quan thực hiện;Thời hạn giải quyết;Phí, lệ phí;"
    )
    header += "Thành phần hồ sơ;Kết quả thực hiện;Mức độ\n"
    row = f"{CRIMINAL_RECORD};Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam;Lý lịch tư pháp;Cấp Tỉnh;Sở Tư pháp;"
    row += f"{days} ngày làm việc;200.000 đồng;TK03 | Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp | Mẫu;"
    row += "LLTP | Phiếu lý lịch tư pháp | 180;Toàn trình\n"
    return (header + row).encode()


def in_force(workflow) -> int:
    return workflow.route(CRIMINAL_RECORD, "NB.HL.NT")["procedure"]["version"]


def test_a_file_with_bad_rows_writes_nothing_and_names_every_bad_row(workflow):
    before = workflow.catalogue_procedures({"q": "GEN-9"}, ADMIN)["total"]
    for media_type, content in (
        ("text/csv", catalogue_file.csv_bytes(40, bad_line=17)),
        (catalogue_file.XLSX, catalogue_file.xlsx_bytes(40, bad_line=17)),
    ):
        with pytest.raises(InvalidInput) as refused:
            workflow.catalogue_import(body(content, media_type, publish=True), ADMIN)
        assert refused.value.code == "catalogue_rows_invalid"
        [problem] = refused.value.details["problems"]
        assert (problem["line"], problem["column"]) == (17, "Thời hạn giải quyết")
        assert catalogue_file.BAD_TIME in problem["problem"] and problem["problem_en"]
    assert workflow.catalogue_procedures({"q": "GEN-9"}, ADMIN)["total"] == before == 0

    text = catalogue_file.csv_bytes(5).decode()
    broken = text.replace("Sở Tư pháp", "Sở Không Có").replace("Một phần", "Nửa").encode()
    with pytest.raises(InvalidInput) as refused:
        workflow.catalogue_import(body(broken), ADMIN)
    kinds = {(p["line"], p["code"]) for p in refused.value.details["problems"]}
    assert {(2, "unknown_agency"), (2, "invalid_online_mode"), (4, "invalid_online_mode")} <= kinds


def test_a_good_file_creates_versions_once_and_checking_it_writes_nothing(workflow):
    content = catalogue_file.csv_bytes(30)
    checked = workflow.catalogue_import(body(content, dry_run=True), ADMIN)
    assert (checked["created_count"], checked["import_id"]) == (30, None)
    assert workflow.catalogue_procedures({"q": "GEN-9"}, ADMIN)["total"] == 0
    report = workflow.catalogue_import(body(content), ADMIN)
    assert (report["rows"], report["created_count"], report["unchanged_count"]) == (30, 30, 0)
    listed = workflow.catalogue_procedures({"q": "gen 9 000007"}, ADMIN)
    assert [p["code"] for p in listed["items"]] == [catalogue_file.code(7)]
    assert listed["items"][0]["newest"]["state"] == "draft" and listed["items"][0]["in_force_version"] is None
    again = workflow.catalogue_import(body(catalogue_file.xlsx_bytes(30), catalogue_file.XLSX), ADMIN)
    assert (again["created_count"], again["unchanged_count"]) == (0, 30)
    changed = workflow.catalogue_import(body(catalogue_file.csv_bytes(30, version=2)), ADMIN)
    assert changed["created_count"] == 30
    assert changed["created"][0]["version"] == 2


def test_a_new_version_is_published_now_or_later_and_withdrawn(workflow):
    today = legal_day(utcnow())
    assert in_force(workflow) == 1
    report = workflow.catalogue_import(body(criminal_record(8)), ADMIN)
    [created] = report["created"]
    assert created["version"] == 2 and created["status"] == "draft"
    assert [c["field"] for c in created["changes"]] == ["processing_days"]
    assert in_force(workflow) == 1  # a draft changes nothing

    later = today + timedelta(days=30)
    workflow.catalogue_publish(CRIMINAL_RECORD, 2, {"effective_from": later.isoformat()}, ADMIN)
    versions = workflow.catalogue_versions(CRIMINAL_RECORD, ADMIN)["versions"]
    assert [(v["version"], v["state"]) for v in versions] == [(2, "scheduled"), (1, "in_force")]
    assert in_force(workflow) == 1
    with pytest.raises(InvalidInput):
        workflow.catalogue_publish(
            CRIMINAL_RECORD, 2, {"effective_from": (today - timedelta(days=1)).isoformat()}, ADMIN
        )

    workflow.catalogue_publish(CRIMINAL_RECORD, 2, {"effective_from": today.isoformat()}, ADMIN)
    assert in_force(workflow) == 2
    assert workflow.route(CRIMINAL_RECORD, "NB.HL.NT")["procedure"]["processing_days"] == 8
    with pytest.raises(Conflict):
        workflow.catalogue_publish(CRIMINAL_RECORD, 2, {"effective_from": None}, ADMIN)

    withdrawn = workflow.catalogue_withdraw(CRIMINAL_RECORD, 2, {"reason": "Nhập nhầm thời hạn"}, ADMIN)
    assert withdrawn["changed"] is True
    assert workflow.catalogue_withdraw(CRIMINAL_RECORD, 2, {"reason": "Lần nữa"}, ADMIN)["changed"] is False
    assert in_force(workflow) == 1  # the version before is in force again
    states = [
        (v["version"], v["state"]) for v in workflow.catalogue_versions(CRIMINAL_RECORD, ADMIN)["versions"]
    ]
    assert states == [(2, "withdrawn"), (1, "in_force")]
    actions = [r["action"] for r in workflow.db.rows("audit_log") if r["action"].startswith("catalogue.")]
    assert actions == [
        "catalogue.seeded",
        "catalogue.imported",
        "catalogue.version_created",
        "catalogue.version_published",  # from a later day: scheduled
        "catalogue.version_published",
        "catalogue.version_withdrawn",
    ]


def test_only_a_province_administrator_may(workflow):
    receiver = {**ADMIN, "subject": "canbo-1", "roles": ["receiver"]}
    commune_admin = {**ADMIN, "subject": "quantri-xa", "unit": COMMUNE}
    content = body(catalogue_file.csv_bytes(2))
    for actor in (receiver, commune_admin):
        with pytest.raises(Forbidden):
            workflow.catalogue_import(content, actor)
        with pytest.raises(Forbidden):
            workflow.catalogue_publish(CRIMINAL_RECORD, 1, {"effective_from": None}, actor)
    assert workflow.catalogue_procedures({"q": "GEN-9"}, ADMIN)["total"] == 0
    versions = workflow.catalogue_versions(CRIMINAL_RECORD, ADMIN)["versions"]
    assert [(v["version"], v["state"], v["published_by"]) for v in versions] == [
        (1, "in_force", "system:seed")
    ]
