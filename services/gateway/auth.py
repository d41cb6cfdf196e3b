"""Who is calling: bearer tokens (or the web session cookie, which holds the same token) verified against the
configured OpenID Connect issuers, then held to their session (services/gateway/sessions.py): a signed-out,
idle, expired or revoked session is refused with 401 on every gateway replica. An officer's agency, roles and
name then come from the staff directory (services/gateway/staff.py): 403 when it refuses them, 503 when it
cannot answer for an officer it has not answered for lately.

In local mode (`MOTCUA_ENV=local`) the development identity provider signs tokens with a key under
`var/dev-idp/`; it refuses to exist in any other mode.
"""

from __future__ import annotations

import copy
import json
import os
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import requests
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy

from services.chassis.config import REPO_ROOT
from services.chassis.database import Database
from services.chassis.rpc import call
from services.gateway import sessions
from services.gateway.identity import (
    CachedJwks,
    DevIdentityProvider,
    IssuerConfig,
    Principal,
    TokenError,
    TokenVerifier,
)
from services.gateway.problems import Unauthenticated
from services.gateway.staff import Ask, OfficerDirectory, ttl_from_env


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
        issuers.append(
            IssuerConfig(issuer=item["issuer"], audience=item["audience"], kinds=(item["kind"],), jwks=jwks)
        )
    return issuers


class SessionGate:
    """Says who is calling, and whether their session still lasts. `connect()` gives a connection to the
    gateway's database whose statements commit on their own (chassis `Database.autocommit`)."""

    def __init__(
        self,
        verifier: TokenVerifier,
        policy: sessions.Policy,
        connect: Callable[[], AbstractContextManager],
        dev_idp: DevIdentityProvider | None = None,
        officers: OfficerDirectory | None = None,
    ):
        self.verifier = verifier
        self.policy = policy
        self.connect = connect
        self.dev_idp = dev_idp
        self.officers = officers  # None: officers are taken as their tokens say (unit tests of other things)
        self.ask_workflow: Ask | None = None  # per worker: its RPC to workflow's resolve_officer (`bound`)

    def bound(self, ask: Ask) -> SessionGate:
        """This gate for one worker, asking the directory through that worker's RPC proxy."""
        gate = copy.copy(self)
        gate.ask_workflow = ask
        return gate

    def authenticate(self, token: str) -> Principal:
        """The principal behind `token`; raises TokenError (a bad token), SessionEnded (a session that ended),
        Forbidden (an officer the staff directory refuses) or Unavailable (the directory cannot be asked)."""
        principal = self.verifier.verify(token)
        with self.connect() as conn:
            sessions.check(conn, token, principal, self.policy, datetime.now(timezone.utc))
        if principal.kind == "officer" and self.officers is not None:
            principal = self.officers.effective(principal, self.ask_workflow)
        return principal

    def forget_officer(self, subject: str) -> None:
        """The directory changed for this officer: their next request asks it again."""
        if self.officers is not None:
            self.officers.forget(subject)

    def principal(self, request) -> Principal:
        """The caller of an API request (`Authorization: Bearer <token>`), or 401 problem."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("missing_token", "Cần đăng nhập (thiếu mã truy cập Bearer).")
        try:
            return self.authenticate(token.strip())
        except TokenError as exc:
            raise Unauthenticated(f"token_{exc.code}", exc.message) from None
        except sessions.SessionEnded as exc:
            raise Unauthenticated(f"session_{exc.reason}", exc.message) from None

    def bearer(self, request) -> str:
        return request.headers.get("Authorization", "").partition(" ")[2].strip()


class Authenticator(DependencyProvider):
    """The service's SessionGate: issuers from the environment, sessions in the service's `Database`."""

    def setup(self):
        settings = self.container.config["MOTCUA"]
        issuers = _remote_issuers()
        dev_idp = None
        if settings.is_local:
            key_path = Path(os.environ.get("DEV_IDP_KEY", str(REPO_ROOT / "var" / "dev-idp" / "key.pem")))
            dev_idp = DevIdentityProvider(
                key_path, issuer=f"{settings.public_url}/dev-idp", audience="motcua", env=settings.env
            )
            issuers.append(dev_idp.issuer_config())
        database = next(d for d in self.container.dependencies if isinstance(d, Database))
        self.workflow = next(
            d
            for d in self.container.dependencies
            if isinstance(d, RpcProxy) and d.target_service == "workflow"
        )
        verifier = TokenVerifier(issuers, groups_claim=os.environ.get("STAFF_GROUPS_CLAIM", "groups"))
        officers = OfficerDirectory(ttl_from_env())
        self.gate = SessionGate(verifier, sessions.Policy.from_env(), database.autocommit, dev_idp, officers)

    def get_dependency(self, worker_ctx):
        proxy = self.workflow

        def ask(claims: dict) -> dict:
            return call(proxy.get_dependency(worker_ctx).resolve_officer, claims, timeout=5)

        return self.gate.bound(ask)


def viewer(principal: Principal) -> dict:
    """The principal as services receive it."""
    return {
        "subject": principal.subject,
        "kind": principal.kind,
        "unit": principal.unit,
        "roles": sorted(principal.roles),
    }


def actor(principal: Principal) -> dict:
    """The principal as workflow records an action's author: with the name an officer's forms are signed with,
    when the identity provider gives one (the subject otherwise)."""
    who = viewer(principal)
    if principal.kind == "officer" and principal.name:
        who["name"] = principal.name
    return who
