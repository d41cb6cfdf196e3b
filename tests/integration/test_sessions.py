"""Sessions end everywhere at once, on the real platform with two gateway replicas sharing PostgreSQL: a citizen
signs in in a real browser on one replica and signs out; the old cookie and the same token as a Bearer token are
refused on both replicas at the next request. A province administrator revokes an officer's sessions through
one replica; the officer's tokens are refused on the other at once, a new sign-in works, the revocation is in the
gateway's audit chain."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
import requests
from sqlalchemy import create_engine, text

from services.chassis.config import REPO_ROOT
from tests.conftest import wait_for
from tests.integration.test_web_e2e import (
    ARTIFACTS,
    PHONE,
    browser,  # noqa: F401 - the module's browser fixture
    sign_in_citizen,
)

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("running", ["postgresql"], indirect=True)]
CITIZEN = "037090000001"
JUSTICE = "000.00.07.H41"  # Sở Tư pháp: a province-level agency


@pytest.fixture
def replicas(running):
    """The module's gateway and a second replica on a port of its own; same database, same broker."""
    running.platform.start("gateway#1")
    other = f"http://127.0.0.1:{running.platform.http_port_of('gateway#1')}"
    wait_for(lambda: _answers(f"{other}/readyz"), 60, message="the second replica's HTTP server")
    yield running.base_url, other
    running.platform.stop("gateway#1")


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.ConnectionError:
        return False


def _page(base: str, cookie: str):
    return requests.get(
        f"{base}/ho-so", cookies={"motcua_session": cookie}, allow_redirects=False, timeout=10
    )


def _api(base: str, token: str, path: str = "/api/v1/me/dossiers"):
    return requests.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_signing_out_in_the_browser_ends_the_cookie_and_the_token_on_every_replica(
    running,
    replicas,
    browser,  # noqa: F811 - the browser fixture imported above
):
    first, second = replicas
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{first}/ho-so")
    sign_in_citizen(page, CITIZEN)
    page.wait_for_url(re.compile(r"/ho-so$"))
    cookie = next(c["value"] for c in context.cookies() if c["name"] == "motcua_session")
    for base in (first, second):  # one session, valid wherever the next request lands
        assert _page(base, cookie).status_code == 200
        assert _api(base, cookie).status_code == 200

    page.click("button:has-text('Đăng xuất')")
    page.wait_for_url(re.compile(r"/$"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "session-signed-out.png"), full_page=True)
    assert not [c for c in context.cookies() if c["name"] == "motcua_session"]
    page.goto(f"{first}/ho-so")  # the browser is signed out: back to sign-in
    page.wait_for_url(re.compile(r"/dev-idp/authorize"))
    context.close()

    for base in (first, second):  # the saved value, replayed: refused on both replicas
        again = _page(base, cookie)
        assert again.status_code == 303 and again.headers["Location"].startswith("/dang-nhap")
        refused = _api(base, cookie)
        assert refused.status_code == 401, refused.text
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        assert refused.json()["code"] == "session_signed_out"


def test_an_administrators_revocation_holds_on_every_replica_and_is_audited(running, replicas):
    first, second = replicas
    officer = running.token("can-bo-19", "officer", unit=JUSTICE, roles=["receiver"])
    unused = running.token(
        "can-bo-19", "officer", unit=JUSTICE, roles=["handler"]
    )  # never shown to a gateway
    queue = "/api/v1/queue"
    assert _api(first, officer, queue).status_code == 200 and _api(second, officer, queue).status_code == 200
    body = {"subject": "can-bo-19", "reason": "Chuyển công tác sang Sở Nội vụ"}

    leader = running.token("lanh-dao-1", "officer", unit=JUSTICE, roles=["leader"])
    refused = requests.post(
        f"{second}/api/v1/sessions/revocations",
        json=body,
        timeout=10,
        headers={"Authorization": f"Bearer {leader}"},
    )
    assert refused.status_code == 403 and refused.json()["code"] == "role_not_allowed"
    assert _api(first, officer, queue).status_code == 200  # a refused revocation changes nothing

    admin = running.token("quan-tri-1", "officer", unit=JUSTICE, roles=["admin"])
    done = requests.post(
        f"{second}/api/v1/sessions/revocations",
        json=body,
        timeout=10,
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert done.status_code == 200 and done.json()["ended_sessions"] == 1, done.text
    for base in (first, second):
        for token in (officer, unused):
            answer = _api(base, token, queue)
            assert answer.status_code == 401 and answer.json()["code"] == "session_revoked"

    time.sleep(1.1)  # token times are whole seconds: a token issued in the revocation's second stays refused
    fresh = running.token("can-bo-19", "officer", unit=JUSTICE, roles=["receiver"])
    assert _api(first, fresh, queue).status_code == 200  # signing in again works

    engine = create_engine(running.db_url("gateway"))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT actor, action, target, details FROM audit_log ORDER BY seq")
            ).all()
    finally:
        engine.dispose()
    assert [(r.actor, r.action, r.target) for r in rows][-1] == (
        "quan-tri-1",
        "sessions_revoked",
        "can-bo-19",
    )
    assert "Chuyển công tác" in rows[-1].details
    verified = subprocess.run(
        [sys.executable, "-m", "services.chassis.audit", "verify", "gateway"],
        cwd=REPO_ROOT,
        env=running.platform.service_env("gateway"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verified.returncode == 0 and '"ok": true' in verified.stdout, verified.stdout + verified.stderr
