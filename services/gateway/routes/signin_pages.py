"""Sign-in for the web: OpenID Connect authorization code flow with PKCE against the configured provider
(VNeID for citizens, the province's SSO for officers), the token kept in an HttpOnly cookie. In local mode the
provider is the development identity provider served by this gateway (routes/dev_idp.py). And signing out, and
the choice of language."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone
from urllib.parse import urlencode

import jwt
import requests

from services.chassis.errors import InvalidInput, Unavailable
from services.gateway import ratelimit
from services.gateway.identity import TokenError
from services.gateway.sessions import end as end_session
from services.gateway.web.base import page
from services.gateway.web.session import (
    LANG_COOKIE,
    LANGS,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    pkce_pair,
    safe_next,
)


class SignInPages:
    @page("GET", "/dang-nhap", public=True)
    def sign_in(self, wr):
        """Start signing in: remember state and the PKCE verifier, send the browser to the provider."""
        wait = self.web.signin_limit.check("ip:" + ratelimit.client_address(wr.request))
        if wait:
            raise ratelimit.TooManyRequests(
                "too_many_sign_ins",
                wr.t(
                    "Bạn đăng nhập quá nhiều lần, vui lòng thử lại sau ít phút.",
                    "Too many sign-in attempts; please try again in a few minutes.",
                ),
                wait,
            )
        login = self.web.login
        if login is None:
            raise Unavailable(
                "sign_in_not_configured",
                wr.t("Chưa cấu hình nhà cung cấp định danh.", "No identity provider is configured."),
            )
        state = secrets.token_urlsafe(24)
        verifier, challenge = pkce_pair()
        sealed = self.web.sessions.seal(
            {"state": state, "verifier": verifier, "next": safe_next(wr.request.args.get("next"))}
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": login["client_id"],
                "redirect_uri": login["redirect_uri"],
                "scope": "openid profile",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "ui_locales": wr.lang,
            }
        )
        response = wr.redirect(f"{login['authorize_url']}?{query}", 302)
        response.set_cookie(LOGIN_COOKIE, sealed, **self.web.sessions.cookie_args(600))
        return response

    @page("GET", "/dang-nhap/xong", public=True)
    def sign_in_done(self, wr):
        """The provider sends the browser back here with a code: exchange it, verify the token, set the session."""
        pending = _pending_sign_in(self.web.sessions, wr)
        token = _exchange_code(self.web.login, wr.request.args["code"], pending["verifier"], wr)
        try:
            principal = self.auth.verifier.verify(token or "")
        except TokenError:
            raise InvalidInput(
                "sign_in_refused",
                wr.t(
                    "Nhà cung cấp định danh từ chối đăng nhập.", "The identity provider refused the sign-in."
                ),
            ) from None
        default = "/can-bo" if principal.kind == "officer" else "/ho-so"
        target = pending["next"] if pending["next"] not in ("/", "/dang-nhap") else default
        response = wr.redirect(target)
        ttl = max(int(_expiry(token) - time.time()), 60)
        response.set_cookie(SESSION_COOKIE, token, **self.web.sessions.cookie_args(ttl))
        response.delete_cookie(LOGIN_COOKIE, path="/")
        self.log.info("web_signed_in", kind=principal.kind)
        return response

    @page("POST", "/dang-xuat", kinds=("citizen", "officer", "agency"))
    def sign_out(self, wr):
        """Sign out: the session ends on every gateway replica (its token is refused from now on, as a cookie and
        as a Bearer token), and the browser forgets the cookie."""
        with self.db.unit() as uow:
            end_session(uow.session, wr.session_value, wr.principal, datetime.now(timezone.utc))
        self.log.info("web_signed_out", kind=wr.principal.kind)
        response = wr.redirect("/")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @page("GET", "/ngon-ngu", public=True)
    def language(self, wr):
        """Switch the interface language (vi, en) and go back."""
        lang = wr.request.args.get("lang", "vi")
        response = wr.redirect(safe_next(wr.request.args.get("next")))
        if lang in LANGS:
            response.set_cookie(
                LANG_COOKIE,
                lang,
                max_age=365 * 86400,
                samesite="Lax",
                path="/",
                secure=self.web.sessions.secure,
            )
        return response


def _pending_sign_in(sessions, wr) -> dict:
    """The sign-in this browser started (state, PKCE verifier, where to go next), refused unless the provider
    came back with the same state and a code."""
    args = wr.request.args
    pending = sessions.unseal(wr.request.cookies.get(LOGIN_COOKIE, ""))
    if (
        pending is None
        or not args.get("state")
        or not secrets.compare_digest(pending["state"], args["state"])
    ):
        raise InvalidInput(
            "sign_in_state",
            wr.t(
                "Phiên đăng nhập không hợp lệ hoặc đã quá 10 phút. Vui lòng đăng nhập lại.",
                "The sign-in expired or is invalid; please sign in again.",
            ),
        )
    if args.get("error") or not args.get("code"):
        raise InvalidInput(
            "sign_in_cancelled", wr.t("Đăng nhập không thành công.", "Sign-in did not complete.")
        )
    return pending


def _exchange_code(login: dict, code: str, verifier: str, wr) -> str | None:
    """The provider's token for the authorization code (the ID token, else the access token); None if refused."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": login["redirect_uri"],
        "client_id": login["client_id"],
        "code_verifier": verifier,
    }
    if login["client_secret"]:
        form["client_secret"] = login["client_secret"]
    try:
        answer = requests.post(login["token_url"], data=form, timeout=10)
    except requests.RequestException:
        raise Unavailable(
            "identity_provider_unavailable",
            wr.t(
                "Không kết nối được tới nhà cung cấp định danh.", "The identity provider cannot be reached."
            ),
        ) from None
    return (answer.json().get("id_token") or answer.json().get("access_token")) if answer.ok else None


def _expiry(token: str) -> float:
    try:
        return float(jwt.decode(token, options={"verify_signature": False}).get("exp", 0))
    except jwt.PyJWTError:
        return 0.0
