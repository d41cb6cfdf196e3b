"""The officers' worklist on the real platform (RabbitMQ, PostgreSQL and SQLite, the services as processes, the SMTP
sink): dossiers filed by the four demo citizens are found by name, ID number, phone and code, only within the
officer's unit; views and their counts agree; bulk assignment assigns through workflow (the history shows it);
CSV and XLSX downloads open and hold masked ID numbers; a search by person is in the citizen's access log; a case
due soon reminds its assignee and the unit's leaders by e-mail exactly once (when the staff directory knows their
addresses; until then nothing is sent and notify's log says why). And a walk of the page in chromium at 1366 px."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from services.chassis.config import REPO_ROOT
from tests.conftest import wait_for

pytestmark = pytest.mark.integration

JUSTICE, ELSEWHERE = "000.00.07.H41", "000.31.01.H41"
AN, BINH, CHAU, DUNG = "037090000001", "037185000002", "037201000003", "001178000004"
PHONES = {AN: "0912345601", BINH: "0912345602", CHAU: "0912345603", DUNG: "0912345604"}
VIEWS = ("all", "mine", "unassigned", "awaiting_receipt", "due_soon", "overdue")


def officer(running, sub: str, roles: list[str], unit: str = JUSTICE) -> dict:
    return running.headers(sub, "officer", unit=unit, roles=roles)


def queue(running, headers, **params) -> dict:
    response = running.session.get(
        f"{running.base_url}/api/v1/queue", headers=headers, params=params, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


def every(running, headers, **params) -> list[dict]:
    """Every row of a view, two a page, through the `next` cursors."""
    rows, cursor = [], None
    while True:
        page = queue(running, headers, limit=2, **params, **({"cursor": cursor} if cursor else {}))
        rows += page["items"]
        if not page["next"]:
            return rows
        cursor = page["next"]


@pytest.fixture(scope="module")
def filed(running):
    """Two dossiers of An and one each of Bình, Châu and Dung, all decided by the Department of Justice; An's
    and Bình's received, Châu's and Dung's waiting for receipt."""
    codes = {}
    for id_number in (AN, AN, BINH, CHAU, DUNG):
        response = running.submit("1.000656", id_number)
        assert response.status_code == 201, response.text
        codes.setdefault(id_number, []).append(response.json()["code"])
    for code in codes[AN] + codes[BINH]:
        running.receive(code)
    leader = officer(running, "leader-1", ["leader"])
    wait_for(
        lambda: (
            {c for cs in codes.values() for c in cs} <= {i["dossier_code"] for i in every(running, leader)}
        ),
        30,
        message="every dossier in the unit's queue",
    )
    return codes


def test_search_by_name_id_phone_and_code_within_the_unit(running, filed):
    leader = officer(running, "leader-1", ["leader"])
    for text, who in (
        ("nguyen van an", AN),
        ("Trần Thị Bình", BINH),
        (CHAU, CHAU),
        ("0912 345 604", DUNG),
        (filed[DUNG][0], DUNG),
        (filed[CHAU][0][-11:], CHAU),  # the day and daily number of a code
    ):
        page = queue(running, leader, q=text)
        assert {i["dossier_code"] for i in page["items"]} == set(filed[who]), text
        assert page["counts"]["all"] == len(filed[who]), text
    found = queue(running, leader, q=AN)
    assert {i["applicant_id_masked"] for i in found["items"]} == {"********0001"}
    assert {i["applicant_name"] for i in found["items"]} == {"Nguyễn Văn An"}
    assert AN not in json.dumps(found) and PHONES[AN] not in json.dumps(found)
    # Another unit's officer finds nothing, whatever the search.
    elsewhere = officer(running, "leader-9", ["leader"], ELSEWHERE)
    for text in (AN, "nguyen van an", filed[AN][0]):
        assert queue(running, elsewhere, q=text)["items"] == [], text
    # The citizen sees who looked for their data.
    log = running.session.get(f"{running.base_url}/api/v1/me/access-log", headers=running.headers(AN)).json()
    searches = [e for e in log["items"] if e["requester"] == f"leader-1@{JUSTICE}"]
    assert searches and {e["dossier_code"] for e in searches} == set(filed[AN])


