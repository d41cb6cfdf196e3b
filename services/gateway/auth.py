"""Who is calling: bearer tokens verified against the configured OpenID Connect issuers.

In local mode (`MOTCUA_ENV=local`) the development identity provider signs tokens with a key under
`var/dev-idp/`; it refuses to exist in any other mode.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import requests
from nameko.extensions import DependencyProvider

from services.chassis.config import REPO_ROOT
from services.gateway.identity import (
    CachedJwks,
    DevIdentityProvider,
    IssuerConfig,
    Principal,
    TokenError,
    TokenVerifier,
)
from services.gateway.problems import Unauthenticated


def _remote_issuers() -> list[IssuerConfig]:
    """Production issuers from `OIDC_ISSUERS`: a JSON list of {issuer, audience, kind, jwks_url | jwks_file}.
    VNeID for citizens, the province's provider for officers (tokens carry `unit` and `roles`)."""
    raw = os.environ.get("OIDC_ISSUERS", "")
    if not raw:
        return []
    issuers = []
    for item in json.loads(raw):
        if item.get("jwks_url"):
            url = item["jwks_url"]
            jwks = CachedJwks(lambda url=url: requests.get(url, timeout=5).json(), ttl_seconds=300)
        else:
            jwks = json.loads(Path(item["jwks_file"]).read_text())
        issuers.append(IssuerConfig(issuer=item["issuer"], audience=item["audience"], kinds=(item["kind"],),
                                    jwks=jwks))
    return issuers


class Authenticator(DependencyProvider):
    def setup(self):
        settings = self.container.config["MOTCUA"]
        self.dev_idp = None
        issuers = _remote_issuers()
        if settings.is_local:
            key_path = Path(os.environ.get("DEV_IDP_KEY", str(REPO_ROOT / "var" / "dev-idp" / "key.pem")))
            self.dev_idp = DevIdentityProvider(key_path, issuer=f"{settings.public_url}/dev-idp",
                                               audience="motcua", env=settings.env)
            issuers.append(self.dev_idp.issuer_config())
        self.verifier = TokenVerifier(issuers)

    def get_dependency(self, worker_ctx):
        return self

    def principal(self, request) -> Principal:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("missing_token", "Cần đăng nhập (thiếu mã truy cập Bearer).")
        try:
            return self.verifier.verify(token.strip())
        except TokenError as exc:
            raise Unauthenticated(f"token_{exc.code}", exc.message) from None


def viewer(principal: Principal) -> dict:
    """The principal as services receive it."""
    return {"subject": principal.subject, "kind": principal.kind, "unit": principal.unit,
            "roles": sorted(principal.roles)}


def actor(principal: Principal) -> dict:
    """The principal as workflow records an action's author: with the name an officer's forms are signed with,
    when the identity provider gives one (the subject otherwise)."""
    who = viewer(principal)
    if principal.kind == "officer" and principal.name:
        who["name"] = principal.name
    return who
