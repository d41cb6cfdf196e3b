"""The staff directory on the real platform (RabbitMQ, PostgreSQL and SQLite, the services as processes) in
directory mode: an officer added, moved and revoked by a province administrator sees the right queue at each step,
without signing in again, on the gateway replica that took the change at once and on a second replica as soon as
StaffMemberChanged reaches it (its cache is set to ten minutes, so nothing else could explain it); revoked, their
token and cookie get 401 and a new sign-in is refused; nobody else can change the directory; the audit chains hold
every change. Then the administrator's pages (/quan-tri/can-bo) in chromium, screenshotted and checked by axe-core.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests
from sqlalchemy import create_engine, text

from services.chassis.config import REPO_ROOT
from tests.conftest import wait_for

pytestmark = pytest.mark.integration

# The platform of this module: the directory decides (as in production), and a gateway holds what it learnt about
# an officer for ten minutes, so only the event can make a second replica see a change within the test.
PLATFORM_ENV = {"STAFF_DIRECTORY_MODE": "directory", "STAFF_CACHE_SECONDS": "600"}
JUSTICE, HOALU = "000.00.07.H41", "000.31.01.H41"  # Sở Tư pháp (province) and UBND phường Hoa Lư (commune)
NINH_GIANG = "000.31.02.H41"  # UBND xã Ninh Giang, where the demo citizen 037185000002 lives
BIRTH_CERTIFICATE = "8a0d5a2e-0000-4000-8000-000000000002"  # demo registry: held by 037185000002
ADMIN = "demo.stp.quantri"  # the demo administrator (devtools/demo.py), admin of Sở Tư pháp
LEADER = "demo.stp.lanhdao"  # a leader of Sở Tư pháp: not an administrator


def _up(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=5).status_code == 200
    except requests.ConnectionError:
        return False


def queue(running, base: str, headers: dict) -> requests.Response:
    return running.session.get(f"{base}/api/v1/queue", headers=headers, params={"limit": "200"}, timeout=30)


def codes(response: requests.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["dossier_code"] for item in response.json()["items"]}


def filed(running, procedure: str, *args, **extra) -> str:
    answer = running.submit(procedure, *args, **extra)
    assert answer.status_code == 201, answer.text
    code = answer.json()["code"]
    wait_for(
        lambda: running.session.get(f"{running.base_url}/api/v1/status/{code}").status_code == 200,
        30,
        message=f"case {code} opened",
    )
    return code


def put(running, headers: dict, subject: str, unit: str, roles: list[str]) -> requests.Response:
    body = {"full_name": "Phạm Thị Thử", "title": "Chuyên viên (kiểm thử)", "unit": unit, "roles": roles}
    return running.session.put(f"{running.base_url}/api/v1/staff/{subject}", headers=headers, json=body)


def workflow_sql(running, query: str, **params) -> list:
    engine = create_engine(running.db_url("workflow"))
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(query), params))
    finally:
        engine.dispose()


def test_an_officer_added_moved_and_revoked_sees_the_right_queue_at_each_step(running):
    base = running.base_url
    running.platform.start("gateway#1")  # a second replica, its own cache
    other = f"http://127.0.0.1:{running.platform.http_port_of('gateway#1')}"
    wait_for(lambda: _up(other), 60, message="the second replica serving")
    admin = running.headers(ADMIN, "officer", unit=NINH_GIANG, roles=["receiver"])  # the directory says admin
    justice, justice_too, commune = (
        filed(running, "1.000656"),
        filed(running, "1.000656"),
        filed(running, "1.001193", "037185000002", documents=[{"code": "GCS", "reuse": BIRTH_CERTIFICATE}]),
    )
    assert justice.startswith(JUSTICE) and commune.startswith(NINH_GIANG)
    subject = "canbo.x"
    # X's token claims much; the directory knows nothing of X: refused (and the refusal held by the gateway).
    x = running.headers(subject, "officer", unit=NINH_GIANG, roles=["receiver", "leader", "admin"])
    refused = queue(running, base, x)
    assert refused.status_code == 403 and refused.json()["code"] == "officer_not_in_directory"

    # Added to Sở Tư pháp as a front-desk officer: the next request (same token) sees its queue, not Ninh Giang's.
    added = put(running, admin, subject, JUSTICE, ["receiver"])
    assert added.status_code == 201 and added.json()["change"] == "added"
    mine = codes(queue(running, base, x))
    assert {justice, justice_too} <= mine and commune not in mine
    assert codes(queue(running, other, x)) == mine  # the second replica asks and holds it for ten minutes
    received = running.session.post(
        f"{base}/api/v1/dossiers/{justice}/actions", headers=x, json={"action": "receive"}
    )
    assert received.status_code == 200, received.text
    assert received.json()["history"][-1]["actor"] == subject

    # Moved to Ninh Giang: at once on this replica; on the other as soon as the event arrives. No new sign-in.
    moved = put(running, admin, subject, NINH_GIANG, ["receiver"])
    assert moved.status_code == 200 and moved.json()["change"] == "moved"
    now = codes(queue(running, base, x))
    assert commune in now and not {justice, justice_too} & now
    wait_for(
        lambda: commune in codes(queue(running, other, x)), 20, message="the move reached the other replica"
    )
    assert not {justice, justice_too} & codes(queue(running, other, x))
    for gateway in (base, other):  # the old unit's dossiers are not theirs any more, not even to look at
        act = running.session.post(
            f"{gateway}/api/v1/dossiers/{justice_too}/actions", headers=x, json={"action": "receive"}
        )
        assert act.status_code == 403 and act.json()["code"] == "not_your_unit"
        assert running.session.get(f"{gateway}/api/v1/dossiers/{justice_too}", headers=x).status_code == 404

    # Nobody but a province administrator changes the directory: not a leader, not X with "admin" in the token.
    before = workflow_sql(running, "SELECT * FROM officers WHERE subject = :s", s=subject)
    leader = running.headers(LEADER, "officer", unit=JUSTICE, roles=["admin"])
    for who in (leader, x):
        assert put(running, who, subject, JUSTICE, ["leader"]).status_code == 403
        revoke = running.session.post(
            f"{base}/api/v1/staff/{subject}/revocation", headers=who, json={"reason": "không được phép"}
        )
        assert revoke.status_code == 403 and revoke.json()["code"] in ("role_not_allowed", "province_only")
    assert workflow_sql(running, "SELECT * FROM officers WHERE subject = :s", s=subject) == before

    # Revoked: the token X holds gets 401 at once on both replicas, as a Bearer token and as the web cookie.
    cookie = {"motcua_session": x["Authorization"].split(" ", 1)[1]}
    assert running.session.get(f"{base}/can-bo", cookies=cookie, allow_redirects=False).status_code == 200
    revoked = running.session.post(
        f"{base}/api/v1/staff/{subject}/revocation",
        headers=admin,
        json={"reason": "Chuyển công tác khỏi tỉnh"},
    )
    assert revoked.status_code == 200 and revoked.json()["change"] == "revoked"
    assert revoked.json()["ended_sessions"] >= 1
    for gateway in (base, other):
        answer = queue(running, gateway, x)
        assert answer.status_code == 401 and answer.json()["code"] == "session_revoked"
        page = running.session.get(f"{gateway}/can-bo", cookies=cookie, allow_redirects=False)
        assert page.status_code == 303 and page.headers["Location"].startswith("/dang-nhap")
        assert "motcua_session=;" in page.headers.get("Set-Cookie", "")
        posted = running.session.post(
            f"{gateway}/dang-xuat", cookies=cookie, data={"csrf": "x"}, allow_redirects=False
        )
        assert posted.status_code == 401

    # Signing in again does not help: a token issued after the revocation (the sessions refuse those issued in its
    # second) is refused by the directory, on both replicas.
    def signed_in_again(gateway: str) -> bool:
        answer = queue(
            running, gateway, running.headers(subject, "officer", unit=NINH_GIANG, roles=["receiver"])
        )
        assert answer.status_code in (401, 403), answer.text
        return answer.json()["code"] == "officer_revoked"

    wait_for(lambda: signed_in_again(base), 10, interval=0.5, message="a new sign-in refused as revoked")
    wait_for(lambda: signed_in_again(other), 20, interval=0.5, message="the same on the other replica")

    # The audit chains: every change, by whom; both chains verify.
    trail = workflow_sql(
        running, "SELECT actor, action, details FROM audit_log WHERE target = :s ORDER BY seq", s=subject
    )
    assert [(a, b) for a, b, _ in trail] == [
        (f"officer:{ADMIN}", "staff.added"),
        (f"officer:{ADMIN}", "staff.moved"),
        (f"officer:{ADMIN}", "staff.revoked"),
    ]
    assert "Chuyển công tác khỏi tỉnh" in trail[2][2] and JUSTICE in trail[1][2]
    for service in ("workflow", "gateway"):
        verified = subprocess.run(
            [sys.executable, "-m", "services.chassis.audit", "verify", service],
            env=running.platform.service_env(service),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
    history = running.session.get(f"{base}/api/v1/staff/{subject}", headers=admin).json()
    assert history["status"] == "revoked" and history["unit"] == NINH_GIANG
    running.platform.stop("gateway#1")


def test_officers_read_their_agencys_directory_with_names(running):
    """The directory gives officers their names (the pages and forms show them), and each agency its list."""
    me = running.headers("demo.stp.motcua", "officer", unit=HOALU, roles=["leader"])
    listed = running.session.get(f"{running.base_url}/api/v1/staff", headers=me)
    assert listed.status_code == 200 and listed.json()["unit"] == JUSTICE
    names = {o["subject"]: o for o in listed.json()["items"]}
    assert names["demo.stp.motcua"]["full_name"] == "Hoàng Thị Mai"
    assert "dữ liệu mẫu" in names["demo.stp.motcua"]["title"]  # generated, and says so
    assert {"demo.stp.quantri", "demo.stp.lanhdao"} <= set(names)
    page = running.session.get(
        f"{running.base_url}/can-bo", cookies={"motcua_session": me["Authorization"][7:]}
    )
    assert page.status_code == 200 and "Hoàng Thị Mai" in page.text  # the directory's name, not the token's
    elsewhere = running.session.get(f"{running.base_url}/api/v1/staff", headers=me, params={"unit": HOALU})
    assert elsewhere.status_code == 403


# -- the administrator's pages in chromium --------------------------------------------------------------------------
@pytest.mark.parametrize("running", ["postgresql"], indirect=True)
def test_the_administrator_adds_moves_and_revokes_an_officer_in_the_browser(running):
    from tests.integration.test_web_e2e import CHROMIUM, DESKTOP, Pages, sign_in_officer

    playwright = pytest.importorskip("playwright.sync_api")
    pages = Pages()
    base = running.base_url
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        page = browser.new_context(viewport=DESKTOP, locale="vi-VN").new_page()
        page.goto(f"{base}/quan-tri/can-bo")
        page.wait_for_url(re.compile(r"/dev-idp/authorize"))  # the demo officers: one click each
        pages.check(page, "staff-dev-sign-in")
        page.click("button:has-text('Đỗ Minh Quân')")
        page.wait_for_url(re.compile(r"/quan-tri/can-bo$"))
        assert (
            page.locator("text=Hoàng Thị Mai").count() == 1 and page.locator("text=Đỗ Minh Quân").count() >= 1
        )
        pages.check(page, "staff-directory")

        page.fill("#subject", "canbo.web")
        page.fill("#full_name", "Lương Thị Thử")
        page.fill("#title", "Chuyên viên (kiểm thử)")
        page.check("#role-receiver")
        page.click("#add-officer")
        page.wait_for_url(re.compile(r"/quan-tri/can-bo/canbo\.web\?tb=added$"))
        assert page.locator(".notice", has_text="Đã thêm cán bộ vào danh bạ").count() == 1
        pages.check(page, "staff-officer-added")

        page.select_option("#unit", HOALU)
        page.check("#role-leader")
        page.click("#save-officer")
        page.wait_for_url(re.compile(r"\?tb=moved$"))
        assert page.locator(".notice", has_text="Cán bộ chỉ còn thấy hàng đợi của đơn vị mới").count() == 1
        assert page.locator("table", has_text="UBND phường Hoa Lư").count() == 1  # the new assignment, listed
        pages.check(page, "staff-officer-moved")

        page.fill("#reason", "Nghỉ hưu")
        page.click("#revoke-officer")  # the confirmation is required: the browser does not send it unticked
        assert page.url.endswith("?tb=moved")
        page.check("#confirm")
        page.click("#revoke-officer")
        page.wait_for_url(re.compile(r"\?tb=revoked$"))
        assert page.locator("dd", has_text="Đã thu hồi").count() == 1
        pages.check(page, "staff-officer-revoked")

        page.goto(f"{base}/quan-tri/can-bo?don-vi={HOALU}")
        assert page.locator("tr.ended", has_text="Lương Thị Thử").count() == 1
        pages.check(page, "staff-directory-commune")
        page.goto(f"{base}/ngon-ngu?lang=en&next=/quan-tri/can-bo")
        assert page.locator("h1", has_text="Staff directory").count() == 1
        pages.check(page, "staff-directory-en")

        # An officer who is not an administrator is refused the page.
        other = browser.new_context(viewport=DESKTOP, locale="vi-VN").new_page()
        other.goto(f"{base}/quan-tri/can-bo")
        sign_in_officer(other, JUSTICE, ["admin"], LEADER)
        other.wait_for_url(re.compile(r"/quan-tri/can-bo$"))
        assert other.locator("h1", has_text="Không có quyền").count() == 1
        pages.check(other, "staff-directory-refused")
        browser.close()
    assert not pages.problems, "\n".join(pages.problems)