@pytest.fixture(scope="module")
def handler(running) -> str:
    """An officer to assign to: a handler of the unit from workflow's staff directory when it has one (the page
    and the API then accept no one else), else a user id."""
    known, people = _workflow_rpc(running, "staff_list", JUSTICE)
    found = [p["subject"] for p in (people or []) if "handler" in p.get("roles", [])] if known else []
    return found[0] if found else "handler-5"


def test_views_and_counts_agree_and_bulk_assignment_goes_through_workflow(running, filed, handler):
    leader = officer(running, "leader-1", ["leader"])
    counts = queue(running, leader)["counts"]
    for view in VIEWS:
        rows = every(running, leader, view=view)
        assert len(rows) == counts[view] == len({r["dossier_code"] for r in rows}), view
    waiting = {i["dossier_code"] for i in every(running, leader, view="awaiting_receipt")}
    assert set(filed[CHAU] + filed[DUNG]) <= waiting and not set(filed[AN]) & waiting
    unassigned = {i["dossier_code"] for i in every(running, leader, view="unassigned")}
    assert set(filed[AN] + filed[BINH]) <= unassigned

    ask = filed[AN] + filed[BINH] + filed[CHAU]  # Châu's waits for receipt: it cannot be assigned yet
    url = f"{running.base_url}/api/v1/queue/assignments"
    body = {"dossier_codes": ask, "assignee": handler}
    headers = {**leader, "Idempotency-Key": "bulk-assign-0001"}
    first = running.session.post(url, headers=headers, json=body, timeout=60)
    assert first.status_code == 200, first.text
    result = first.json()
    assert result["assigned"] == 3 and result["failed"] == 1
    assert [r["dossier_code"] for r in result["results"] if not r["ok"]] == filed[CHAU]
    again = running.session.post(url, headers=headers, json=body, timeout=60)  # a retry: nothing twice
    assert again.status_code == 200 and again.json()["assigned"] == 3
    case = running.session.get(f"{running.base_url}/api/v1/dossiers/{filed[AN][0]}", headers=leader).json()
    assigns = [h for h in case["history"] if h["action"] == "assign"]
    assert len(assigns) == 1 and assigns[0]["actor"] == "leader-1"
    assert assigns[0]["params"]["assignee"] == handler and case["case"]["assignee"] == handler
    mine = every(running, officer(running, handler, ["handler"]), view="mine")
    assert {i["dossier_code"] for i in mine} == set(filed[AN] + filed[BINH])
    receiver = officer(running, "receiver-1", ["receiver"])
    refused = running.session.post(
        url, headers=receiver, json={**body, "dossier_codes": filed[BINH]}, timeout=60
    )
    assert refused.status_code == 422 and refused.json()["code"] == "none_assigned"


def test_csv_and_xlsx_downloads_open_and_hold_masked_ids(running, filed):
    leader = officer(running, "leader-1", ["leader"])
    url = f"{running.base_url}/api/v1/queue/export"
    as_csv = running.session.get(url, headers=leader, params={"q": "nguyen van an"}, timeout=60)
    assert as_csv.status_code == 200 and as_csv.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["Mã hồ sơ", "Người nộp", "Số định danh"]
    assert {r[0] for r in table[1:]} == set(filed[AN]) and {r[2] for r in table[1:]} == {"********0001"}
    as_xlsx = running.session.get(url, headers=leader, params={"format": "xlsx"}, timeout=60)
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    codes = {c for cs in filed.values() for c in cs}
    assert codes <= {r[0] for r in rows[1:]} and len(rows) - 1 == queue(running, leader)["counts"]["all"]
    masked = {r[2] for r in rows[1:] if r[0] in codes}
    assert masked == {"********0001", "********0002", "********0003", "********0004"}
    everything = as_csv.text + json.dumps(rows, default=str)
    assert not any(n in everything for n in (AN, BINH, CHAU, DUNG)) and not any(
        p in everything for p in PHONES.values()
    )


