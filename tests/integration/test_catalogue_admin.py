"""The procedure catalogue administered on the real platform (RabbitMQ, PostgreSQL, the services as processes):
a GENERATED file of 2,000 procedures (devtools/catalogue_file.py: codes GEN-…, names «[Dữ liệu sinh]») imports
through the API, the same file with one bad row imports nothing and the refusal names the row's line and the
problem; then, in chromium, a province administrator imports a changed procedure and publishes its new version
after a confirmation: a dossier filed before keeps the version it was filed under, a new dossier gets the new one
(read back through the API). Every page is screenshotted into test-artifacts/web/ and checked by axe-core."""

from __future__ import annotations

import csv
import io
import re

import pytest
import requests
from sqlalchemy import create_engine, text

from devtools import catalogue_file
from tests.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("running", ["postgresql"], indirect=True)]

JUSTICE = "000.00.07.H41"  # Sở Tư pháp tỉnh Ninh Bình: the demo administrator's agency
ADMIN = "demo.stp.quantri"  # the demo province administrator (devtools/demo.py)
CRIMINAL_RECORD = "1.000656"  # Cấp Phiếu lý lịch tư pháp (procedures.yaml, version 1)
COUNT = 2000
BAD_LINE = 1234
IMPORT_TIMEOUT = 300


def admin(running) -> dict:
    return running.headers(ADMIN, "officer", unit=JUSTICE, roles=["admin"])


def send(running, content: bytes, media_type: str, headers: dict, **params) -> requests.Response:
    return running.session.post(
        f"{running.base_url}/api/v1/catalogue/imports",
        headers={**headers, "Content-Type": media_type},
        params=params,
        data=content,
        timeout=IMPORT_TIMEOUT,
    )


def generated_total(running) -> int:
    listed = running.session.get(
        f"{running.base_url}/api/v1/catalogue/procedures",
        headers=admin(running),
        params={"q": "GEN-9", "limit": "1"},
        timeout=60,
    )
    assert listed.status_code == 200, listed.text
    return listed.json()["total"]


def versions_stored(running) -> int:
    engine = create_engine(running.db_url("workflow"))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM procedure_versions")).scalar_one())
    finally:
        engine.dispose()


def public_procedure(running, code: str) -> dict:
    """A procedure as the public catalogue shows it (its version in force)."""
    found = running.session.get(f"{running.base_url}/api/v1/procedures", params={"q": code}, timeout=30)
    assert found.status_code == 200, found.text
    [procedure] = [p for p in found.json()["items"] if p["code"] == code]
    return procedure


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(running):
    headers = admin(running)
    before = generated_total(running)
    assert before == 0
    for media_type, content in (
        ("text/csv", catalogue_file.csv_bytes(COUNT, bad_line=BAD_LINE)),
        (catalogue_file.XLSX, catalogue_file.xlsx_bytes(COUNT, bad_line=BAD_LINE)),
    ):
        stored = versions_stored(running)
        refused = send(running, content, media_type, headers, publish="true")
        assert refused.status_code == 422, refused.text
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        problem = refused.json()
        assert problem["code"] == "catalogue_rows_invalid"
        assert problem["errors"]["problem_count"] == 1
        [row] = problem["errors"]["problems"]
        assert row["line"] == BAD_LINE and row["column"] == "Thời hạn giải quyết", row
        assert catalogue_file.BAD_TIME in row["problem"] and str(BAD_LINE) in problem["detail"]
        assert versions_stored(running) == stored and generated_total(running) == 0

    # Only a province administrator may import: an officer without the role, or holding it in a commune, is refused.
    good = catalogue_file.csv_bytes(3)
    receiver = running.headers("canbo.thu", "officer", unit=JUSTICE, roles=["receiver"])
    assert send(running, good, "text/csv", receiver).status_code == 403
    commune = running.headers("quantri.xa", "officer", unit="000.31.01.H41", roles=["admin"])
    assert send(running, good, "text/csv", commune).status_code == 403
    assert send(running, good, "application/pdf", headers).status_code == 415
    assert generated_total(running) == 0


def test_a_generated_file_of_2000_procedures_imports_through_the_api(running):
    headers = admin(running)
    content = catalogue_file.csv_bytes(COUNT)
    checked = send(running, content, "text/csv", headers, dry_run="true")
    assert checked.status_code == 200, checked.text
    assert checked.json()["created_count"] == COUNT and generated_total(running) == 0

    imported = send(running, content, "text/csv", headers, publish="true")
    assert imported.status_code == 201, imported.text
    report = imported.json()
    assert (report["rows"], report["created_count"], report["unchanged_count"]) == (COUNT, COUNT, 0)
    assert report["import_id"] is not None
    assert generated_total(running) == COUNT
    # The public catalogue has them (published today), and says what they are.
    one = public_procedure(running, catalogue_file.code(7))
    assert one["name"]["vi"].startswith("[Dữ liệu sinh]")

    again = send(running, catalogue_file.xlsx_bytes(COUNT), catalogue_file.XLSX, headers, publish="true")
    assert again.status_code == 201, again.text
    assert (again.json()["created_count"], again.json()["unchanged_count"]) == (0, COUNT)  # nothing changed


