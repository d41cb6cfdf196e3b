"""The local development identity provider (local mode only; every route answers 404 in any other mode): pick
a demo citizen or an officer of any agency with roles, no password, through the same OpenID Connect code flow
with PKCE as VNeID and the province's SSO (`/dev-idp/authorize`, `/dev-idp/token`, `/dev-idp/jwks.json`); and
`POST /dev/token` for scripts. The officer roles offered are the process definitions' (workflow's
vocabulary)."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlencode

from services.chassis.errors import InvalidInput, NotFound, Unavailable
from services.chassis.rpc import call
from services.gateway import schemas
from services.gateway.identity import is_id_number
from services.gateway.problems import json_response
from services.gateway.routing import endpoint, read_json
from services.gateway.vocabulary import Words
from services.gateway.web.base import page
from services.gateway.web.session import pkce_challenge

CODE_TTL_SECONDS = 120


class DevIdentityRoutes:
    def _dev_only(self):
        if self.auth.dev_idp is None:
            raise NotFound("not_found", "Không tìm thấy.")

    @endpoint("POST", "/dev/token", public=True, tag="dev", body=schemas.TokenRequest)
    def dev_token(self, request):
        """Local mode only: a signed token for a demo citizen or officer. 404 outside local mode."""
        self._dev_only()
        body = schemas.validate_body(schemas.TokenRequest, read_json(request))
        _officer_roles_only(self.vocabulary.words(self.workflow), body.get("roles") or [])
        kind = body.get("kind", "citizen")
        token = self.auth.dev_idp.issue(
            body["sub"],
            kind=kind,
            name=str(body.get("name") or ""),
            unit=body.get("unit"),
            roles=tuple(body.get("roles") or ()),
            ttl_seconds=int(body.get("ttl_seconds") or 3600),
        )
        return json_response({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    @endpoint("GET", "/dev-idp/jwks.json", public=True, tag="dev")
    def dev_jwks(self, request):
        """Local mode only: the development identity provider's public keys."""
        self._dev_only()
        return json_response(self.auth.dev_idp.jwks())

    @page("GET", "/dev-idp/authorize", public=True)
    def dev_authorize_page(self, wr):
        """Local mode: choose who to be (a demo citizen, or an officer of an agency with roles)."""
        self._dev_only()
        try:
            agencies = call(self.workflow.list_agencies, timeout=5)
        except Exception:  # noqa: BLE001 - the page still lets a citizen in
            agencies = []
        try:
            people = call(self.registry.sign_in_samples, timeout=5)
        except Exception:  # noqa: BLE001 - officers can still sign in; a citizen types nothing here
            people = []
        words = self.vocabulary.words(self.workflow)
        officers = self._directory_samples(agencies)
        oauth = {
            k: wr.request.args.get(k, "")
            for k in ("client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method")
        }
        return wr.render(
            "dev_signin.html",
            title=wr.t("Đăng nhập (môi trường phát triển)", "Sign in (development)"),
            people=people,
            agencies=agencies,
            oauth=oauth,
            roles=[(code, words.role(code)) for code in words.officer_roles()],
            officers=officers,
        )

    def _directory_samples(self, agencies: list[dict]) -> list[tuple[dict, list[dict]]]:
        """The demo officers of the staff directory (`demo.*`, devtools/demo.py) by agency, one click each; none
        when the directory cannot be read (the form below still signs anyone in)."""
        found = []
        try:
            for agency in agencies:
                officers = call(self.workflow.staff_list, agency["code"], timeout=5)
                demo = [o for o in officers if str(o["subject"]).startswith("demo.")]
                if demo:
                    found.append((agency, demo))
        except Exception:  # noqa: BLE001 - a sign-in page for development: the form is enough
            return []
        return found

    @page("POST", "/dev-idp/authorize", public=True)
    def dev_authorize(self, wr):
        """Local mode: issue a one-time code for the chosen identity and go back to the client."""
        self._dev_only()
        form = wr.request.form
        if (
            form.get("redirect_uri") != self.web.login["redirect_uri"]
            or form.get("code_challenge_method") != "S256"
        ):
            raise InvalidInput("invalid_request", "redirect_uri hoặc code_challenge_method không hợp lệ.")
        claims = _chosen_identity(wr, form, self.vocabulary.words(self.workflow).officer_roles())
        now = time.time()
        for stale in [c for c, v in self.web.dev_codes.items() if v["exp"] < now]:
            self.web.dev_codes.pop(stale, None)
        code = secrets.token_urlsafe(24)
        self.web.dev_codes[code] = {
            "claims": claims,
            "challenge": form.get("code_challenge", ""),
            "redirect_uri": form["redirect_uri"],
            "client_id": form.get("client_id", ""),
            "exp": now + CODE_TTL_SECONDS,
        }
        return wr.redirect(
            f"{form['redirect_uri']}?{urlencode({'code': code, 'state': form.get('state', '')})}"
        )

    @page("POST", "/dev-idp/token", public=True)
    def dev_token_exchange(self, wr):
        """Local mode: the token endpoint. One use per code, PKCE verifier and redirect URI must match."""
        self._dev_only()
        form = wr.request.form
        grant = self.web.dev_codes.pop(form.get("code", ""), None)
        if (
            grant is None
            or grant["exp"] < time.time()
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != grant["redirect_uri"]
            or form.get("client_id") != grant["client_id"]
            or pkce_challenge(form.get("code_verifier", "")) != grant["challenge"]
        ):
            return json_response({"error": "invalid_grant"}, 400)
        claims = grant["claims"]
        token = self.auth.dev_idp.issue(
            claims["sub"],
            kind=claims["kind"],
            name=claims["name"],
            unit=claims["unit"],
            roles=claims["roles"],
            ttl_seconds=8 * 3600,
        )
        return json_response(
            {"id_token": token, "access_token": token, "token_type": "Bearer", "expires_in": 8 * 3600}
        )