def test_the_bulk_form_refuses_citizens_forged_forms_and_other_units(running, filed):
    from tests.integration.test_web_authz import _csrf

    url, code = f"{running.base_url}/can-bo/phan-cong", filed[AN][1]
    before = running.session.get(
        f"{running.base_url}/api/v1/dossiers/{code}", headers=running.headers(AN)
    ).json()

    def post(cookie, **form):
        return running.session.post(url, data=form, cookies={"motcua_session": cookie}, allow_redirects=False)

    citizen = running.token(AN)
    leader = running.token("leader-1", "officer", unit=JUSTICE, roles=["leader"])
    elsewhere = running.token("leader-9", "officer", unit=ELSEWHERE, roles=["leader"])
    assert (
        post(citizen, **{"csrf": _csrf(running, citizen), "ho-so": code, "can-bo-khac": "x"}).status_code
        == 403
    )
    assert post(leader, **{"csrf": "forged", "ho-so": code, "can-bo-khac": "handler-9"}).status_code == 403
    assert post(leader, **{"csrf": _csrf(running, leader), "can-bo-khac": "handler-9"}).status_code == 422
    # An officer of the other unit (the directory records leader-9 at their first request), asked to take a
    # dossier that is not their unit's: refused for that dossier.
    other = post(elsewhere, **{"csrf": _csrf(running, elsewhere), "ho-so": code, "can-bo-khac": "leader-9"})
    assert (
        other.status_code == 200 and "Không phân công được" in other.text
    )  # each dossier answers for itself
    after = running.session.get(
        f"{running.base_url}/api/v1/dossiers/{code}", headers=running.headers(AN)
    ).json()
    assert after["history"] == before["history"]


def _workflow_rpc(running, method: str, *args):
    """Call workflow over the real broker from a separate process (nameko's standalone proxy wants eventlet):
    (True, answer), or (False, None) when workflow has no such method."""
    code = f"""
import eventlet; eventlet.monkey_patch()
import json, sys
from nameko.exceptions import MethodNotFound
from nameko.standalone.rpc import ClusterRpcProxy
with ClusterRpcProxy({{"AMQP_URI": {running.amqp_uri!r}}}, timeout=30) as rpc:
    try:
        print(json.dumps([True, getattr(rpc.workflow, {method!r})(*json.loads(sys.argv[1]))]))
    except MethodNotFound:
        print(json.dumps([False, None]))
"""
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(list(args))],
        env=running.platform.service_env("workflow"),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _staff(running, admin: dict, subject: str, roles: list[str], email: str) -> None:
    """A province administrator puts an officer with a work e-mail in the staff directory."""
    answer = running.session.put(
        f"{running.base_url}/api/v1/staff/{subject}",
        headers=admin,
        json={
            "full_name": f"Cán bộ {subject}",
            "title": "Chuyên viên (dữ liệu thử)",
            "unit": JUSTICE,
            "roles": roles,
            "email": email,
        },
        timeout=30,
    )
    assert answer.status_code in (200, 201), answer.text


