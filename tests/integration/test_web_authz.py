"""Every web page against every kind of visitor, on the real platform. The pages come from the gateway's own
route table (`WEB_ROUTES`), so a new page is checked without anyone remembering to add it, and a new public page
fails here until it is added to PUBLIC_PAGES on purpose."""

from __future__ import annotations

import re
import uuid

import pytest

import services.gateway.service  # noqa: F401  (declares the pages)
from services.gateway.web.base import WEB_ROUTES
from tests.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("running", ["sqlite"], indirect=True)]

OWNER, OTHER = "037090000001", "037185000002"
JUSTICE, ELSEWHERE = "000.00.07.H41", "000.31.01.H41"
PUBLIC_PAGES = {
    "GET /",
    "GET /thu-tuc/<string:code>",
    "GET /tra-cuu",
    "GET /static/app.css",
    "GET /dang-nhap",
    "GET /dang-nhap/xong",
    "GET /ngon-ngu",
    "GET /dev-idp/authorize",
    "GET /thanh-toan/ket-qua",
    "POST /dev-idp/authorize",
    "POST /dev-idp/token",
}


def _path(route: str, code: str) -> str:
    values = {
        "code": code,
        "draft_id": str(uuid.uuid4()),
        "number": "01",
        "upload_id": str(uuid.uuid4()),
        "refund_id": str(uuid.uuid4()),
        "subject": "receiver-1",
        "document_id": str(uuid.uuid4()),
        "action": "withdraw",
        "version": "1",  # the catalogue's pages (routes/catalogue_pages.py)
        "step": "cong-bo",
        "procedure_code": "1.000656",  # the administration's pages (routes/admin_*.py)
        "name": "due_soon_working_days",
    }
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values[m.group(1)], route)


def _csrf(running, cookie: str) -> str:
    page = running.session.get(f"{running.base_url}/", cookies={"motcua_session": cookie}).text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_every_page_is_signed_in_unless_public_by_design(running):
    routes = {f"{r['method']} {r['path']}": r for r in WEB_ROUTES}
    assert {k for k, r in routes.items() if r["public"]} == PUBLIC_PAGES
    code = running.submit("1.000656", OWNER).json()["code"]
    base = running.base_url
    wait_for(
        lambda: running.session.get(f"{base}/api/v1/status/{code}").status_code == 200, 30, message="case"
    )
    forged = running.token(OWNER)[:-4] + "AAAA"
    for key, route in routes.items():
        if route["public"]:
            continue
        url = base + _path(route["path"], code)
        for cookies in ({}, {"motcua_session": forged}):
            if route["method"] == "GET":
                response = running.session.get(url, cookies=cookies, allow_redirects=False)
                assert response.status_code == 303, key
                assert response.headers["Location"].startswith("/dang-nhap?next="), key
            else:
                response = running.session.post(
                    url, cookies=cookies, data={"csrf": "x"}, allow_redirects=False
                )
                assert response.status_code == 401, key
            # No session is ever given to someone not signed in; a forged cookie is only told to go.
            cookie = response.headers.get("Set-Cookie", "")
            assert "motcua_session" not in cookie or "motcua_session=;" in cookie, key


def test_each_kind_reaches_only_its_pages_and_its_dossiers(running):
    base = running.base_url
    code = running.submit("1.000656", OWNER).json()["code"]
    running.receive(code)  # Form 01 exists once the dossier is received
    owner = running.token(OWNER)
    other = running.token(OTHER)
    officer = running.token("receiver-1", "officer", unit=JUSTICE, roles=["receiver"])
    elsewhere = running.token("receiver-2", "officer", unit=ELSEWHERE, roles=["receiver"])

    def get(cookie, path):
        return running.session.get(base + path, cookies={"motcua_session": cookie}, allow_redirects=False)

    dossier_pages = [f"/ho-so/{code}", f"/ho-so/{code}/mau/01"]
    for path in dossier_pages:
        assert get(owner, path).status_code == 200, path
        assert get(officer, path).status_code == 200, path
        assert get(other, path).status_code == 404, path  # another citizen's dossier does not exist for them
        assert get(elsewhere, path).status_code == 404, path  # nor for another unit
    assert OWNER not in get(other, f"/ho-so/{code}").text
    for path in ("/can-bo", "/can-bo/thong-ke", "/can-bo/so-theo-doi"):
        assert get(officer, path).status_code == 200, path
        assert get(owner, path).status_code == 403, path
    assert get(owner, "/ho-so").status_code == 200 and code in get(owner, "/ho-so").text
    assert code not in get(other, "/ho-so").text
    assert get(officer, "/ho-so").status_code == 403
    assert code in get(officer, "/can-bo").text and code not in get(elsewhere, "/can-bo").text

    # Refunding and settling from the page: officers only, and of them leaders only (the payment service says so);
    # another unit's leader does not even find the dossier. Nothing is refunded by any of them.
    refund = {"amount_vnd": "1.000", "reason": "kiểm tra phân quyền", "txn": f"{code}:refund:0"}
    settle = {"outcome": "done", "note": "kiểm tra phân quyền"}
    leader_elsewhere = running.token("leader-2", "officer", unit=ELSEWHERE, roles=["leader"])
    for path, form in (
        (f"/ho-so/{code}/hoan-phi", refund),
        (f"/ho-so/{code}/hoan-phi/{uuid.uuid4()}/xac-nhan", settle),
    ):
        for cookie, status in ((owner, 403), (officer, 403), (leader_elsewhere, 404)):
            answer = running.session.post(
                base + path,
                data={**form, "csrf": _csrf(running, cookie)},
                cookies={"motcua_session": cookie},
                allow_redirects=False,
            )
            assert answer.status_code == status, (path, status, answer.status_code)
    fee_url = f"{base}/api/v1/dossiers/{code}/payment"
    wait_for(
        lambda: running.session.get(fee_url, headers=running.headers(OWNER)).status_code == 200,
        30,
        message="fee assessed",
    )
    fee = running.session.get(fee_url, headers=running.headers(OWNER)).json()
    assert fee["refunds"] == [] and fee["refunded_vnd"] == 0

    # A POST with the session but not its CSRF token changes nothing; with it, the citizen's action goes through.
    url = f"{base}/ho-so/{code}/thao-tac"
    before = running.session.get(f"{base}/api/v1/status/{code}").json()["status"]
    for token in ("", _csrf(running, other), "forged"):
        refused = running.session.post(
            url,
            data={"action": "withdraw", "csrf": token},
            cookies={"motcua_session": owner},
            allow_redirects=False,
        )
        assert refused.status_code == 403
    assert running.session.get(f"{base}/api/v1/status/{code}").json()["status"] == before
    stranger = running.session.post(
        url,
        data={"action": "withdraw", "csrf": _csrf(running, other)},
        cookies={"motcua_session": other},
        allow_redirects=False,
    )
    assert stranger.status_code == 404
    done = running.session.post(
        url,
        data={"action": "withdraw", "csrf": _csrf(running, owner), "reason": "Nhầm", "confirmed": "yes"},
        cookies={"motcua_session": owner},
        allow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert running.session.get(f"{base}/api/v1/status/{code}").json()["status"] == "withdrawn"
