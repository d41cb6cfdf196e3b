"""Sessions that end: the rules (services/gateway/sessions.py) on a real SQLite database, and sign-out through a
GatewayService worker (worker_factory) with the real page decorator, API authentication and CSRF."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from unittest.mock import Mock

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.chassis.errors import Forbidden
from services.gateway import ratelimit, sessions, storage
from services.gateway.auth import SessionGate
from services.gateway.identity import DevIdentityProvider, Principal, TokenVerifier
from services.gateway.problems import Unauthenticated
from services.gateway.service import GatewayService
from services.gateway.web.base import WebSupport
from services.gateway.web.session import Sessions
from tests.support import FakeDatabase

UNIT = "000.00.07.H41"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)

    def __call__(self) -> float:
        return self.now.timestamp()


@pytest.fixture()
def world(tmp_path):
    clock = Clock()
    idp = DevIdentityProvider(
        tmp_path / "key.pem", issuer="http://gw/dev-idp", audience="motcua", env="local", now=clock
    )
    db = FakeDatabase(storage.metadata, "gateway")
    verifier = TokenVerifier([idp.issuer_config()], now=clock)
    gate = SessionGate(verifier, sessions.Policy.from_env(), db.autocommit, idp)
    return clock, idp, db, gate


def _check(gate, clock, token):
    principal = gate.verifier.verify(token)
    with gate.connect() as conn:
        sessions.check(conn, token, principal, gate.policy, clock.now)
    return principal


def test_an_officer_session_ends_after_30_idle_minutes_and_10_hours_in_all(world):
    clock, idp, _, gate = world
    token = idp.issue("can-bo-1", kind="officer", unit=UNIT, roles=["receiver"], ttl_seconds=24 * 3600)
    _check(gate, clock, token)
    for _ in range(20):  # 20 × 29 minutes of steady work: never idle, 9 h 40 min in all
        clock.now += timedelta(minutes=29)
        _check(gate, clock, token)
    clock.now += timedelta(minutes=29)  # 10 h 9 min after sign-in
    with pytest.raises(sessions.SessionEnded) as ended:
        _check(gate, clock, token)
    assert ended.value.reason == "expired"
    idle = idp.issue("can-bo-2", kind="officer", unit=UNIT, roles=["receiver"], ttl_seconds=24 * 3600)
    _check(gate, clock, idle)
    clock.now += timedelta(minutes=31)
    with pytest.raises(sessions.SessionEnded) as ended:
        _check(gate, clock, idle)
    assert ended.value.reason == "idle"
    clock.now += timedelta(seconds=1)
    with pytest.raises(sessions.SessionEnded):  # ended stays ended
        _check(gate, clock, idle)


def test_a_citizen_keeps_the_session_while_filing_a_long_form(world):
    clock, idp, _, gate = world
    token = idp.issue("037090000001", kind="citizen", ttl_seconds=8 * 3600)
    _check(gate, clock, token)
    clock.now += timedelta(hours=2)
    _check(gate, clock, token)


def test_revoking_an_officer_refuses_every_token_issued_so_far_even_one_never_seen(world):
    clock, idp, db, gate = world
    seen = idp.issue("can-bo-1", kind="officer", unit=UNIT, roles=["handler"], ttl_seconds=8 * 3600)
    unseen = idp.issue("can-bo-1", kind="officer", unit=UNIT, roles=["handler"], ttl_seconds=8 * 3600)
    other = idp.issue("can-bo-9", kind="officer", unit=UNIT, roles=["handler"], ttl_seconds=8 * 3600)
    _check(gate, clock, seen)
    _check(gate, clock, other)
    clock.now += timedelta(seconds=5)
    with db.unit() as uow:
        assert sessions.revoke_subject(uow.session, "can-bo-1", "admin-1", clock.now) == 1
    for token in (seen, unseen):
        with pytest.raises(sessions.SessionEnded) as ended:
            _check(gate, clock, token)
        assert ended.value.reason == "revoked"
    _check(gate, clock, other)  # someone else's session is untouched
    clock.now += timedelta(seconds=2)
    fresh = idp.issue("can-bo-1", kind="officer", unit=UNIT, roles=["handler"], ttl_seconds=8 * 3600)
    _check(gate, clock, fresh)  # signing in again works


def test_expired_session_rows_are_purged_a_day_after_their_token_expired(world):
    clock, idp, db, gate = world
    _check(gate, clock, idp.issue("037090000001", kind="citizen", ttl_seconds=3600))
    with db.unit() as uow:
        assert sessions.purge(uow.session, clock.now + timedelta(hours=20)) == 0
        assert sessions.purge(uow.session, clock.now + timedelta(hours=26)) == 1


def test_bad_time_out_settings_stop_the_start(monkeypatch):
    monkeypatch.setenv("SESSION_IDLE_MINUTES_OFFICER", "half an hour")
    with pytest.raises(RuntimeError, match="SESSION_IDLE_MINUTES_OFFICER"):
        sessions.Policy.from_env()
    monkeypatch.setenv("SESSION_IDLE_MINUTES_OFFICER", "15")
    monkeypatch.setenv("SESSION_ABSOLUTE_HOURS_CITIZEN", "2")
    policy = sessions.Policy.from_env()
    assert (
        policy.idle["officer"] == 900 and policy.absolute["citizen"] == 7200 and policy.idle["citizen"] == 0
    )


# -- through the gateway worker: the page decorator, the API and sign-out ----------------------------------------
@pytest.fixture()
def gateway(tmp_path):
    idp = DevIdentityProvider(
        tmp_path / "key.pem", issuer="http://gw/dev-idp", audience="motcua", env="local"
    )
    db = FakeDatabase(storage.metadata, "gateway")
    gate = SessionGate(TokenVerifier([idp.issuer_config()]), sessions.Policy.from_env(), db.autocommit, idp)
    web = WebSupport.__new__(WebSupport)
    web.sessions = Sessions(b"unit-secret", secure=False)
    web.csp = "default-src 'none'"
    web.signin_limit = web.submit_limit = web.lookup_limit = ratelimit.SlidingWindow(100, 60)
    intake = Mock()
    intake.list_dossiers.call_async.return_value.result.return_value = {"items": [], "next": None}
    intake.list_drafts.call_async.return_value.result.return_value = []
    workflow = Mock()
    workflow.list_procedures.call_async.return_value.result.return_value = []
    service = worker_factory(GatewayService, auth=gate, web=web, db=db, intake=intake, workflow=workflow)
    return service, idp, db, web


def _request(
    path: str, method: str = "GET", cookie: str = "", bearer: str = "", data=None, json=None
) -> Request:
    headers = {}
    if cookie:
        headers["Cookie"] = f"motcua_session={cookie}"
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return Request(
        EnvironBuilder(path=path, method=method, headers=headers, data=data, json=json).get_environ()
    )


def test_sign_out_ends_the_cookie_and_the_same_token_as_bearer(gateway):
    service, idp, db, web = gateway
    token = idp.issue("037090000001", kind="citizen", ttl_seconds=8 * 3600)
    assert service.my_dossiers_api(_request("/api/v1/me/dossiers", bearer=token)).status_code == 200
    assert service.my_dossiers(_request("/ho-so", cookie=token)).status_code == 200
    forged = service.sign_out(_request("/dang-xuat", "POST", cookie=token, data={"csrf": "wrong"}))
    assert forged.status_code == 403  # a forged sign-out changes nothing
    assert service.my_dossiers(_request("/ho-so", cookie=token)).status_code == 200
    done = service.sign_out(
        _request("/dang-xuat", "POST", cookie=token, data={"csrf": web.sessions.csrf_token(token)})
    )
    assert done.status_code == 303 and "motcua_session=;" in done.headers["Set-Cookie"]
    again = service.my_dossiers(_request("/ho-so", cookie=token))
    assert again.status_code == 303 and again.headers["Location"].startswith("/dang-nhap")
    assert "motcua_session=;" in again.headers["Set-Cookie"]  # the browser is told to forget it
    api = service.my_dossiers_api(_request("/api/v1/me/dossiers", bearer=token))
    assert api.status_code == 401 and api.json["code"] == "session_signed_out"
    assert api.mimetype == "application/problem+json"
    rows = db.rows("web_sessions")
    assert [(r["end_reason"], r["subject"]) for r in rows] == [("signed_out", "037090000001")]
    assert token not in str(rows)  # only the token's hash is kept


def test_the_api_sign_out_and_an_admins_revocation(gateway):
    service, idp, db, _ = gateway
    token = idp.issue("037090000001", kind="citizen")
    assert service.api_sign_out(_request("/api/v1/sign-out", "POST", bearer=token)).status_code == 200
    assert service.my_dossiers_api(_request("/api/v1/me/dossiers", bearer=token)).status_code == 401

    officer = idp.issue("can-bo-1", kind="officer", unit=UNIT, roles=["receiver"])
    admin = idp.issue("admin-1", kind="officer", unit="000.00.01.H41", roles=["admin"])
    body = {"subject": "can-bo-1", "reason": "Chuyển công tác"}
    answer = service.workflow.check_province_admin.call_async.return_value.result
    answer.side_effect = Forbidden("role_not_allowed", "Chỉ quản trị viên của tỉnh được thu hồi phiên.")
    refused = service.revoke_sessions(
        _request("/api/v1/sessions/revocations", "POST", bearer=officer, json=body)
    )
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert service.auth.principal(_request("/", bearer=officer)).subject == "can-bo-1"  # nothing changed
    answer.side_effect, answer.return_value = None, {"unit": "000.00.01.H41"}
    done = service.revoke_sessions(_request("/api/v1/sessions/revocations", "POST", bearer=admin, json=body))
    assert done.status_code == 200 and done.json["subject"] == "can-bo-1" and done.json["ended_sessions"] == 1
    with pytest.raises(Unauthenticated) as refused_now:
        service.auth.principal(_request("/", bearer=officer))
    assert refused_now.value.code == "session_revoked"
    audit = db.rows("audit_log")
    assert [(a["actor"], a["action"], a["target"]) for a in audit] == [
        ("admin-1", "sessions_revoked", "can-bo-1")
    ]
    bad = service.revoke_sessions(
        _request("/api/v1/sessions/revocations", "POST", bearer=admin, json={"who": 1})
    )
    assert bad.status_code == 422 and len(db.rows("audit_log")) == 1


def test_the_hourly_timer_purges_sessions_whose_token_expired_a_day_ago(gateway):
    service, idp, db, _ = gateway
    fresh = idp.issue("037090000001", kind="citizen", ttl_seconds=3600)
    assert service.my_dossiers_api(_request("/api/v1/me/dossiers", bearer=fresh)).status_code == 200
    two_days_ago = datetime.now(timezone.utc) - timedelta(days=2)
    old = Principal(
        "037185000002",
        "citizen",
        "B",
        None,
        frozenset(),
        "http://gw/dev-idp",
        expires_at=two_days_ago.timestamp(),
    )
    with db.unit() as uow:  # a session whose token expired two days ago
        sessions.end(uow.session, "an-old-token", old, two_days_ago)
    assert len(db.rows("web_sessions")) == 2
    service.purge_sessions()
    assert [r["subject"] for r in db.rows("web_sessions")] == ["037090000001"]
