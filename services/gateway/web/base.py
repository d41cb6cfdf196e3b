"""What every web page shares: the `@page` decorator (session from the cookie, CSRF on every POST, HTML error
pages instead of problem+json, sign-in redirect, security headers with a strict CSP, metrics), rendering with
Vietnamese first and English on request (templates and filters: web/render.py), and the `WebSupport`
dependency (session secret, sign-in settings, rate limits)."""

from __future__ import annotations

import functools
import json
import os
import time
from urllib.parse import quote, urlsplit

from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from services.chassis.errors import Forbidden, ServiceError
from services.gateway import ratelimit
from services.gateway.identity import Principal, TokenError
from services.gateway.problems import SECURITY_HEADERS
from services.gateway.routing import HTTP_SECONDS
from services.gateway.sessions import SessionEnded
from services.gateway.web.render import ENV
from services.gateway.web.session import LANG_COOKIE, LANGS, SESSION_COOKIE, Sessions, load_secret
from services.gateway.webserver import http

ENGLISH_ERRORS = {
    400: "Bad request",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "File too large",
    415: "File type not accepted",
    422: "Please check the form",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class WebSupport(DependencyProvider):
    """Per-process web settings. `OIDC_LOGIN` (JSON: authorize_url, token_url, client_id; secret in
    `OIDC_CLIENT_SECRET`) names the citizens' and officers' sign-in provider (VNeID, the province's SSO); in local
    mode it defaults to the development identity provider served by this gateway."""

    def setup(self):
        settings = self.container.config["MOTCUA"]
        self.settings = settings
        self.sessions = Sessions(
            load_secret(settings.is_local), secure=settings.public_url.startswith("https://")
        )
        login = json.loads(os.environ.get("OIDC_LOGIN", "") or "{}")
        internal = f"http://127.0.0.1:{settings.http_port}"
        self.login = {
            "authorize_url": login.get("authorize_url") or "/dev-idp/authorize",
            "token_url": login.get("token_url") or f"{internal}/dev-idp/token",
            "client_id": login.get("client_id") or "motcua-web",
            "client_secret": os.environ.get("OIDC_CLIENT_SECRET", ""),
            "redirect_uri": f"{settings.public_url.rstrip('/')}/dang-nhap/xong",
        }
        if not settings.is_local and not login:
            self.login = None  # no provider configured: the sign-in page says so instead of guessing
        self.signin_limit = ratelimit.from_env("RATE_LIMIT_SIGNIN", (20, 60))
        self.submit_limit = ratelimit.from_env("RATE_LIMIT_SUBMIT", (10, 60))
        self.lookup_limit = ratelimit.from_env("RATE_LIMIT_LOOKUP", (60, 60))
        pay = os.environ.get("VNPAY_PAY_URL") or os.environ.get("VNPAY_SANDBOX_URL", "http://127.0.0.1:8090")
        form_targets = " ".join(o for o in {_origin(pay)} if o)
        self.csp = (
            "default-src 'none'; style-src 'self'; img-src 'self' data:; "
            f"form-action 'self' {form_targets}; frame-ancestors 'none'; base-uri 'none'"
        )
        self.dev_codes: dict[str, dict] = {}  # local identity provider's authorization codes (one process)

    def get_dependency(self, worker_ctx):
        return self


class WebRequest:
    """What a page handler gets: the request, who is signed in (or None), the language, the CSRF token."""

    def __init__(self, request, web: WebSupport, principal: Principal | None, session_value: str):
        self.request = request
        self.web = web
        self.principal = principal
        self.session_value = session_value
        chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE) or ""
        self.lang = chosen if chosen in LANGS else "vi"
        self.csrf = web.sessions.csrf_token(session_value) if session_value else ""

    def t(self, vi: str, en: str) -> str:
        return en if self.lang == "en" else vi

    def name(self, value) -> str:
        """A {vi, en} text in the page's language (Vietnamese when there is no English)."""
        if isinstance(value, dict):
            return value.get(self.lang) or value.get("vi") or ""
        return str(value or "")

    def render(self, template: str, http_status: int = 200, **context) -> Response:
        text = ENV.get_template(template).render(
            t=self.t,
            name=self.name,
            lang=self.lang,
            me=self.principal,
            csrf=self.csrf,
            path=self.request.path,
            full_path=self.request.full_path.rstrip("?"),
            **context,
        )
        response = Response(text, status=http_status, mimetype="text/html")
        return self.secure(response)

    def secure(self, response: Response) -> Response:
        for key, value in SECURITY_HEADERS.items():
            response.headers[key] = value
        response.headers["Content-Security-Policy"] = self.web.csp
        return response

    def redirect(self, location: str, status: int = 303) -> Response:
        response = Response("", status=status, headers={"Location": location})
        return self.secure(response)


WEB_ROUTES: list[dict] = []  # every page route, for the page authorization test


class SignInRequired(Exception):
    pass