def test_a_case_due_soon_reminds_its_assignee_and_the_leaders_once(running, filed):
    code = filed[BINH][0]  # received, assigned above, due in some working days
    admin = officer(running, "quan-tri-nhac", ["admin"])
    _staff(running, admin, "cv-nhac-1", ["handler"], "cv.nhac@example.vn")
    _staff(running, admin, "ld-nhac-1", ["leader"], "ld.nhac@example.vn")
    leader = officer(running, "ld-nhac-1", ["leader"])
    running.session.post(
        f"{running.base_url}/api/v1/queue/assignments",
        headers=leader,
        json={"dossier_codes": [code], "assignee": "cv-nhac-1"},
        timeout=60,
    ).raise_for_status()
    # Every leader of the unit the directory holds with an address is told, and the assignee.
    known, people = _workflow_rpc(running, "staff_list", JUSTICE)
    assert known
    expected = {"cv.nhac@example.vn"} | {
        p["email"] for p in people if p.get("email") and "leader" in p.get("roles", [])
    }
    assert "ld.nhac@example.vn" in expected
    # A time setting: every case due within 60 working days is due soon; workflow's timer (every 60 s) sees it.
    running.platform.env["MOTCUA_DUE_SOON_WORKING_DAYS"] = "60"
    running.platform.stop("workflow")
    running.platform.start("workflow")
    wait_for(
        lambda: {m["to"] for m in running.mails() if code in m["subject"]} >= expected,
        150,
        message="reminders",
    )
    wait_for(lambda: False if _notify_busy(running) else True, 30, message="notify idle")
    reminders = [
        m for m in running.mails() if code in m["subject"] and m["subject"].startswith("Sắp đến hạn")
    ]
    assert sorted(m["to"] for m in reminders) == sorted(expected)  # exactly once each
    # The queue marks it, in the due-soon view, with the province's setting.
    page = queue(running, officer(running, "leader-1", ["leader"]), view="due_soon")
    item = next(i for i in page["items"] if i["dossier_code"] == code)
    assert item["due_soon"] and page["due_within"] == 60


def _notify_busy(running) -> bool:
    depths = running.queue_depths()
    return any(depth for name, depth in depths.items() if name.startswith("notify") and "dead" not in name)


@pytest.mark.parametrize("running", ["postgresql"], indirect=True)
def test_the_queue_page_in_a_browser(running, filed):
    from tests.integration.test_web_e2e import CHROMIUM, DESKTOP, Pages, playwright, sign_in_officer

    pages = Pages()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        context = browser.new_context(viewport=DESKTOP, locale="vi-VN", accept_downloads=True)
        page = context.new_page()
        page.goto(f"{running.base_url}/can-bo")
        sign_in_officer(page, JUSTICE, ["receiver", "handler", "leader"], "leader-2")
        page.wait_for_url(re.compile(r"/can-bo$"))
        assert page.locator("table.queue", has_text=filed[CHAU][0]).count() == 1
        pages.check(page, "queue-all")
        page.fill("#tim", "Nguyễn Văn An")
        page.click("button:has-text('Lọc')")
        page.wait_for_url(re.compile(r"tim="))
        assert page.locator("table.queue tbody tr").count() == len(filed[AN])
        assert page.locator("text=********0001").count() == len(filed[AN])
        pages.check(page, "queue-search")
        page.click("a:has-text('Bỏ tìm kiếm')")
        page.click("nav.views >> text=Chờ tiếp nhận")
        page.wait_for_url(re.compile(r"xem=awaiting_receipt"))
        pages.check(page, "queue-awaiting-receipt")
        page.click("nav.views >> text=Tất cả")
        page.select_option("#co", "20")
        page.click("button:has-text('Lọc')")
        page.check(f"input[name=ho-so][value='{filed[AN][0]}']")
        if page.locator("#can-bo-khac").count():  # no staff directory yet: the officer's user id is typed
            page.fill("#can-bo-khac", "handler-6")
        else:
            page.select_option("#can-bo", index=1)
        page.click("button:has-text('Phân công')")
        page.wait_for_url(re.compile(r"/can-bo/phan-cong$"))
        assert page.locator("text=Đã phân công 1 hồ sơ").count() == 1
        pages.check(page, "queue-assigned")
        with page.expect_download() as download:
            page.goto(f"{running.base_url}/can-bo")
            page.click("a:has-text('Excel (XLSX)')")
        sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
        assert {r[2] for r in sheet.iter_rows(min_row=2, values_only=True)} >= {
            "********0001",
            "********0003",
        }
        page.goto(f"{running.base_url}/can-bo?lang=en")
        pages.check(page, "queue-english")
        browser.close()
    assert not pages.problems, pages.problems
