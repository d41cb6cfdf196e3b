"""Web sessions, CSRF, sign-in state, redirects and rate limits; and the page decorator on a real GatewayService
worker (nameko's worker_factory), with the workflow RPC answered in-process."""

from __future__ import annotations

from unittest.mock import Mock

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.chassis.errors import NotFound
from services.gateway import ratelimit, sessions, storage
from services.gateway.auth import SessionGate
from services.gateway.identity import DevIdentityProvider, TokenVerifier
from services.gateway.problems import from_error
from services.gateway.service import GatewayService
from services.gateway.web.base import WebSupport
from services.gateway.web.session import Sessions, pkce_challenge, pkce_pair, safe_next
from tests.support import FakeDatabase


@pytest.mark.parametrize(
    "value, expected",
    [
        ("/ho-so", "/ho-so"),
        ("/ho-so?x=1", "/ho-so?x=1"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("", "/"),
        (None, "/"),
        ("/a\r\nSet-Cookie: x=1", "/"),
        ("ho-so", "/"),
    ],
)
def test_only_paths_on_this_site_are_followed_after_sign_in(value, expected):
    assert safe_next(value) == expected


def test_csrf_tokens_belong_to_one_session_and_one_secret():
    sessions = Sessions(b"secret-one", secure=False)
    token = sessions.csrf_token("session-a")
    assert sessions.csrf_ok("session-a", token)
    assert not sessions.csrf_ok("session-b", token)
    assert not sessions.csrf_ok("session-a", "")
    assert not sessions.csrf_ok("", token)
    assert not Sessions(b"secret-two", secure=False).csrf_ok("session-a", token)


def test_sign_in_state_is_signed_and_expires(monkeypatch):
    sessions = Sessions(b"secret", secure=True)
    sealed = sessions.seal({"state": "s1", "verifier": "v1", "next": "/ho-so"})
    assert sessions.unseal(sealed)["state"] == "s1"
    body, mac = sealed.split(".")
    assert sessions.unseal(body[:-2] + "AA." + mac) is None  # changed payload
    assert sessions.unseal(sealed + "x") is None
    assert sessions.unseal("") is None and sessions.unseal("garbage") is None
    import services.gateway.web.session as module

    later = module.time.time() + module.LOGIN_TTL_SECONDS + 5
    monkeypatch.setattr(module.time, "time", lambda: later)
    assert sessions.unseal(sealed) is None
    assert sessions.cookie_args(60) == {
        "max_age": 60,
        "httponly": True,
        "secure": True,
        "samesite": "Lax",
        "path": "/",
    }


def test_pkce_challenge_is_the_s256_of_the_verifier():
    verifier, challenge = pkce_pair()
    assert pkce_challenge(verifier) == challenge and len(verifier) >= 43
    assert pkce_challenge(verifier + "x") != challenge


def test_sliding_window_allows_the_limit_then_says_how_long_to_wait():
    now = [1000.0]
    window = ratelimit.SlidingWindow(3, 60, clock=lambda: now[0])
    assert [window.check("a") for _ in range(3)] == [0, 0, 0]
    wait = window.check("a")
    assert 1 <= wait <= 61
    assert window.check("b") == 0  # another client is not affected
    now[0] += 61
    assert window.check("a") == 0


def test_rate_limit_settings_and_the_429_problem():
    assert ratelimit.parse("5/30", (1, 1)) == (5, 30.0)
    assert ratelimit.parse("nonsense", (7, 60)) == (7, 60)
    response = from_error(ratelimit.TooManyRequests("too_many_sign_ins", "Chậm lại", 42))
    assert response.status_code == 429 and response.headers["Retry-After"] == "42"
    assert response.mimetype == "application/problem+json"


# -- the page decorator on a GatewayService worker -------------------------------------------------------------
@pytest.fixture()
def gateway(tmp_path):
    idp = DevIdentityProvider(
        tmp_path / "key.pem", issuer="http://gw/dev-idp", audience="motcua", env="local"
    )
    web = WebSupport.__new__(WebSupport)
    web.sessions = Sessions(b"unit-secret", secure=False)
    web.csp = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'"
    web.signin_limit = ratelimit.SlidingWindow(2, 60)
    web.submit_limit = ratelimit.SlidingWindow(1, 60)
    web.lookup_limit = ratelimit.SlidingWindow(2, 60)
    web.login = {
        "authorize_url": "/dev-idp/authorize",
        "token_url": "http://gw/dev-idp/token",
        "client_id": "motcua-web",
        "client_secret": "",
        "redirect_uri": "http://gw/dang-nhap/xong",
    }
    db = FakeDatabase(storage.metadata, "gateway")
    auth = SessionGate(TokenVerifier([idp.issuer_config()]), sessions.Policy.from_env(), db.autocommit, idp)
    workflow = Mock()
    procedures = [
        {
            "code": "1.000656",
            "version": 1,
            "name": {"vi": "Cấp Phiếu lý lịch tư pháp", "en": "Criminal record"},
            "field": {"vi": "Lý lịch tư pháp", "en": "Judicial records"},
            "competent_levels": ["province"],
            "online_mode": "full",
            "processing_days": 10,
            "fee_vnd": 200000,
            "documents": [],
            "result": None,
        }
    ]
    workflow.list_procedures.call_async.return_value.result.return_value = procedures
    workflow.search_procedures.call_async.return_value.result.return_value = {
        "items": procedures,
        "total": 1,
        "fields": [procedures[0]["field"]],
        "levels": ["province", "commune"],
        "online_modes": ["full", "partial"],
    }
    workflow.public_status.call_async.return_value.result.return_value = {
        "dossier_code": "X",
        "status": "received",
    }
    service = worker_factory(GatewayService, auth=auth, web=web, workflow=workflow, db=db)
    return service, idp


def _request(path: str, method: str = "GET", cookie: str = "", data: dict | None = None) -> Request:
    headers = {"Cookie": f"motcua_session={cookie}"} if cookie else {}
    return Request(EnvironBuilder(path=path, method=method, headers=headers, data=data).get_environ())


def test_the_catalogue_is_public_vietnamese_first_and_locked_down(gateway):
    service, _ = gateway
    response = service.home(_request("/?q=phi%E1%BA%BFu"))
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="vi">' in text and "200.000 đ" in text
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    english = service.home(_request("/?lang=en")).get_data(as_text=True)
    assert '<html lang="en">' in english and "Criminal record" in english


def test_signed_out_pages_redirect_to_sign_in_and_posts_are_refused(gateway):
    service, _ = gateway
    response = service.my_dossiers(_request("/ho-so"))
    assert response.status_code == 303 and response.headers["Location"] == "/dang-nhap?next=%2Fho-so"
    refused = service.pay(_request("/ho-so/X/thanh-toan", "POST"), "X")
    assert refused.status_code == 401


def test_a_post_without_the_csrf_token_or_from_the_wrong_account_is_refused(gateway):
    service, idp = gateway
    citizen = idp.issue("037090000001", kind="citizen")
    forged = service.pay(_request("/ho-so/X/thanh-toan", "POST", citizen, {"csrf": "wrong"}), "X")
    assert forged.status_code == 403 and "Biểu mẫu" in forged.get_data(as_text=True)
    officer = idp.issue("officer-1", kind="officer", unit="000.00.07.H41", roles=["leader"])
    wrong_kind = service.my_dossiers(_request("/ho-so", cookie=officer))
    assert wrong_kind.status_code == 403
    tampered = service.my_dossiers(_request("/ho-so", cookie=citizen[:-3] + "abc"))
    assert tampered.status_code == 303  # an invalid session is no session


def test_an_unexpected_failure_is_a_logged_500_page_and_every_answer_is_measured(gateway):
    from services.gateway.routing import HTTP_SECONDS

    service, _ = gateway
    seen = {status: _count(HTTP_SECONDS, "/", status) for status in ("200", "500")}
    assert service.home(_request("/")).status_code == 200
    service.workflow.search_procedures.call_async.return_value.result.side_effect = RuntimeError("bug")
    failed = service.home(_request("/?lang=en"))
    text = failed.get_data(as_text=True)
    assert failed.status_code == 500 and "Something went wrong; please try again later." in text
    assert (
        "RuntimeError" not in text and "frame-ancestors 'none'" in failed.headers["Content-Security-Policy"]
    )
    service.log.exception.assert_called_once_with("web_page_failed", route="/")
    assert {status: _count(HTTP_SECONDS, "/", status) - seen[status] for status in seen} == {
        "200": 1,
        "500": 1,
    }
    # A refusal from a service is its own error page (its status, its message), not a 500.
    service.workflow.search_procedures.call_async.return_value.result.side_effect = NotFound("x", "Không có.")
    refused = service.home(_request("/"))
    assert refused.status_code == 404 and "Không có." in refused.get_data(as_text=True)


def _count(histogram, route: str, status: str) -> float:
    return next(
        (
            s.value
            for m in histogram.collect()
            for s in m.samples
            if s.name.endswith("_count") and s.labels == {"method": "GET", "route": route, "status": status}
        ),
        0.0,
    )


def test_a_stale_session_cookie_is_forgotten_even_on_a_public_page(gateway):
    service, idp = gateway
    citizen = idp.issue("037090000001", kind="citizen")
    fine = service.home(_request("/", cookie=citizen))
    assert fine.status_code == 200 and "Set-Cookie" not in fine.headers
    assert 'action="/dang-xuat"' in fine.get_data(as_text=True)  # signed in
    stale = service.home(_request("/", cookie=citizen[:-3] + "abc"))
    assert stale.status_code == 200 and "motcua_session=;" in stale.headers["Set-Cookie"]
    assert 'action="/dang-xuat"' not in stale.get_data(as_text=True)  # shown signed out


def test_sign_in_is_rate_limited_per_client(gateway):
    service, _ = gateway
    first = service.sign_in(_request("/dang-nhap?next=/ho-so"))
    assert first.status_code == 302 and first.headers["Location"].startswith("/dev-idp/authorize?")
    assert "code_challenge_method=S256" in first.headers["Location"]
    assert "motcua_login=" in first.headers["Set-Cookie"] and "HttpOnly" in first.headers["Set-Cookie"]
    service.sign_in(_request("/dang-nhap"))
    third = service.sign_in(_request("/dang-nhap"))
    assert third.status_code == 429 and int(third.headers["Retry-After"]) >= 1


def test_status_by_code_is_rate_limited_per_client_address(gateway):
    service, _ = gateway
    answers = [service.public_status(_request("/api/v1/status/X"), "X").status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    other = Request(
        EnvironBuilder(path="/api/v1/status/X", environ_base={"REMOTE_ADDR": "10.0.0.9"}).get_environ()
    )
    assert service.public_status(other, "X").status_code == 200  # another client is not affected


def test_forwarded_addresses_are_believed_only_from_trusted_proxies():
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    def request(peer, forwarded=None):
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        return Request(EnvironBuilder(headers=headers, environ_base={"REMOTE_ADDR": peer}).get_environ())

    # Default: nothing trusted, a client that writes the header gets its own socket address.
    assert ratelimit.trusted_proxies("") == ()
    assert ratelimit.client_address(request("203.0.113.7", "1.2.3.4"), ()) == "203.0.113.7"
    ingress = ratelimit.trusted_proxies("10.0.0.0/8, 192.168.1.5")
    # Through the ingress: the hop the ingress appended is the client, whatever the client wrote before it.
    assert ratelimit.client_address(request("10.1.2.3", "1.2.3.4, 203.0.113.7"), ingress) == "203.0.113.7"
    assert ratelimit.client_address(request("10.1.2.3", "203.0.113.7, 192.168.1.5"), ingress) == "203.0.113.7"
    # A peer that is not a trusted proxy: its header is ignored.
    assert ratelimit.client_address(request("198.51.100.9", "203.0.113.7"), ingress) == "198.51.100.9"
    assert ratelimit.client_address(request("10.1.2.3", "not-an-ip"), ingress) == "10.1.2.3"
    with pytest.raises(ValueError):
        ratelimit.trusted_proxies("10.0.0.0/33")


def test_a_503_says_the_request_may_have_acted_and_to_retry_with_the_same_key():
    import json

    from services.chassis.errors import Unavailable

    response = from_error(
        Unavailable(
            "service_timeout", "Dịch vụ phản hồi quá lâu, vui lòng thử lại sau.", {"timeout_seconds": 15}
        )
    )
    body = json.loads(response.get_data())
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert body["code"] == "service_timeout" and body["errors"] == {"timeout_seconds": 15}
    assert body["retry"]["same_idempotency_key"] is True and body["retry"]["may_have_been_processed"] is True
    assert "CÙNG Idempotency-Key" in body["retry"]["vi"] and "SAME Idempotency-Key" in body["retry"]["en"]
    refused = json.loads(from_error(Unavailable("x", "y")).get_data())
    assert "retry" in refused  # every 503, with or without details
    assert "retry" not in json.loads(
        from_error(ratelimit.TooManyRequests("too_many_sign_ins", "Chậm lại", 42)).get_data()
    )


def test_the_openapi_document_tells_a_503_client_to_retry_with_the_same_key():
    from services.gateway import openapi, service  # noqa: F401 - the routes register on import

    document = openapi.build()
    create = document["paths"]["/api/v1/dossiers"]["post"]
    assert "SAME Idempotency-Key" in create["responses"]["503"]["description"]
    key = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert "SAME key" in key["description"] and "MAY have been carried out" in key["description"]
