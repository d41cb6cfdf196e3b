"""Sign-in core of the gateway: verify OpenID Connect ID/access tokens and say who is calling.

Citizens sign in with VNeID; officers with the province's OIDC provider (claims `unit` and `roles`); agencies
integrating by API with client credentials. Each issuer is configured with its audience, the kinds of
principal it may vouch for, the algorithms it may use and its JWKS. Local runs use `DevIdentityProvider`,
which signs RS256 tokens with a key on disk and refuses to exist outside local mode.

One issuer may vouch for several kinds (the development provider does): the token then names its kind in the
`motcua_kind` claim, which is trusted only from such an issuer.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KINDS = ("citizen", "officer", "agency")
ID_NUMBER = re.compile(r"^\d{12}$")

_MESSAGES = {
    "expired": ("Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.", "The token has expired."),
    "invalid_issuer": ("Nơi cấp mã truy cập không được tin cậy.", "The token issuer is not trusted."),
    "invalid_audience": ("Mã truy cập không dành cho hệ thống này.", "The token is not meant for this service."),
    "unknown_key": ("Khoá ký của mã truy cập không được biết.", "The token is signed with an unknown key."),
    "invalid_signature": ("Chữ ký của mã truy cập không hợp lệ.", "The token signature is invalid."),
    "malformed": ("Mã truy cập không đúng định dạng.", "The token is malformed."),
    "algorithm_not_allowed": ("Thuật toán ký không được chấp nhận.", "The signing algorithm is not allowed."),
    "missing_claim": ("Mã truy cập thiếu thông tin bắt buộc.", "The token lacks a required claim."),
}


class TokenError(Exception):
    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.message, self.message_en = _MESSAGES[code]
        self.detail = detail
        super().__init__(f"{code}: {detail or self.message_en}")


@dataclass(frozen=True)
class Principal:
    subject: str
    kind: str
    name: str
    unit: str | None
    roles: frozenset[str]
    issuer: str

    @property
    def is_citizen(self) -> bool:
        return self.kind == "citizen"

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def __repr__(self) -> str:
        subject = "*" * 9 + self.subject[-3:] if ID_NUMBER.match(self.subject) else self.subject
        return f"Principal(kind={self.kind!r}, subject={subject!r}, unit={self.unit!r}, roles={sorted(self.roles)})"

    __str__ = __repr__


class CachedJwks:
    """A JWKS fetched with `fetch()`, kept for `ttl_seconds`, refreshed early (at most every 30 s) when a token
    names a key id it does not hold, so the provider can rotate keys."""

    def __init__(self, fetch: Callable[[], dict], ttl_seconds: float = 300, now: Callable[[], float] = time.monotonic):
        self._fetch = fetch
        self._ttl = ttl_seconds
        self._now = now
        self._jwks: dict | None = None
        self._fetched_at = -1e18
        self._lock = threading.Lock()

    def get(self, kid: str | None = None) -> dict:
        with self._lock:
            now = self._now()
            stale = self._jwks is None or now - self._fetched_at > self._ttl
            unknown = kid is not None and self._jwks is not None and not any(
                k.get("kid") == kid for k in self._jwks.get("keys", []))
            if stale or (unknown and now - self._fetched_at > 30):
                self._jwks = self._fetch()
                self._fetched_at = now
            return self._jwks


@dataclass(frozen=True)
class IssuerConfig:
    issuer: str
    audience: str
    kinds: tuple[str, ...]
    jwks: dict | CachedJwks | Callable[[], dict]
    algorithms: tuple[str, ...] = ("RS256", "ES256")

    def keys(self, kid: str | None) -> dict:
        if isinstance(self.jwks, CachedJwks):
            return self.jwks.get(kid)
        if callable(self.jwks):
            return self.jwks()
        return self.jwks


@dataclass
class TokenVerifier:
    issuers: list[IssuerConfig]
    leeway_seconds: int = 30
    now: Callable[[], float] = time.time
    _by_issuer: dict = field(init=False, default_factory=dict)

    def __post_init__(self):
        for config in self.issuers:
            if config.issuer in self._by_issuer:
                raise ValueError(f"issuer {config.issuer} configured twice")
            if any(alg.upper().startswith("HS") or alg.lower() == "none" for alg in config.algorithms):
                raise ValueError("only asymmetric algorithms are accepted from an OIDC provider")
            self._by_issuer[config.issuer] = config

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise TokenError("malformed", str(exc)) from None
        config = self._by_issuer.get(unverified.get("iss"))
        if config is None:
            raise TokenError("invalid_issuer", str(unverified.get("iss")))
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in config.algorithms:
            raise TokenError("algorithm_not_allowed", str(alg))
        kid = header.get("kid")
        jwk = next((k for k in config.keys(kid).get("keys", []) if kid and k.get("kid") == kid), None)
        if jwk is None:
            raise TokenError("unknown_key", str(kid))
        try:
            key = jwt.PyJWK(jwk, algorithm=alg).key
            claims = jwt.decode(
                token, key, algorithms=[alg], audience=config.audience, issuer=config.issuer,
                leeway=self.leeway_seconds, options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("expired") from None
        except jwt.InvalidAudienceError:
            raise TokenError("invalid_audience") from None
        except jwt.InvalidIssuerError:
            raise TokenError("invalid_issuer") from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenError("missing_claim", str(exc)) from None
        except jwt.InvalidSignatureError:
            raise TokenError("invalid_signature") from None
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise TokenError("malformed", str(exc)) from None
        # PyJWT compares times against the clock itself; `now` lets tests and callers pin it.
        if claims["exp"] + self.leeway_seconds < self.now():
            raise TokenError("expired")
        return self._principal(config, claims)

    def _principal(self, config: IssuerConfig, claims: dict) -> Principal:
        if len(config.kinds) == 1:
            kind = config.kinds[0]
        else:
            kind = claims.get("motcua_kind")
            if kind not in config.kinds:
                raise TokenError("missing_claim", "motcua_kind")
        subject = str(claims["sub"])
        unit = claims.get("unit")
        roles = claims.get("roles") or []
        if kind == "citizen" and not ID_NUMBER.match(subject):
            raise TokenError("missing_claim", "citizen sub must be a 12-digit ID number")
        if kind == "officer" and (not unit or not isinstance(roles, list) or not roles):
            raise TokenError("missing_claim", "officer tokens need unit and roles")
        if kind == "agency" and not unit:
            raise TokenError("missing_claim", "agency tokens need unit")
        return Principal(subject=subject, kind=kind, name=str(claims.get("name") or ""), unit=unit,
                         roles=frozenset(str(r) for r in roles), issuer=config.issuer)


def _b64(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class DevIdentityProvider:
    """Local development sign-in: RS256 tokens signed with a key under `var/dev-idp/`. Local mode only."""

    def __init__(self, key_path: Path, issuer: str = "http://localhost:8000/dev-idp", audience: str = "motcua",
                 env: str = "production"):
        if env != "local":
            raise RuntimeError("DevIdentityProvider is for local development only (MOTCUA_ENV=local)")
        self.issuer = issuer
        self.audience = audience
        key_path = Path(key_path)
        if key_path.exists():
            self._key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        else:
            key_path.parent.mkdir(parents=True, exist_ok=True)
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
            tmp = key_path.with_suffix(f".{uuid.uuid4().hex}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            try:  # two processes starting together: the first key wins, both use it
                os.link(tmp, key_path)
            except FileExistsError:
                self._key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            finally:
                tmp.unlink()
        numbers = self._key.public_key().public_numbers()
        self._public_jwk = {"kty": "RSA", "e": _b64(numbers.e), "n": _b64(numbers.n)}
        thumbprint = json.dumps(self._public_jwk, separators=(",", ":"), sort_keys=True).encode()  # RFC 7638
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(thumbprint).digest()).rstrip(b"=").decode()

    def jwks(self) -> dict:
        return {"keys": [{**self._public_jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def issue(self, subject: str, kind: str = "citizen", name: str = "", unit: str | None = None,
              roles: tuple[str, ...] = (), ttl_seconds: int = 3600) -> str:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.audience, "sub": subject, "iat": now, "nbf": now,
                  "exp": now + ttl_seconds, "jti": str(uuid.uuid4()), "name": name or subject,
                  "motcua_kind": kind}
        if unit:
            claims["unit"] = unit
        if roles:
            claims["roles"] = list(roles)
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def issuer_config(self) -> IssuerConfig:
        return IssuerConfig(issuer=self.issuer, audience=self.audience, kinds=KINDS, jwks=self.jwks(),
                            algorithms=("RS256",))