def dossier_version(running, code: str, citizen: str) -> int:
    answer = running.session.get(
        f"{running.base_url}/api/v1/dossiers/{code}", headers=running.headers(citizen), timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["case"]["procedure_version"]


def filed(running, citizen: str) -> str:
    answer = running.submit(CRIMINAL_RECORD, citizen)
    assert answer.status_code == 201, answer.text
    code = answer.json()["code"]
    wait_for(
        lambda: (
            running.session.get(
                f"{running.base_url}/api/v1/dossiers/{code}", headers=running.headers(citizen)
            )
            .json()
            .get("case")
        ),
        30,
        message=f"case {code} opened",
    )
    return code


def changed_criminal_record(processing_time: str) -> bytes:
    """Cấp Phiếu lý lịch tư pháp as procedures.yaml has it (version 1), its processing time changed."""
    row = {
        "Mã thủ tục": CRIMINAL_RECORD,
        "Tên thủ tục": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        "Lĩnh vực": "Lý lịch tư pháp",
        "Cấp thực hiện": "Cấp Tỉnh",
        "Cơ quan thực hiện": "Sở Tư pháp",
        "Thời hạn giải quyết": processing_time,
        "Phí, lệ phí": "200.000 đồng",
        "Thành phần hồ sơ": "TK03 | Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp | Mẫu",
        "Kết quả thực hiện": "LLTP | Phiếu lý lịch tư pháp | 180",
        "Mức độ": "Toàn trình",
    }
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue().encode()


def test_an_administrator_publishes_a_new_version_in_the_browser_and_dossiers_keep_theirs(running, tmp_path):
    from tests.integration.test_web_e2e import CHROMIUM, DESKTOP, Pages

    playwright = pytest.importorskip("playwright.sync_api")
    base = running.base_url
    before = filed(running, "037090000001")
    assert dossier_version(running, before, "037090000001") == 1
    good, bad = tmp_path / "ly-lich-tu-phap.csv", tmp_path / "ly-lich-tu-phap-sai.csv"
    good.write_bytes(changed_criminal_record("8 ngày làm việc"))
    bad.write_bytes(changed_criminal_record("tám ngày"))

    pages = Pages()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        page = browser.new_context(viewport=DESKTOP, locale="vi-VN").new_page()
        page.goto(f"{base}/quan-tri/thu-tuc?q=ly%20lich")
        page.wait_for_url(re.compile(r"/dev-idp/authorize"))
        page.click("button:has-text('Đỗ Minh Quân')")
        page.wait_for_url(re.compile(r"/quan-tri/thu-tuc\?q="))
        assert page.locator("td", has_text="Cấp Phiếu lý lịch tư pháp").count() >= 1
        pages.check(page, "catalogue-list", allow=(CRIMINAL_RECORD,))

        page.set_input_files("#file", str(bad))
        page.click("#import-file")
        assert page.locator("h1", has_text="Tệp có dòng sai").count() == 1
        assert page.locator("table.problems td", has_text="tám ngày").count() == 1
        assert page.locator("table.problems td").first.inner_text() == "2"  # the line of the bad row
        pages.check(page, "catalogue-import-refused")

        page.goto(f"{base}/quan-tri/thu-tuc")
        page.set_input_files("#file", str(good))
        page.click("#import-file")  # drafts: the default
        assert page.locator("h1", has_text="Đã nhập danh mục").count() == 1
        assert page.locator("td .tag", has_text="Thời hạn giải quyết").count() == 1  # what changed
        pages.check(page, "catalogue-imported", allow=(CRIMINAL_RECORD,))

        page.click(f"a[href='/quan-tri/thu-tuc/{CRIMINAL_RECORD}']")
        assert page.locator("#v2 .tag", has_text="Bản nháp").count() == 1
        pages.check(page, "catalogue-procedure-draft", allow=(CRIMINAL_RECORD,))
        page.click("#publish-2")
        assert page.locator("h1", has_text="Công bố phiên bản 2").count() == 1
        pages.check(page, "catalogue-publish-confirm", allow=(CRIMINAL_RECORD,))
        page.click("#confirm-cong-bo")  # not ticked: the browser does not send it
        assert "/cong-bo" in page.url
        page.check("#confirm")
        page.click("#confirm-cong-bo")
        page.wait_for_url(re.compile(r"\?tb=published"))
        assert page.locator("#v2 .tag", has_text="Đang áp dụng").count() == 1
        assert page.locator("#v1 .tag", has_text="Đã được thay thế").count() == 1
        pages.check(page, "catalogue-procedure-published", allow=(CRIMINAL_RECORD,))

        page.goto(f"{base}/ngon-ngu?lang=en&next=/quan-tri/thu-tuc/{CRIMINAL_RECORD}")
        assert page.locator("#v2 .tag", has_text="In force").count() == 1
        pages.check(page, "catalogue-procedure-en", allow=(CRIMINAL_RECORD,))
        browser.close()

    after = filed(running, "037185000002")
    assert dossier_version(running, before, "037090000001") == 1  # filed before: keeps version 1
    assert dossier_version(running, after, "037185000002") == 2  # filed after: the new version
    public = public_procedure(running, CRIMINAL_RECORD)
    assert (public["version"], public["processing_days"]) == (2, 8)
    assert not pages.problems, "\n".join(pages.problems)
