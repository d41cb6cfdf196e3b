"""The province administration on the real platform (RabbitMQ, PostgreSQL, the services as processes), over the API
and in chromium: a province administrator (`admin` in Sở Tư pháp, a province-level agency) renames a unit from a
day, adds a fee version from a day (a dossier received before keeps its amount, one received after is assessed on
the new version), previews and checks a process definition, and changes a setting; an officer who does not
administer the province gets 403 problem+json and changes nothing; every change is in the owning service's audit
chain (workflow: units, settings; payment: fees) and both chains verify. Then the same on the web (/quan-tri),
every page screenshotted into test-artifacts/web/ and checked by axe-core and for raw codes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from services.chassis.clock import legal_day, utcnow
from services.chassis.config import REPO_ROOT
from tests.integration.test_payment import file_business_registration, payment

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("running", ["postgresql"], indirect=True)]

JUSTICE = "000.00.07.H41"  # Sở Tư pháp: a province-level agency
ADMIN, OFFICER = "quantri.tinh", "canbo.tuphap"
STANDARD = (REPO_ROOT / "services/workflow/data/processes/standard.yaml").read_text(encoding="utf-8")
SOURCE = "Nghị quyết 999/NQ-HĐND (kiểm thử, không phải văn bản thật)"


def admin_headers(running) -> dict:
    return running.headers(ADMIN, "officer", unit=JUSTICE, roles=["admin"])


def audit_rows(running, service: str, target: str) -> list:
    engine = create_engine(running.db_url(service))
    try:
        with engine.connect() as conn:
            query = text("SELECT actor, action, details FROM audit_log WHERE target = :t ORDER BY seq")
            return list(conn.execute(query, {"t": target}))
    finally:
        engine.dispose()


def verify_chain(running, service: str) -> None:
    verified = subprocess.run(
        [sys.executable, "-m", "services.chassis.audit", "verify", service],
        env=running.platform.service_env(service),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_an_administrator_changes_units_fees_processes_and_settings_over_the_api(running):
    base, http = running.base_url, running.session
    admin = admin_headers(running)
    officer = running.headers(OFFICER, "officer", unit=JUSTICE, roles=["receiver", "leader"])
    tomorrow = (legal_day(utcnow()) + timedelta(days=1)).isoformat()
    today = legal_day(utcnow()).isoformat()

    # A unit renamed from tomorrow: today's name stays in force until then.
    rename = {"name": "Xã Ninh Giang Mới (kiểm thử)", "valid_from": tomorrow, "source": SOURCE}
    refused = http.post(f"{base}/api/v1/units/NB.HL.DT/names", headers=officer, json=rename)
    assert refused.status_code == 403 and refused.headers["Content-Type"] == "application/problem+json"
    answer = http.post(f"{base}/api/v1/units/NB.HL.DT/names", headers=admin, json=rename)
    assert answer.status_code == 200, answer.text
    unit = http.get(f"{base}/api/v1/units/NB.HL.DT", headers=admin).json()
    assert unit["name"] == "Xã Ninh Giang"
    assert {"name": rename["name"], "valid_from": tomorrow} in unit["names"]
    assert unit["changes"][0]["change"] == "renamed" and unit["changes"][0]["changed_by"] == ADMIN
    past = http.post(
        f"{base}/api/v1/units/NB.HL.DT/names", headers=admin, json={**rename, "valid_from": "2020-01-01"}
    )
    assert past.status_code == 422 and past.headers["Content-Type"] == "application/problem+json"

    # A fee changed from today: the dossier received before keeps its amount, the next one pays the new one.
    before = file_business_registration(running)
    assert payment(running, before)["amount_vnd"] == 100000
    fee = {
        "valid_from": today,
        "basis": "Thông tư 999/2026/TT-BTC (kiểm thử)",
        "lines": [
            {"code": "LP-HKD", "name": "Lệ phí đăng ký hộ kinh doanh", "type": "fixed", "amount": 120000}
        ],
    }
    forbidden = http.post(f"{base}/api/v1/fees/2.000488/versions", headers=officer, json=fee)
    assert forbidden.status_code == 403 and forbidden.headers["Content-Type"] == "application/problem+json"
    created = http.post(f"{base}/api/v1/fees/2.000488/versions", headers=admin, json=fee)
    assert created.status_code == 201, created.text
    after = file_business_registration(running)
    assert payment(running, after)["amount_vnd"] == 120000
    assert payment(running, before)["amount_vnd"] == 100000
    schedules = {
        s["procedure_code"]: s for s in http.get(f"{base}/api/v1/fees", headers=officer).json()["items"]
    }
    [current] = [v for v in schedules["2.000488"]["versions"] if v["in_force"]]
    assert current["base_vnd"] == 120000 and current["created_by"] == ADMIN

    # Process definitions: previewed; one checked (valid, then broken), nothing activated.
    [standard] = [d for d in http.get(f"{base}/api/v1/processes", headers=officer).json()["items"]]
    assert standard["name"] == "standard" and "2.000488" in standard["procedures"]
    assert standard["states"][0]["initial"] and standard["actions"]
    checked = http.post(f"{base}/api/v1/processes/checks", headers=admin, json={"definition": STANDARD})
    assert checked.status_code == 200, checked.text
    assert (
        checked.json()["valid"]
        and not checked.json()["activated"]
        and checked.json()["replaces"] == "standard"
    )
    broken = http.post(f"{base}/api/v1/processes/checks", headers=admin, json={"definition": "name: x\n"})
    assert broken.status_code == 422 and broken.json()["code"] == "invalid_process"
    denied = http.post(f"{base}/api/v1/processes/checks", headers=officer, json={"definition": STANDARD})
    assert denied.status_code == 403 and denied.headers["Content-Type"] == "application/problem+json"

    # A setting changed from today, with its reason.
    setting = {"value": "3", "valid_from": today, "reason": "Nhắc cán bộ sớm hơn (kiểm thử)"}
    path = f"{base}/api/v1/settings/due_soon_working_days/values"
    assert http.post(path, headers=officer, json=setting).status_code == 403
    assert http.post(path, headers=admin, json={**setting, "value": "99"}).status_code == 422
    assert http.post(path, headers=admin, json=setting).status_code == 201
    [due_soon] = [
        s
        for s in http.get(f"{base}/api/v1/settings", headers=officer).json()["items"]
        if s["name"] == "due_soon_working_days"
    ]
    assert (due_soon["value"], due_soon["origin"]) == ("3", "stored")

    # Every change in the owning service's audit chain, by whom; refusals left nothing.
    assert [(a, b) for a, b, _ in audit_rows(running, "workflow", "NB.HL.DT")] == [
        (f"officer:{ADMIN}", "unit.renamed")
    ]
    assert [(a, b) for a, b, _ in audit_rows(running, "payment", "2.000488")] == [
        (f"officer:{ADMIN}", "fee.changed")
    ]
    settings_trail = audit_rows(running, "workflow", "due_soon_working_days")
    assert [(a, b) for a, b, _ in settings_trail] == [(f"officer:{ADMIN}", "setting.changed")]
    assert "kiểm thử" in settings_trail[0][2]
    for service in ("workflow", "payment"):
        verify_chain(running, service)


def test_an_administrator_does_it_in_the_browser(running):
    from tests.integration.test_web_e2e import CHROMIUM, DESKTOP, Pages, sign_in_officer

    playwright = pytest.importorskip("playwright.sync_api")
    pages, base = Pages(), running.base_url
    tomorrow = (legal_day(utcnow()) + timedelta(days=1)).isoformat()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        page = browser.new_context(viewport=DESKTOP, locale="vi-VN").new_page()
        page.goto(f"{base}/quan-tri")
        sign_in_officer(page, JUSTICE, ["admin"], "quantri.web")
        page.wait_for_url(re.compile(r"/quan-tri$"))
        assert page.locator("a[href='/quan-tri/thu-tuc']").count() == 1
        pages.check(page, "admin-home")

        # Units: rename Phường Hoa Lư from tomorrow.
        page.click("a[href='/quan-tri/don-vi']")
        pages.check(page, "admin-units")
        page.click("text=Phường Hoa Lư")
        page.wait_for_url(re.compile(r"/quan-tri/don-vi/NB\.HL\.NT$"))
        pages.check(page, "admin-unit")
        page.fill("#new-name", "Phường Hoa Lư Mới (kiểm thử)")
        page.fill("#rename-from", tomorrow)
        page.fill("#rename-source", SOURCE)
        page.click("#rename-unit")
        page.wait_for_url(re.compile(r"\?tb=renamed$"))
        assert page.locator("li", has_text="Phường Hoa Lư Mới (kiểm thử)").count() == 1
        # The change log names the administrator as the staff directory knows them, not by their login.
        log = page.locator("#nhat-ky").locator("xpath=ancestor::table")
        assert log.locator("td", has_text="Cán bộ thử nghiệm").count() >= 1
        assert log.locator("td", has_text="quantri.web").count() == 0
        pages.check(page, "admin-unit-renamed")
        page.click("#merge-unit")  # the confirmation is required: the browser does not send it unticked
        assert page.url.endswith("?tb=renamed")

        # Fees: a new version of 1.003003 from today, amount typed with dots.
        page.goto(f"{base}/quan-tri/phi")
        pages.check(page, "admin-fees")
        page.click("a[href='/quan-tri/phi/1.003003']")
        pages.check(page, "admin-fee")
        page.fill("#line-0-amount", "150.000")
        page.fill("#fee-basis", "Thông tư 999/2026/TT-BTC (kiểm thử)")
        page.click("#change-fee")
        page.wait_for_url(re.compile(r"\?tb=changed$"))
        assert page.locator("td", has_text="150.000").count() >= 1
        assert page.locator("td", has_text="Cán bộ thử nghiệm").count() >= 1
        assert page.locator("td", has_text="quantri.web").count() == 0
        pages.check(page, "admin-fee-changed")

        # Process definitions: preview, then a definition checked (valid, then broken).
        page.goto(f"{base}/quan-tri/quy-trinh")
        pages.check(page, "admin-processes")
        page.click("a[href='/quan-tri/quy-trinh/standard']")
        assert page.locator("caption", has_text="Thao tác").count() == 1
        pages.check(page, "admin-process")
        page.goto(f"{base}/quan-tri/quy-trinh")
        page.fill("#process-text", STANDARD)
        page.click("#check-process")
        assert page.locator(".notice", has_text="Quy trình hợp lệ").count() == 1
        pages.check(page, "admin-process-checked")
        page.goto(f"{base}/quan-tri/quy-trinh")
        page.fill("#process-text", "name: x\n")
        page.click("#check-process")
        assert page.locator(".notice", has_text="Quy trình không hợp lệ").count() == 1
        pages.check(
            page, "admin-process-invalid", allow=("name", "initial", "terminal", "states", "roles", "actions")
        )

        # Settings: the cut-off hour from tomorrow.
        page.goto(f"{base}/quan-tri/cai-dat")
        pages.check(page, "admin-settings")
        page.fill("#value-cutoff", "16:30")
        page.fill("#from-cutoff", tomorrow)
        page.fill("#reason-cutoff", "Giờ chốt mới (kiểm thử)")
        page.click("#save-cutoff")
        page.wait_for_url(re.compile(r"\?tb=cutoff"))
        assert page.locator("#cutoff dd", has_text="16:30").count() == 1
        pages.check(page, "admin-settings-changed")
        page.goto(f"{base}/quan-tri/lich")
        pages.check(page, "admin-calendar")
        page.goto(f"{base}/ngon-ngu?lang=en&next=/quan-tri/don-vi")
        assert page.locator("h1", has_text="Administrative units").count() == 1
        pages.check(page, "admin-units-en")

        # An officer who does not administer the province is refused.
        other = browser.new_context(viewport=DESKTOP, locale="vi-VN").new_page()
        other.goto(f"{base}/quan-tri/phi")
        sign_in_officer(other, JUSTICE, ["receiver"], "canbo.web")
        other.wait_for_url(re.compile(r"/quan-tri/phi$"))
        assert other.locator("h1", has_text="Không có quyền").count() == 1
        pages.check(other, "admin-refused")
        browser.close()
    assert not pages.problems, "\n".join(pages.problems)
    trail = audit_rows(running, "workflow", "NB.HL.NT")
    assert [(a, b) for a, b, _ in trail] == [("officer:quantri.web", "unit.renamed")]
    assert [b for _, b, _ in audit_rows(running, "payment", "1.003003")] == ["fee.changed"]
    assert [b for _, b, _ in audit_rows(running, "workflow", "cutoff")] == ["setting.changed"]
    for service in ("workflow", "payment"):
        verify_chain(running, service)