def _chosen_identity(wr, form, officer_roles: list[str]) -> dict:
    """The claims of the identity picked on the page: a citizen by ID number, or an officer of a unit with at
    least one of the officer roles the process definitions know."""
    kind = form.get("kind", "citizen")
    if kind == "citizen":
        subject = form.get("sub", "").strip()
        if not is_id_number(subject):
            raise InvalidInput(
                "invalid_id_number",
                wr.t("Số định danh phải gồm 12 chữ số.", "The ID number must have 12 digits."),
            )
        return {
            "sub": subject,
            "kind": "citizen",
            "name": form.get("name", "").strip()[:100],
            "unit": None,
            "roles": (),
        }
    if kind != "officer":
        raise InvalidInput("invalid_request", "kind")
    roles = tuple(r for r in form.getlist("roles") if r in officer_roles)
    unit = form.get("unit", "").strip()
    if not unit or not roles:
        raise InvalidInput(
            "invalid_request",
            wr.t("Chọn cơ quan và ít nhất một vai trò.", "Choose an agency and at least one role."),
        )
    subject = form.get("sub", "").strip()[:60] or f"{'-'.join(roles)}@{unit}"
    return {
        "sub": subject,
        "kind": "officer",
        "name": form.get("name", "").strip()[:100],
        "unit": unit,
        "roles": roles,
    }


def _officer_roles_only(words: Words, roles: list[str]) -> None:
    """A token's roles must be officer roles of the process definitions (422 as the schema would say it)."""
    if not roles:
        return
    if not words.known:
        raise Unavailable("vocabulary_unavailable", "Chưa đọc được danh mục vai trò, vui lòng thử lại sau.")
    known = words.officer_roles()
    wrong = {i: [f"Must be one of: {', '.join(known)}."] for i, role in enumerate(roles) if role not in known}
    if wrong:
        raise schemas.ValidationProblem(
            "invalid_request", "Dữ liệu gửi lên không hợp lệ.", {"fields": {"roles": wrong}}
        )