class CsrfFailed(Exception):
    pass


def page(method: str, route: str, *, public: bool = False, kinds: tuple = ("citizen", "officer")):
    """A web page route. Non-public pages need a signed-in principal of one of `kinds` (else: sign-in redirect
    for GET, 401 page for POST; 403 page for another kind). Every POST must carry the session's CSRF token."""

    def decorate(fn):
        WEB_ROUTES.append(
            {"method": method, "path": route, "public": public, "kinds": kinds, "name": fn.__name__}
        )

        @functools.wraps(fn)
        def handler(self, request, *args, **kwargs):
            started = time.perf_counter()
            principal, session_value, stale, refusal = _session(self.auth, request)
            wr = WebRequest(request, self.web, principal, session_value)
            try:
                if refusal is not None and not public:
                    raise refusal
                if not public:
                    _admit(wr, kinds)
                response = fn(self, wr, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - every failure is an error page, never a stack trace
                response = _failure_page(self, wr, exc, route)
            if stale:  # a signed-out, expired or revoked session: the browser forgets its cookie too
                response.delete_cookie(SESSION_COOKIE, path="/")
            HTTP_SECONDS.labels(request.method, route, str(response.status_code)).observe(
                time.perf_counter() - started
            )
            return response

        return http(method, route)(handler)

    return decorate


def _session(auth, request) -> tuple[Principal | None, str, bool, ServiceError | None]:
    """Who the session cookie says is signed in: (principal, cookie value, stale, refusal). A cookie whose token
    is invalid, or whose session ended, is no session, and `stale` (the answer deletes it). An officer the staff
    directory refuses (403) or cannot answer for (503) is no one on public pages; other pages show the refusal."""
    session_value = request.cookies.get(SESSION_COOKIE, "")
    if not session_value:
        return None, "", False, None
    try:
        return auth.authenticate(session_value), session_value, False, None
    except (TokenError, SessionEnded):
        return None, "", True, None
    except ServiceError as refusal:
        return None, "", False, refusal


def _admit(wr: WebRequest, kinds: tuple) -> None:
    """A non-public page: signed in, with an account of one of `kinds`, and a POST with the session's CSRF
    token."""
    if wr.principal is None:
        raise SignInRequired()
    if wr.principal.kind not in kinds:
        raise Forbidden(
            "wrong_account",
            wr.t("Trang này dành cho tài khoản khác loại.", "This page is for another kind of account."),
        )
    if wr.request.method == "POST":
        if not wr.web.sessions.csrf_ok(wr.session_value, wr.request.form.get("csrf", "")):
            raise CsrfFailed()


def _failure_page(service, wr: WebRequest, exc: Exception, route: str) -> Response:
    """What a page answers when it fails: the sign-in redirect (GET) or a 401 page (POST), a 403 page for a
    forged or expired form, the error page of a refusal, and a 500 page (logged) for anything unexpected."""
    if isinstance(exc, SignInRequired):
        if wr.request.method == "GET":
            return wr.redirect(f"/dang-nhap?next={quote(wr.request.full_path.rstrip('?'), safe='')}")
        return error_page(
            wr,
            401,
            wr.t(
                "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.",
                "Your session has expired; please sign in again.",
            ),
        )
    if isinstance(exc, CsrfFailed):
        return error_page(
            wr,
            403,
            wr.t(
                "Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.",
                "The form expired or is invalid; reload the page and try again.",
            ),
        )
    if isinstance(exc, ServiceError):
        return error_page(wr, exc.http_status, exc.message, exc.details)
    service.log.exception("web_page_failed", route=route)
    return error_page(
        wr,
        500,
        wr.t("Đã có lỗi xảy ra, vui lòng thử lại sau.", "Something went wrong; please try again later."),
    )


def error_page(
    wr: WebRequest, status: int, message: str, details: dict | None = None, retry_action: str | None = None
) -> Response:
    """An error page; `retry_action` adds a button that posts the same form again (same Idempotency-Key)."""
    titles = {
        400: "Yêu cầu không hợp lệ",
        401: "Cần đăng nhập",
        403: "Không có quyền",
        404: "Không tìm thấy",
        409: "Xung đột dữ liệu",
        413: "Tệp quá lớn",
        415: "Loại tệp không được nhận",
        422: "Vui lòng kiểm tra lại",
        429: "Quá nhiều yêu cầu",
        500: "Lỗi hệ thống",
        503: "Dịch vụ tạm thời không sẵn sàng",
    }
    title = wr.t(titles.get(status, "Lỗi"), ENGLISH_ERRORS.get(status, "Error"))
    response = wr.render(
        "error.html",
        http_status=status,
        title=title,
        message=message,
        fields=(details or {}).get("fields") if isinstance(details, dict) else None,
        retry_action=retry_action,
    )
    if status == 429 and details:
        response.headers["Retry-After"] = str(details.get("retry_after_seconds", 60))
    return response
